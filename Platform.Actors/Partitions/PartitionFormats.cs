using Platform.Actors.Log;
using Platform.Actors.Serialization;
using Platform.Actors.Topics;
using Platform.Protocol.Records;

namespace Platform.Actors.Partitions;

/// <summary>
/// Binary formats of the partitions' messages, journal events ("E-RB", "E-LS") and snapshot ("S-P"), written
/// under <see cref="PlatformSerializer"/>. Manifests are part of the storage format: add new ones, never rename or reuse.
/// </summary>
internal static class PartitionFormats
{
    /// <summary>
    /// The manifest of <see cref="RecordBatchAppended"/>: its stored bytes are the RecordBatch itself, so a journal
    /// read serves them as they are (<see cref="Storage.JournalBatchReader"/> looks rows up by this manifest).
    /// </summary>
    public const string BatchManifest = "E-RB";

    /// <summary>A stored batch as recovered into a partition's state: its CRC still matches, or recovery fails rather than keep corrupt bytes.</summary>
    public static byte[] ReadStoredBatch(byte[] bytes) => Readable(bytes, RecordBatch.Validate(bytes));

    /// <summary>
    /// A stored batch as a fetch serves it from the journal: one whole v2 batch (the header fields the fetch reads are
    /// there), its CRC not computed again. It was checked when produced, and every consumer checks it on arrival (Kafka's
    /// check.crcs; Platform.Client always), so a corrupt row still ends at the consumer as CORRUPT_MESSAGE; the node's
    /// own pass over every byte served was 6 % of its CPU in a 1 KiB consume from the journal (issue #16).
    /// </summary>
    public static byte[] ServeStoredBatch(byte[] bytes) => Readable(bytes, RecordBatch.CheckFraming(bytes));

    private static byte[] Readable(byte[] bytes, BatchError error) =>
        error is not BatchError.None ? throw new InvalidDataException($"Stored record batch is unreadable: {error}") : bytes;

    public static void AddTo(MessageFormats formats)
    {
        formats.Add<Produce>("PP", (w, m) =>
        {
            WriteTopicPartition(w, m);
            w.Int64(m.CorrelationId);
            w.Bytes(m.Batch);
        }, (ref WireReader r) =>
        {
            var (topic, partition, correlation) = (r.Guid(), r.Int32(), r.Int64());
            return new Produce(topic, partition, r.Bytes(), correlation);
        });
        formats.Add<ProduceResult>("PR", (w, m) =>
        {
            w.Guid(m.TopicId);
            w.Int32(m.Partition);
            w.Int64(m.CorrelationId);
            w.Error(m.Error, m.ErrorMessage);
            w.Int64(m.BaseOffset);
            w.Int64(m.LogStartOffset);
        }, (ref WireReader r) => new ProduceResult(r.Guid(), r.Int32(), r.Int64(), (ErrorCode)r.Int16(), r.NullableString(), r.Int64(), r.Int64()));
        formats.Add<Fetch>("PF", (w, m) =>
        {
            WriteTopicPartition(w, m);
            w.Int64(m.Offset);
            w.Int32(m.MaxBytes);
            w.Int32(m.MaxWaitMs);
            w.Int64(m.CorrelationId);
        }, (ref WireReader r) => new Fetch(r.Guid(), r.Int32(), r.Int64(), r.Int32(), r.Int32(), r.Int64()));
        formats.Add<FetchResult>("PG", (w, m) =>
        {
            w.Guid(m.TopicId);
            w.Int32(m.Partition);
            w.Int64(m.CorrelationId);
            w.Error(m.Error, m.ErrorMessage);
            w.Int64(m.HighWatermark);
            w.Int64(m.LogStartOffset);
            w.List(m.Batches, (x, b) => x.Bytes(b));
        }, (ref WireReader r) =>
        {
            var (topic, partition, correlation, error, message, hw, start) =
                (r.Guid(), r.Int32(), r.Int64(), (ErrorCode)r.Int16(), r.NullableString(), r.Int64(), r.Int64());
            var batches = new byte[r.Count()][];
            for (var i = 0; i < batches.Length; i++) batches[i] = r.Bytes();
            return new FetchResult(topic, partition, correlation, error, message, hw, start, batches);
        });
        formats.Add<GetPartitionStatus>("PS", WriteTopicPartition, (ref WireReader r) => new GetPartitionStatus(r.Guid(), r.Int32()));
        formats.Add<PartitionStatus>("PT", (w, m) =>
        {
            w.Guid(m.TopicId);
            w.Int32(m.Partition);
            w.Error(m.Error, m.ErrorMessage);
            w.Int64(m.LogStartOffset);
            w.Int64(m.HighWatermark);
            w.String(m.Leader);
            w.Int64(m.SizeBytes);
            w.Int64(m.LastRecoveryMs);
        }, (ref WireReader r) => new PartitionStatus(r.Guid(), r.Int32(), (ErrorCode)r.Int16(), r.NullableString(), r.Int64(), r.Int64(), r.String(), r.Int64(), r.Int64()));
        formats.Add<FindOffsetForTimestamp>("PO", (w, m) =>
        {
            WriteTopicPartition(w, m);
            w.Int64(m.Timestamp);
        }, (ref WireReader r) => new FindOffsetForTimestamp(r.Guid(), r.Int32(), r.Int64()));
        formats.Add<OffsetForTimestamp>("PQ", (w, m) =>
        {
            w.Guid(m.TopicId);
            w.Int32(m.Partition);
            w.Error(m.Error, m.ErrorMessage);
            w.Int64(m.Offset);
        }, (ref WireReader r) => new OffsetForTimestamp(r.Guid(), r.Int32(), (ErrorCode)r.Int16(), r.NullableString(), r.Int64()));
        formats.Add<RestartPartition>("PX", WriteTopicPartition, (ref WireReader r) => new RestartPartition(r.Guid(), r.Int32()));
        formats.Add<DeletePartition>("PD", WriteTopicPartition, (ref WireReader r) => new DeletePartition(r.Guid(), r.Int32()));
        formats.Add<WakePartition>("PW", WriteTopicPartition, (ref WireReader r) => new WakePartition(r.Guid(), r.Int32()));
        formats.Add<ApplyTopicConfig>("PC", (w, m) =>
        {
            WriteTopicPartition(w, m);
            TopicFormats.WriteConfigWithOverrides(w, m.Config);
        }, (ref WireReader r) => new ApplyTopicConfig(r.Guid(), r.Int32(), TopicFormats.ReadConfigWithOverrides(ref r)));
        formats.Add<DeleteRecordsBefore>("PE", (w, m) =>
        {
            WriteTopicPartition(w, m);
            w.Int64(m.Offset);
        }, (ref WireReader r) => new DeleteRecordsBefore(r.Guid(), r.Int32(), r.Int64()));
        formats.Add<DeleteRecordsResult>("PH", (w, m) =>
        {
            w.Guid(m.TopicId);
            w.Int32(m.Partition);
            w.Error(m.Error, m.ErrorMessage);
            w.Int64(m.LowWatermark);
        }, (ref WireReader r) => new DeleteRecordsResult(r.Guid(), r.Int32(), (ErrorCode)r.Int16(), r.NullableString(), r.Int64()));

        // The journal's records: the bare RecordBatch v2, whose magic byte is its version; validated before it is replayed.
        formats.AddUnversioned<RecordBatchAppended>(BatchManifest, m => m.Batch, bytes => new RecordBatchAppended(ReadStoredBatch(bytes)));
        formats.Add<LogStartAdvanced>("E-LS", (w, m) =>
        {
            w.Int64(m.LogStartOffset);
            w.Int64(m.DeletedToSequenceNr);
        }, (ref WireReader r) => new LogStartAdvanced(r.Int64(), r.Int64()));
        formats.Add<PartitionSnapshot>("S-P", WriteSnapshot, ReadSnapshot);
    }

    private static void WriteTopicPartition(WireWriter w, IPartitionMessage m)
    {
        w.Guid(m.TopicId);
        w.Int32(m.Partition);
    }

    private static void WriteSnapshot(WireWriter w, PartitionSnapshot m)
    {
        w.Int64(m.LogStartOffset);
        w.Int64(m.LogEndOffset);
        w.List(m.Segments, (x, s) =>
        {
            x.Int64(s.BaseOffset);
            x.Int64(s.NextOffset);
            x.Int64(s.FirstSequenceNr);
            x.Int64(s.LastSequenceNr);
            x.Int64(s.Bytes);
            x.Int64(s.MaxTimestamp);
        });
        // Appended after the first release: readers of older snapshots find no bytes left and no producers.
        w.List(m.Producers ?? [], (x, p) =>
        {
            x.Int64(p.ProducerId);
            x.Int16(p.Epoch);
            x.Int64(p.LastTimestamp);
            x.List(p.Batches, (y, b) =>
            {
                y.Int32(b.FirstSequence);
                y.Int32(b.LastSequence);
                y.Int64(b.BaseOffset);
            });
        });
    }

    private static PartitionSnapshot ReadSnapshot(ref WireReader r)
    {
        var (start, end) = (r.Int64(), r.Int64());
        var segments = new Segment[r.Count()];
        for (var i = 0; i < segments.Length; i++)
            segments[i] = new Segment(r.Int64(), r.Int64(), r.Int64(), r.Int64(), r.Int64(), r.Int64());
        var producers = new ProducerState[r.Remaining > 0 ? r.Count() : 0];
        for (var i = 0; i < producers.Length; i++)
        {
            var (id, epoch, timestamp) = (r.Int64(), r.Int16(), r.Int64());
            var batches = new ProducerBatch[r.Count()];
            for (var j = 0; j < batches.Length; j++) batches[j] = new ProducerBatch(r.Int32(), r.Int32(), r.Int64());
            producers[i] = new ProducerState(id, epoch, timestamp, batches);
        }
        return new PartitionSnapshot(start, end, segments, producers);
    }
}
