using Akka.Actor;
using Platform.Actors.Serialization;
using Platform.Actors.Storage;

namespace Platform.Actors.Partitions;

/// <summary>
/// Reads one range of a partition's journal for a fetch that the in-memory tail cannot serve, on the thread pool, and
/// replies to the fetcher directly: the partition actor stays free for appends while the database works, and only the
/// sequence numbers the segment index points at are read, never the whole log. The rows' bytes are the stored batches
/// and go into the reply as they are (<see cref="JournalBatchReader"/>). A task and not a child actor per read: the
/// actor's creation, mailbox, watch and stop were 6 % of the node's CPU in a 1 KiB consume from the journal (issue #16),
/// a third of the read itself.
/// </summary>
internal static class JournalReader
{
    /// <summary>Told to the partition once a read has answered its fetcher, so that the next waiting read may start.</summary>
    public sealed class Done
    {
        public static readonly Done Instance = new();

        private Done()
        {
        }
    }

    /// <summary>
    /// Starts the read: the fetcher gets the batches, or KAFKA_STORAGE_ERROR when the read fails, or REQUEST_TIMED_OUT
    /// after <paramref name="timeout"/>; then <paramref name="partition"/> gets <see cref="Done"/>. Once
    /// <paramref name="stopping"/> is cancelled (the partition stopped) the read is abandoned without a reply, as the
    /// partition's own requests are: the fetcher's ask times out and it asks the partition's next incarnation.
    /// </summary>
    public static void Start(JournalBatchReader journal, string persistenceId, FetchDecision.ReadJournal read, Fetch fetch,
        IActorRef replyTo, IActorRef partition, TimeSpan timeout, CancellationToken stopping) =>
        _ = RunAsync(journal, persistenceId, read, fetch, replyTo, partition, timeout, stopping);

    private static async Task RunAsync(JournalBatchReader journal, string persistenceId, FetchDecision.ReadJournal read, Fetch fetch,
        IActorRef replyTo, IActorRef partition, TimeSpan timeout, CancellationToken stopping)
    {
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        cancel.CancelAfter(timeout);
        IPlatformMessage reply;
        try
        {
            // Task.Run: Microsoft.Data.Sqlite's async methods complete synchronously, so the query runs off the caller.
            // WaitAsync: the reply leaves at the timeout even if the database does not give the query up.
            var batches = await Task.Run(() => journal.ReadAsync(persistenceId, read.FromSequenceNr, read.ToSequenceNr, fetch.Offset,
                fetch.MaxBytes, cancel.Token), cancel.Token).WaitAsync(cancel.Token);
            reply = new FetchResult(fetch.TopicId, fetch.Partition, fetch.CorrelationId, ErrorCode.None, null, read.HighWatermark, read.LogStartOffset, batches);
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            return;
        }
        catch (OperationCanceledException)
        {
            reply = fetch.Reject(ErrorCode.RequestTimedOut, "Reading the journal timed out");
        }
        catch (Exception e)
        {
            reply = fetch.Reject(ErrorCode.KafkaStorageError, $"Reading the journal failed: {e.GetBaseException().Message}");
        }
        replyTo.Tell(reply);
        partition.Tell(Done.Instance);
    }
}
