using Akka.Actor;
using Platform.Actors.Configuration;
using Platform.Actors.Groups;
using Platform.Actors.Log;
using Platform.Protocol.Records;
using Platform.Actors.Partitions;
using Platform.Actors.Topics;

namespace Platform.Actors.Gateway;

/// <summary>
/// A node's in-process router for actor messages, at <c>/user/gateway</c> (clients reach the node through the
/// Kafka listener, never through here). The listener asks it for the cluster status, and the TestKit specs
/// talk to partitions and coordinators through it. It routes partition requests to the shard region using
/// a cache of topic metadata that the registry keeps current, and forwards admin requests to the registry. It never waits on anything: every request is forwarded, so replies go from
/// the partition or registry straight to the client.
/// </summary>
internal sealed class Gateway : ReceiveActor, IWithUnboundedStash, IWithTimers
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
    private readonly GatewaySettings _settings;
    private readonly NodeSettings _node;

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
    }

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
        Receive<CreateTopic>(m => _registry.Forward(m));
        Receive<DeleteTopic>(m => _registry.Forward(m));
        Receive<CreatePartitions>(m => _registry.Forward(m));
        Receive<GetTopics>(m => _registry.Forward(m));
        Receive<IGroupMessage>(m => _groupRouter.Route(m, Sender));
        Receive<ListGroups>(m => _groupDirectory.Forward(m));
        Receive<ListGroupStates>(m => _groupDirectory.Forward(m));
        Receive<GetClusterStatus>(_ => Context.ActorOf(ClusterStatusCollector.Props(Sender, _partitions, _groups,
            _settings.ClusterStatusTimeout, _node.ShardStatsGrace)));
    }

    private void Update(TopicsChanged changed) => _topics = changed.Topics.ToDictionary(t => t.TopicId);
}
