using Akka.Actor;
using Akka.Persistence;
using Platform.Actors.Log;
using Platform.Protocol.Records;

namespace Platform.Actors.Partitions;

/// <summary>
/// Reads one range of a partition's journal for a fetch that the in-memory tail cannot serve, and replies
/// to the fetcher directly. A child per read keeps the partition actor free for appends while the
/// database works, and reads only the sequence numbers the segment index points at, never the whole log.
/// </summary>
internal sealed class JournalReader : ReceiveActor
{
    private readonly Fetch _fetch;
    private readonly long _highWatermark;
    private readonly long _logStartOffset;
    private readonly IActorRef _replyTo;
    private readonly List<byte[]> _batches = [];
    private long _bytes;
    private bool _full;

    public JournalReader(string persistenceId, long fromSequenceNr, long toSequenceNr, Fetch fetch,
        long highWatermark, long logStartOffset, IActorRef replyTo, TimeSpan timeout)
    {
        _fetch = fetch;
        _highWatermark = highWatermark;
        _logStartOffset = logStartOffset;
        _replyTo = replyTo;

        var journal = Persistence.Instance.Apply(Context.System).JournalFor(null);
        journal.Tell(new ReplayMessages(fromSequenceNr, toSequenceNr, toSequenceNr - fromSequenceNr + 1, persistenceId, Self));
        Context.SetReceiveTimeout(timeout);

        Receive<ReplayedMessage>(m => Collect(m.Persistent.Payload));
        Receive<RecoverySuccess>(_ => Finish(ErrorCode.None, null));
        Receive<ReplayMessagesFailure>(f => Finish(ErrorCode.KafkaStorageError, $"Reading the journal failed: {f.Cause.Message}"));
        Receive<ReceiveTimeout>(_ => Finish(ErrorCode.RequestTimedOut, "Reading the journal timed out"));
    }

    public static Props Props(string persistenceId, long fromSequenceNr, long toSequenceNr, Fetch fetch,
        long highWatermark, long logStartOffset, IActorRef replyTo, TimeSpan timeout) =>
        Akka.Actor.Props.Create(() => new JournalReader(persistenceId, fromSequenceNr, toSequenceNr, fetch, highWatermark, logStartOffset, replyTo, timeout));

    private void Collect(object payload)
    {
        if (_full || payload is not RecordBatchAppended { Batch: var batch }) return;
        var next = RecordBatch.BaseOffset(batch) + RecordBatch.LastOffsetDelta(batch) + 1;
        if (next <= _fetch.Offset) return;
        if (_batches.Count > 0 && _bytes + batch.Length > _fetch.MaxBytes)
        {
            _full = true;
            return;
        }
        _batches.Add(batch);
        _bytes += batch.Length;
    }

    private void Finish(ErrorCode error, string? message)
    {
        _replyTo.Tell(error == ErrorCode.None || _batches.Count > 0
            ? new FetchResult(_fetch.TopicId, _fetch.Partition, _fetch.CorrelationId, ErrorCode.None, null, _highWatermark, _logStartOffset, _batches)
            : _fetch.Reject(error, message!));
        Context.Stop(Self);
    }
}
