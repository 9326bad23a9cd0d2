using Akka.Actor;
using Platform.Actors.Storage;

namespace Platform.Actors.Partitions;

/// <summary>
/// Reads one range of a partition's journal for a fetch that the in-memory tail cannot serve, and replies
/// to the fetcher directly. A child per read keeps the partition actor free for appends while the
/// database works, and reads only the sequence numbers the segment index points at, never the whole log.
/// The rows' bytes are the stored batches and go into the reply as they are (<see cref="JournalBatchReader"/>).
/// </summary>
internal sealed class JournalReader : ReceiveActor
{
    private sealed record Read(List<byte[]> Batches);

    private sealed record ReadFailed(Exception Cause);

    private readonly Fetch _fetch;
    private readonly long _highWatermark;
    private readonly long _logStartOffset;
    private readonly IActorRef _replyTo;
    private readonly CancellationTokenSource _cancel = new();

    public JournalReader(string persistenceId, long fromSequenceNr, long toSequenceNr, Fetch fetch,
        long highWatermark, long logStartOffset, IActorRef replyTo, TimeSpan timeout)
    {
        _fetch = fetch;
        _highWatermark = highWatermark;
        _logStartOffset = logStartOffset;
        _replyTo = replyTo;

        var journal = JournalBatchReader.For(Context.System);
        var token = _cancel.Token;
        // Task.Run: Microsoft.Data.Sqlite's async methods complete synchronously, and the query must not run on the actor's turn.
        Task.Run(() => journal.ReadAsync(persistenceId, fromSequenceNr, toSequenceNr, fetch.Offset, fetch.MaxBytes, token), token)
            .PipeTo(Self, success: batches => new Read(batches), failure: cause => new ReadFailed(cause));
        Context.SetReceiveTimeout(timeout);

        Receive<Read>(read => Finish(read.Batches, ErrorCode.None, null));
        Receive<ReadFailed>(failed => Finish([], ErrorCode.KafkaStorageError, $"Reading the journal failed: {failed.Cause.GetBaseException().Message}"));
        Receive<ReceiveTimeout>(_ => Finish([], ErrorCode.RequestTimedOut, "Reading the journal timed out"));
    }

    public static Props Props(string persistenceId, long fromSequenceNr, long toSequenceNr, Fetch fetch,
        long highWatermark, long logStartOffset, IActorRef replyTo, TimeSpan timeout) =>
        Akka.Actor.Props.Create(() => new JournalReader(persistenceId, fromSequenceNr, toSequenceNr, fetch, highWatermark, logStartOffset, replyTo, timeout));

    private void Finish(List<byte[]> batches, ErrorCode error, string? message)
    {
        _replyTo.Tell(error == ErrorCode.None
            ? new FetchResult(_fetch.TopicId, _fetch.Partition, _fetch.CorrelationId, ErrorCode.None, null, _highWatermark, _logStartOffset, batches)
            : _fetch.Reject(error, message!));
        Context.Stop(Self);
    }

    protected override void PostStop()
    {
        _cancel.Cancel();
        _cancel.Dispose();
        base.PostStop();
    }
}
