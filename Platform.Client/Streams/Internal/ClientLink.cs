using Akka.Actor;
using Akka.Remote;
using Platform.Actors;
using Platform.Actors.Partitions;
using Platform.Actors.Serialization;

namespace Platform.Client.Streams.Internal;

/// <summary>
/// A stage's connection: the application's own (shared, never closed or replaced here) or one the stage
/// opens from the settings' bootstrap servers. An owned connection lives in the stream's ActorSystem when
/// that system can talk to nodes (remoting and the Platform serializer), otherwise in one of its own; when
/// a node stops answering it is replaced by a connection to the next server that answers.
/// </summary>
internal sealed class ClientLink
{
    private readonly IReadOnlyList<string> _servers;
    private readonly Akka.Configuration.Config _config;
    private ActorSystem? _host;
    private readonly object _lock = new();
    private Task<PlatformConnection>? _current;

    private ClientLink(IReadOnlyList<string> servers, Akka.Configuration.Config config, ActorSystem? host, PlatformConnection? shared)
    {
        _servers = servers;
        _config = config;
        _host = host;
        if (shared is not null)
        {
            IsShared = true;
            _current = Task.FromResult(shared);
        }
    }

    public bool IsShared { get; }

    public static ClientLink Shared(PlatformConnection connection) => new([], Akka.Configuration.Config.Empty, null, connection);

    public static ClientLink Owned(IReadOnlyList<string> servers, Akka.Configuration.Config config)
    {
        if (servers.Count == 0)
            throw new InvalidOperationException("No bootstrap servers: set them with WithBootstrapServers(\"host:port,...\") or pass a PlatformConnection");
        return new ClientLink(servers, config, null, null);
    }

    /// <summary>Lets owned connections live in the stream's ActorSystem, if it can talk to nodes (called before the first connect).</summary>
    public void UseStreamSystem(ActorSystem? system)
    {
        if (!IsShared && system is not null && CanHost(system)) _host = system;
    }

    /// <summary>Whether connections can live in <paramref name="system"/>: remoting and Platform's serializer for the protocol.</summary>
    public static bool CanHost(ActorSystem system) =>
        ((ExtendedActorSystem)system).Provider is RemoteActorRefProvider &&
        system.Serialization.FindSerializerForType(typeof(Fetch)) is PlatformSerializer;

    /// <summary>The current connection, opened on first use.</summary>
    public Task<PlatformConnection> ConnectionAsync()
    {
        lock (_lock) return _current ??= PlatformConnection.ConnectAsync(string.Join(",", _servers), _config, _host);
    }

    /// <summary>
    /// Replaces <paramref name="failed"/> with a connection to the first server that answers, starting after
    /// the one that failed; callers that saw the same failure share one reconnection. A shared connection
    /// is kept (the application owns it).
    /// </summary>
    public Task<PlatformConnection> ReconnectAsync(PlatformConnection failed)
    {
        if (IsShared) return ConnectionAsync();
        lock (_lock)
        {
            if (_current is { IsCompletedSuccessfully: true } current && !ReferenceEquals(current.Result, failed)) return current;
            if (_current is { IsCompleted: false } pending) return pending;
            _ = failed.DisposeAsync().AsTask().ContinueWith(_ => { }, TaskScheduler.Default); // its ActorSystem, if it owns one
            return _current = PlatformConnection.ConnectAsync(string.Join(",", Rotate(failed)), _config, _host);
        }
    }

    /// <summary>The servers in order, starting after the one <paramref name="failed"/> was connected to.</summary>
    private IEnumerable<string> Rotate(PlatformConnection failed)
    {
        // A connection that lost its gateway is already looking for another: start after the one it had.
        if (failed.Gateway?.Path.Address is not { } address) return _servers;
        var at = _servers.ToList().FindIndex(s => s == $"{address.Host}:{address.Port}");
        return at < 0 ? _servers : _servers.Skip(at + 1).Concat(_servers.Take(at + 1));
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

    public static bool IsRetriable(ErrorCode code) => code.IsRetriable();
}
