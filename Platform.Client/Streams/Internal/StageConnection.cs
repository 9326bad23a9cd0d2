
namespace Platform.Client.Streams.Internal;

/// <summary>
/// A stage's connection: the application's own (shared, never closed or replaced here) or one the stage
/// opens from the settings' bootstrap servers (Kafka listeners); the stream's ActorSystem plays no part in
/// it. The connection itself moves to the next broker, or back to the bootstrap servers, when its node goes away.
/// Named for what it is, the connection a stage runs on, and for who owns it: a stage closes only one it opened.
/// </summary>
internal sealed class StageConnection
{
    private readonly IReadOnlyList<string> _servers;
    private readonly Akka.Configuration.Config _config;
    private readonly object _lock = new();
    private Task<PlatformConnection>? _current;

    private StageConnection(IReadOnlyList<string> servers, Akka.Configuration.Config config, PlatformConnection? shared)
    {
        _servers = servers;
        _config = config;
        if (shared is not null)
        {
            IsShared = true;
            _current = Task.FromResult(shared);
        }
    }

    public bool IsShared { get; }

    public static StageConnection Shared(PlatformConnection connection) => new([], Akka.Configuration.Config.Empty, connection);

    public static StageConnection Owned(IReadOnlyList<string> servers, Akka.Configuration.Config config)
    {
        if (servers.Count == 0)
            throw new InvalidOperationException("No bootstrap servers: set them with WithBootstrapServers(\"host:port,...\") or pass a PlatformConnection");
        return new StageConnection(servers, config, null);
    }

    /// <summary>The current connection, opened on first use.</summary>
    public Task<PlatformConnection> ConnectionAsync()
    {
        lock (_lock) return _current ??= PlatformConnection.ConnectAsync(string.Join(",", _servers), _config);
    }

    public async Task CloseAsync()
    {
        Task<PlatformConnection>? current;
        lock (_lock) current = _current;
        if (IsShared || current is null) return;
        try
        {
            await (await current).DisposeAsync();
        }
        catch (PlatformException)
        {
            // never connected
        }
    }

}
