using Akka.Actor;
using Akka.Configuration;
using Akka.Event;
using Platform.Actors;
using Platform.Actors.Hosting;
using Platform.Actors.Serialization;
using Platform.Actors.Topics;

namespace Platform.Client;

/// <summary>
/// A client's link to the cluster: a small ActorSystem with remoting that talks to one node's gateway,
/// chosen among the bootstrap servers. Every node can route every request, so when that node goes away
/// (its gateway is Terminated by remote DeathWatch) the connection moves to the next reachable bootstrap
/// server, and requests in flight fail at once with the retriable <see cref="ErrorCode.NetworkException"/>
/// instead of waiting for their timeout. Producers, consumers and the admin client share one connection,
/// as they would share a Kafka client's network threads.
/// </summary>
public sealed class PlatformConnection : IAsyncDisposable
{
    private readonly bool _ownsSystem;
    private readonly object _lock = new();
    private IActorRef? _gateway;
    private TaskCompletionSource<IActorRef> _available = NewAvailable();
    private TaskCompletionSource _lost = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private TaskCompletionSource _memberLeft = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private PlatformConnection(ActorSystem system, IActorRef gateway, int serverIndex, ClientSettings settings, bool ownsSystem)
    {
        System = system;
        Settings = settings;
        _ownsSystem = ownsSystem;
        _gateway = gateway;
        _available.SetResult(gateway);
        Link = system.ActorOf(Props.Create(() => new ConnectionLink(this, gateway, serverIndex)));
    }

    public ClientSettings Settings { get; }

    internal ActorSystem System { get; }

    /// <summary>The actor that watches the gateway and finds another; producers' channels subscribe to it.</summary>
    internal IActorRef Link { get; }

    /// <summary>The gateway in use, or null while the connection is looking for another node.</summary>
    internal IActorRef? Gateway
    {
        get
        {
            lock (_lock) return _gateway;
        }
    }

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
        for (var i = 0; i < settings.BootstrapServers.Count; i++)
        {
            var server = settings.BootstrapServers[i];
            cancellationToken.ThrowIfCancellationRequested();
            try
            {
                var gateway = await GatewaySelection(system, server).ResolveOne(TimeSpan.FromSeconds(5), cancellationToken);
                return new PlatformConnection(system, gateway, i, settings, ownsSystem);
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

    internal static ActorSelection GatewaySelection(ActorSystem system, string server) =>
        system.ActorSelection($"akka.tcp://{PlatformNode.SystemName}@{server}/user/{Actors.Gateway.Gateway.Name}");

    /// <summary>
    /// Sends a request to the gateway and waits for the typed reply. Fails with NetworkException when the
    /// gateway is lost, or a cluster member leaves, before the answer came (the request may have been routed
    /// to that member and be lost with it), and with RequestTimedOut when no gateway answers in time.
    /// </summary>
    internal async Task<T> RequestAsync<T>(IPlatformMessage request, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        var wait = timeout ?? Settings.RequestTimeout;
        IActorRef gateway;
        Task lost;
        Task memberLeft;
        lock (_lock) memberLeft = _memberLeft.Task;
        try
        {
            (gateway, lost) = await CurrentAsync(wait, cancellationToken);
        }
        catch (TimeoutException)
        {
            throw new PlatformException(ErrorCode.RequestTimedOut,
                $"No node of {string.Join(", ", Settings.BootstrapServers)} reachable within {wait.TotalSeconds:0.#} s");
        }
        var ask = gateway.Ask<T>(request, wait, cancellationToken);
        var first = await Task.WhenAny(ask, lost, memberLeft);
        if (first != ask)
        {
            _ = ask.ContinueWith(t => t.Exception, TaskContinuationOptions.OnlyOnFaulted); // observed: its answer no longer matters
            throw new PlatformException(ErrorCode.NetworkException, first == lost
                ? $"The connection to {gateway.Path.Address} broke before {request.GetType().Name} was answered"
                : $"A cluster member left before {request.GetType().Name} was answered");
        }
        try
        {
            return await ask;
        }
        catch (AskTimeoutException)
        {
            throw new PlatformException(ErrorCode.RequestTimedOut, $"No answer to {request.GetType().Name} within {wait.TotalSeconds:0.#} s");
        }
    }

    /// <summary>
    /// <see cref="RequestAsync{T}"/> for requests that are safe to repeat (reads, lookups): retried through
    /// the next node while the error is retriable, until <see cref="ClientSettings.RequestTimeout"/> has passed.
    /// </summary>
    internal async Task<T> RequestWithRetriesAsync<T>(IPlatformMessage request, CancellationToken cancellationToken = default)
    {
        var deadline = DateTime.UtcNow + Settings.RequestTimeout;
        while (true)
        {
            try
            {
                return await RequestAsync<T>(request, deadline - DateTime.UtcNow, cancellationToken);
            }
            catch (PlatformException e) when (e.Code.IsRetriable() && DateTime.UtcNow + Settings.RetryBackoff < deadline)
            {
                await Task.Delay(Settings.RetryBackoff, cancellationToken);
            }
        }
    }

    private async Task<(IActorRef Gateway, Task Lost)> CurrentAsync(TimeSpan wait, CancellationToken cancellationToken)
    {
        Task<IActorRef> available;
        lock (_lock)
        {
            if (_gateway is { } current) return (current, _lost.Task);
            available = _available.Task;
        }
        await available.WaitAsync(wait, cancellationToken);
        lock (_lock) return (_gateway ?? available.Result, _lost.Task);
    }

    internal async Task<TopicInfo> GetTopicAsync(string topic, bool allowAutoCreate, CancellationToken cancellationToken = default)
    {
        var request = new GetTopics([topic], allowAutoCreate);
        var result = allowAutoCreate
            ? await RequestAsync<TopicsResult>(request, cancellationToken: cancellationToken)
            : await RequestWithRetriesAsync<TopicsResult>(request, cancellationToken);
        var lookup = result.Topics.Single();
        if (lookup.Error != ErrorCode.None) throw new PlatformException(lookup.Error, lookup.ErrorMessage ?? lookup.Error.ToString());
        return lookup.Topic!;
    }

    /// <summary>Called by the link when the gateway in use was Terminated.</summary>
    internal void OnGatewayLost(IActorRef gateway)
    {
        TaskCompletionSource lost;
        lock (_lock)
        {
            if (!Equals(_gateway, gateway)) return;
            _gateway = null;
            _available = NewAvailable();
            lost = _lost;
            _lost = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
        lost.TrySetResult();
    }

    /// <summary>Called by the link when a member left the cluster: requests in flight may have gone with it.</summary>
    internal void OnMemberLeft()
    {
        TaskCompletionSource left;
        lock (_lock)
        {
            left = _memberLeft;
            _memberLeft = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
        left.TrySetResult();
    }

    /// <summary>Called by the link when it found a gateway on another (or the same, restarted) node.</summary>
    internal void OnGatewayFound(IActorRef gateway)
    {
        TaskCompletionSource<IActorRef> available;
        lock (_lock)
        {
            _gateway = gateway;
            available = _available;
        }
        available.TrySetResult(gateway);
    }

    private static TaskCompletionSource<IActorRef> NewAvailable() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    public async ValueTask DisposeAsync()
    {
        System.Stop(Link);
        if (_ownsSystem) await System.Terminate();
    }
}

/// <summary>
/// Watches the connection's gateway; when it is Terminated (the node stopped, crashed or was downed),
/// tells subscribers, then asks each bootstrap server in turn, starting after the lost one, for its
/// gateway until one answers. Identify is Akka's way to resolve a remote actor without blocking.
/// </summary>
internal sealed class ConnectionLink : ReceiveActor, IWithTimers
{
    internal sealed record Subscribe(IActorRef Subscriber);

    internal sealed record GatewayUp(IActorRef Gateway);

    internal sealed record GatewayDown(IActorRef Gateway);

    /// <summary>A member left the cluster (the gateway's <see cref="Actors.Gateway.MemberLeft"/>, passed on).</summary>
    internal sealed record MemberGone(string Address);

    private sealed record ProbeTimedOut(long Attempt);

    private sealed class RenewSubscription
    {
        public static readonly RenewSubscription Instance = new();
    }

    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(1);

    private readonly PlatformConnection _connection;
    private readonly HashSet<IActorRef> _subscribers = new();
    private IActorRef? _gateway;
    private int _serverIndex;
    private long _attempt;

    public ConnectionLink(PlatformConnection connection, IActorRef gateway, int serverIndex)
    {
        _connection = connection;
        _serverIndex = serverIndex;
        Use(gateway);

        Receive<Subscribe>(subscribe =>
        {
            _subscribers.Add(subscribe.Subscriber);
            Context.Watch(subscribe.Subscriber);
            if (_gateway is { } current) subscribe.Subscriber.Tell(new GatewayUp(current));
        });
        Receive<Terminated>(terminated =>
        {
            if (_subscribers.Remove(terminated.ActorRef)) return;
            if (!Equals(terminated.ActorRef, _gateway)) return;
            var lost = _gateway!;
            _gateway = null;
            _connection.OnGatewayLost(lost);
            foreach (var subscriber in _subscribers) subscriber.Tell(new GatewayDown(lost));
            Context.System.Log.Warning("Platform client: lost the node at {0}; trying the other bootstrap servers", lost.Path.Address);
            Probe();
        });
        Receive<ActorIdentity>(identity =>
        {
            if (_gateway is not null || identity.MessageId is not long attempt || attempt != _attempt) return;
            if (identity.Subject is { } found)
            {
                Timers.Cancel("probe");
                Use(found);
                _connection.OnGatewayFound(found);
                foreach (var subscriber in _subscribers) subscriber.Tell(new GatewayUp(found));
                Context.System.Log.Info("Platform client: now talking to the node at {0}", found.Path.Address);
            }
        });
        Receive<Actors.Gateway.MemberLeft>(left =>
        {
            _connection.OnMemberLeft();
            foreach (var subscriber in _subscribers) subscriber.Tell(new MemberGone(left.Address));
        });
        // The gateway leases membership subscriptions (it does not watch clients): renew well within 30 s.
        Receive<RenewSubscription>(_ => _gateway?.Tell(Actors.Gateway.SubscribeMembership.Instance));
        Receive<ProbeTimedOut>(timedOut =>
        {
            if (_gateway is null && timedOut.Attempt == _attempt) Probe();
        });
    }

    public ITimerScheduler Timers { get; set; } = null!;

    protected override void PreStart() =>
        Timers.StartPeriodicTimer("renew", RenewSubscription.Instance, TimeSpan.FromSeconds(10));

    private void Use(IActorRef gateway)
    {
        _gateway = gateway;
        Context.Watch(gateway);
        gateway.Tell(Actors.Gateway.SubscribeMembership.Instance);
    }

    private void Probe()
    {
        var servers = _connection.Settings.BootstrapServers;
        _serverIndex = (_serverIndex + 1) % servers.Count;
        _attempt++;
        PlatformConnection.GatewaySelection(Context.System, servers[_serverIndex]).Tell(new Identify(_attempt));
        Timers.StartSingleTimer("probe", new ProbeTimedOut(_attempt), ProbeTimeout);
    }
}
