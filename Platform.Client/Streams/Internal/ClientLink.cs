using Akka.Actor;
using Akka.Remote;
using Platform.Actors;
using Platform.Actors.Partitions;
using Platform.Actors.Serialization;

namespace Platform.Client.Streams.Internal;

/// <summary>
/// A stage's connection: the application's own (shared, never closed or replaced here) or one the stage
/// opens from the settings' bootstrap servers. An owned connection lives in the stream's ActorSystem when
/// that system can talk to nodes (remoting and the Platform serializer), otherwise in one of its own. The
/// connection itself moves to the next bootstrap server when its node goes away.
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
