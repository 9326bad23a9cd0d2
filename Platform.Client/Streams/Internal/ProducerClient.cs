
namespace Platform.Client.Streams.Internal;

/// <summary>
/// What the producer stages share: a <see cref="PlatformProducer"/> on the stage's <see cref="StageConnection"/>. Retries are the
/// producer's (idempotent, in order); the connection follows the cluster by itself. Used only from the
/// stage's own thread, except the background close.
/// </summary>
internal sealed class ProducerClient(ProducerSettings settings, StageConnection stageConnection)
{
    private PlatformConnection? _connection;
    private PlatformProducer? _producer;

    public ProducerSettings Settings { get; } = settings;

    public bool IsOpen => _producer is not null;

    public Task<PlatformConnection> ConnectAsync() => stageConnection.ConnectionAsync();

    /// <summary>Produces on <paramref name="connection"/> from now on (the old producer, if another, flushes and closes in the background).</summary>
    public void Use(PlatformConnection connection)
    {
        if (ReferenceEquals(connection, _connection)) return;
        if (_producer is { } old) _ = old.DisposeAsync().AsTask().ContinueWith(_ => { }, TaskScheduler.Default);
        _connection = connection;
        _producer = new PlatformProducer(connection, Settings.ToClientSettings()) { AllowAutoCreateTopics = Settings.AllowAutoCreateTopics };
    }

    public Task<DeliveryResult> Send(ProducerRecord record) => _producer!.ProduceAsync(record.Topic, record.ToMessage(), record.Partition);

    /// <summary>Flushes what is still in flight (records handed over are still sent), then closes an owned connection.</summary>
    public void CloseInBackground()
    {
        var producer = _producer;
        _ = Task.Run(async () =>
        {
            try
            {
                if (producer is not null) await producer.DisposeAsync();
            }
            catch (Exception e) when (e is PlatformException or ObjectDisposedException or TaskCanceledException)
            {
            }
            await stageConnection.CloseAsync();
        });
    }
}
