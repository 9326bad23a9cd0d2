
namespace Platform.Client.Streams.Internal;

/// <summary>
/// Reads one partition for a partitioned source: a consumer of its own on the session's connection, so that
/// every sub-source has its own bounded buffer and its own backpressure (a slow sub-stream never holds back
/// the others). Commits go through the session (the group member); a revoke completes the sub-source.
/// </summary>
internal sealed class PartitionReader(ConsumerSession session, TopicPartition partition, long? startOffset)
{
    private readonly TaskCompletionSource _revoked = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private PlatformConsumer? _consumer;
    private int _failures;
    private Task? _closing;

    public TopicPartition Partition { get; } = partition;

    public ConsumerSession Session { get; } = session;

    /// <summary>Completes when the partition is revoked or the source stops: the sub-source then completes.</summary>
    public Task Revoked => _revoked.Task;

    public async Task StartAsync()
    {
        var positions = await Session.StartPositionsAsync(Session.Consumer, [(Partition, startOffset)]);
        var consumer = new PlatformConsumer(Session.Connection, Session.Settings.AutoOffsetReset, Session.Settings.ToClientSettings());
        consumer.Assign(positions);
        lock (_revoked)
        {
            if (_closing is not null)
            {
                _ = consumer.DisposeAsync();
                return;
            }
            _consumer = consumer;
        }
    }

    public async Task<ConsumeResult> ConsumeAsync(CancellationToken token)
    {
        var consumer = _consumer ?? throw new InvalidOperationException($"The reader of {Partition} has not started");
        while (true)
        {
            try
            {
                var record = await consumer.ConsumeAsync(token);
                _failures = 0;
                return record;
            }
            catch (System.Threading.Channels.ChannelClosedException) when (Revoked.IsCompleted)
            {
                throw new OperationCanceledException($"{Partition} was revoked"); // the sub-source completes, it does not fail
            }
            catch (PlatformException e) when (Session.Settings.Retry.ShouldRetry(e.Code, _failures + 1))
            {
                _failures++;
                await Task.Delay(Session.Settings.Retry.Backoff(_failures), token);
                consumer.Seek(new TopicPartitionOffset(Partition.Topic, Partition.Partition,
                    consumer.Position(Partition) ?? Session.EmittedPosition(Partition) ?? Session.ResetPosition));
            }
        }
    }

    public void Revoke() => _revoked.TrySetResult();

    public Task CloseAsync()
    {
        lock (_revoked)
        {
            _revoked.TrySetResult();
            return _closing ??= _consumer?.DisposeAsync().AsTask() ?? Task.CompletedTask;
        }
    }
}
