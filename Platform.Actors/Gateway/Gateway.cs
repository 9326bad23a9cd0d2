using System.Diagnostics;
using Akka.Actor;
using Akka.Cluster;
using Platform.Actors.Configuration;
using Platform.Actors.Groups;
using Platform.Actors.Log;
using Platform.Protocol.Records;
using Platform.Actors.Partitions;
using Platform.Actors.Topics;

namespace Platform.Actors.Gateway;

/// <summary>
/// A node's entry point for remote clients, at <c>/user/gateway</c>. It routes partition requests to the
/// shard region using a cache of topic metadata that the registry keeps current, and forwards admin
/// requests to the registry. It never waits on anything: every request is forwarded, so replies go from
/// the partition or registry straight to the client.
/// </summary>
public sealed class Gateway : ReceiveActor, IWithUnboundedStash, IWithTimers
{
    public const string Name = "gateway";

    private sealed class Resubscribe
    {
        public static readonly Resubscribe Instance = new();
    }

    private readonly IActorRef _registry;
    private readonly IActorRef _partitions;
    private readonly IActorRef _groups;
    private readonly GroupRouter _groupRouter;
    private readonly IActorRef _groupDirectory;
    private Dictionary<Guid, TopicInfo> _topics = new();
    /// <summary>
    /// Clients to tell about members leaving, with when each last subscribed. Leased rather than watched:
    /// remote DeathWatch on every client would quarantine a client whose process stalls for a couple of
    /// seconds, cutting it off for good. Clients renew every few seconds; silent ones are dropped.
    /// </summary>
    private readonly Dictionary<IActorRef, DateTime> _membershipSubscribers = new();
    private readonly GatewaySettings _settings;
    private readonly NodeSettings _node;

    private sealed class ExpireSubscribers
    {
        public static readonly ExpireSubscribers Instance = new();
    }

    public Gateway(IActorRef registry, IActorRef partitions, IActorRef groups, GroupRouter groupRouter, IActorRef groupDirectory,
        GatewaySettings settings, NodeSettings node)
    {
        _groupRouter = groupRouter;
        _settings = settings;
        _node = node;
        _registry = registry;
        _partitions = partitions;
        _groups = groups;
        _groupDirectory = groupDirectory;
        Starting();
    }

    public IStash Stash { get; set; } = null!;

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(IActorRef registry, IActorRef partitions, IActorRef groups, GroupRouter groupRouter, IActorRef groupDirectory,
        GatewaySettings settings, NodeSettings node) =>
        Akka.Actor.Props.Create(() => new Gateway(registry, partitions, groups, groupRouter, groupDirectory, settings, node));

    protected override void PreStart()
    {
        _registry.Tell(SubscribeTopics.Instance);
        // The registry is a singleton that may move; subscribing again is idempotent and cheap.
        Timers.StartPeriodicTimer("resubscribe", Resubscribe.Instance, _node.RegistryResubscribeDelay, _node.RegistryResubscribeInterval);
        Cluster.Get(Context.System).Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsEvents, typeof(ClusterEvent.MemberRemoved));
        Timers.StartPeriodicTimer("expire-subscribers", ExpireSubscribers.Instance, _settings.MembershipLease);
    }

    protected override void PostStop() => Cluster.Get(Context.System).Unsubscribe(Self);

    /// <summary>Until the first topic list arrives, partition requests wait rather than fail as unknown.</summary>
    private void Starting()
    {
        Receive<TopicsChanged>(changed =>
        {
            Update(changed);
            Become(Ready);
            Stash.UnstashAll();
        });
        Receive<IPartitionRequest>(_ => Stash.Stash());
        Common();
    }

    private void Ready()
    {
        Receive<TopicsChanged>(Update);
        Receive<IPartitionRequest>(request =>
        {
            if (_topics.TryGetValue(request.TopicId, out var topic) && request.Partition >= 0 && request.Partition < topic.PartitionCount)
                _partitions.Forward(request);
            else
                _registry.Forward(request); // the cache may be behind the registry; it decides
        });
        Common();
    }

    private void Common()
    {
        Receive<Resubscribe>(_ => _registry.Tell(SubscribeTopics.Instance));
        Receive<SubscribeMembership>(_ => _membershipSubscribers[Sender] = DateTime.UtcNow);
        Receive<ExpireSubscribers>(_ =>
        {
            var cutoff = DateTime.UtcNow - _settings.MembershipLease;
            foreach (var gone in _membershipSubscribers.Where(s => s.Value < cutoff).Select(s => s.Key).ToList())
                _membershipSubscribers.Remove(gone);
        });
        Receive<ClusterEvent.MemberRemoved>(removed =>
        {
            var left = new MemberLeft($"{removed.Member.Address.Host}:{removed.Member.Address.Port}");
            foreach (var subscriber in _membershipSubscribers.Keys) subscriber.Tell(left);
        });
        Receive<CreateTopic>(m => _registry.Forward(m));
        Receive<DeleteTopic>(m => _registry.Forward(m));
        Receive<CreatePartitions>(m => _registry.Forward(m));
        Receive<GetTopics>(m => _registry.Forward(m));
        Receive<IGroupMessage>(m => _groupRouter.Route(m, Sender));
        Receive<ListGroups>(m => _groupDirectory.Forward(m));
        Receive<ListGroupStates>(m => _groupDirectory.Forward(m));
        Receive<GetClusterStatus>(_ => Context.ActorOf(ClusterStatusCollector.Props(Sender, _partitions, _groups,
            _settings.ClusterStatusTimeout, _node.ShardStatsGrace)));
        Receive<GetNodeStats>(_ =>
        {
            using var process = Process.GetCurrentProcess();
            var address = Cluster.Get(Context.System).SelfAddress;
            Sender.Tell(new NodeStats($"{address.Host}:{address.Port}", process.WorkingSet64, process.PeakWorkingSet64,
                GC.GetTotalMemory(false), TailCacheBudget.For(Context.System).UsedBytes));
        });
    }

    private void Update(TopicsChanged changed) => _topics = changed.Topics.ToDictionary(t => t.TopicId);
}
