using Akka.Configuration;
using Platform.Actors.Configuration;
using Platform.Client;

namespace Platform.Actors.Http;

/// <summary>
/// The web console's connection to its own node's Kafka listener, opened on first use and kept. Everything the
/// console reads or changes goes through it with <see cref="PlatformAdmin"/> and <see cref="PlatformConsumer"/>,
/// the client the CLI uses: creating a topic from a form runs the node's CreateTopics handling with the same
/// validation and the same Kafka errors as <c>platform topics create</c>, and nothing in an actor waits on the
/// console. A failed connect is forgotten, so the next page tries again (the listener opens after the node is Up).
/// </summary>
internal sealed class ConsoleClient(string bootstrapServers, ConsoleSettings settings) : IAsyncDisposable
{
    private readonly Lock _gate = new();
    private readonly CancellationTokenSource _closing = new();
    private Task<PlatformConnection>? _connecting;

    public async Task<PlatformConnection> ConnectionAsync()
    {
        Task<PlatformConnection> connecting;
        lock (_gate) connecting = _connecting ??= ConnectAsync();
        try
        {
            return await connecting;
        }
        catch
        {
            lock (_gate)
                if (_connecting == connecting) _connecting = null;
            throw;
        }
    }

    public async Task<PlatformAdmin> AdminAsync() => new(await ConnectionAsync());

    private Task<PlatformConnection> ConnectAsync()
    {
        // The client's own defaults (hocon/client.conf) but for its name and a page's patience.
        var config = ConfigurationFactory.ParseString(
            $"platform.client {{ client-id = platform-console, request-timeout = {(long)settings.RequestTimeout.TotalMilliseconds}ms }}");
        return PlatformConnection.ConnectAsync(bootstrapServers, config, _closing.Token);
    }

    public async ValueTask DisposeAsync()
    {
        await _closing.CancelAsync();
        Task<PlatformConnection>? connecting;
        lock (_gate) connecting = _connecting;
        if (connecting is { IsCompletedSuccessfully: true }) await connecting.Result.DisposeAsync();
        _closing.Dispose();
    }
}
