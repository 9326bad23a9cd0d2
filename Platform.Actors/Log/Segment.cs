using Platform.Protocol.Records;
namespace Platform.Actors.Log;

/// <summary>
/// A run of consecutive batches in the journal: the unit of the sparse offset index and of retention, as
/// a segment file is in Kafka. It maps offsets to journal sequence numbers so that a read of an old offset
/// replays only the events it needs.
/// </summary>
/// <param name="NextOffset">One past the last offset in the segment.</param>
/// <param name="MaxTimestamp">Largest record timestamp in the segment; time-based retention compares it.</param>
internal sealed record Segment(long BaseOffset, long NextOffset, long FirstSequenceNr, long LastSequenceNr, long Bytes, long MaxTimestamp);
