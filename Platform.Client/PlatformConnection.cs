using Akka.Actor;
using Akka.Configuration;
using Platform.Actors;
using Platform.Actors.Gateway;
using Platform.Actors.Hosting;
using Platform.Actors.Serialization;
using Platform.Actors.Topics;

namespace Platform.Client;

/// <summary>
/// A client's link to the cluster: a small ActorSystem with remoting that has found a node's gateway
/// among the bootstrap servers. Producers, consumers and the admin client share one connection, as they
/// would share a Kafka client's network threads.
/// </summary>
public sealed class PlatformConnection : IAsyncDisposable
{
    private readonly bool _ownsSystem;

    private PlatformConnection(ActorSystem system, IActorRef gateway, ClientSettings settings, bool ownsSystem)
    {
        System = system;
        Gateway = gateway;
        Settings = settings;
        _ownsSystem = ownsSystem;
    }

    public ClientSettings Settings { get; }

    internal ActorSystem System { get; }

    internal IActorRef Gateway { get; }

    /// <summary>The host this client's remoting listens on: what <c>groups describe</c> shows as a member's host.</summary>
    internal string LocalHost => ((ExtendedActorSystem)System).Provider.DefaultAddress.Host ?? "unknown";

    /// <summary>
    /// Connects to the first reachable node of <paramref name="bootstrapServers"/> (comma-separated
    /// host:port). Passing <paramref name="system"/> reuses an application's ActorSystem, which must have
    /// remoting and the Platform serializer bindings (<see cref="ClientSettings.DefaultConfig"/>).
    /// </summary>
    public static async Task<PlatformConnection> ConnectAsync(string bootstrapServers, Config? config = null,
        ActorSystem? system = null, CancellationToken cancellationToken = default)
    {
        var settings = ClientSettings.Create(bootstrapServers, config);
        var ownsSystem = system is null;
        system ??= ActorSystem.Create("platform-client", (config ?? Config.Empty).WithFallback(ClientSettings.DefaultConfig));
        var failures = new List<string>();
        foreach (var server in settings.BootstrapServers)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var selection = system.ActorSelection($"akka.tcp://{PlatformNode.SystemName}@{server}/user/{Actors.Gateway.Gateway.Name}");
            try
            {
                var gateway = await selection.ResolveOne(TimeSpan.FromSeconds(5), cancellationToken);
                return new PlatformConnection(system, gateway, settings, ownsSystem);
            }
            catch (Exception e) when (e is ActorNotFoundException or TimeoutException or TaskCanceledException)
            {
                failures.Add(server);
            }
        }
        if (ownsSystem) await system.Terminate();
        throw new PlatformException(ErrorCode.RequestTimedOut,
            $"Could not reach a Platform node at {string.Join(", ", failures)}: is the node running and is the address right?");
    }

    /// <summary>Sends a request to the gateway and waits for the typed reply.</summary>
    internal async Task<T> RequestAsync<T>(IPlatformMessage request, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        var wait = timeout ?? Settings.RequestTimeout;
        try
        {
            return await Gateway.Ask<T>(request, wait, cancellationToken);
        }
        catch (AskTimeoutException)
        {
            throw new PlatformException(ErrorCode.RequestTimedOut, $"No answer to {request.GetType().Name} within {wait.TotalSeconds:0.#} s");
        }
    }

    internal async Task<TopicInfo> GetTopicAsync(string topic, bool allowAutoCreate, CancellationToken cancellationToken = default)
    {
        var result = await RequestAsync<TopicsResult>(new GetTopics([topic], allowAutoCreate), cancellationToken: cancellationToken);
        var lookup = result.Topics.Single();
        if (lookup.Error != ErrorCode.None) throw new PlatformException(lookup.Error, lookup.ErrorMessage ?? lookup.Error.ToString());
        return lookup.Topic!;
    }

    public async ValueTask DisposeAsync()
    {
        if (_ownsSystem) await System.Terminate();
    }
}
