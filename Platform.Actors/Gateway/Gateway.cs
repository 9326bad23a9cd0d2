using System.Diagnostics;
using Akka.Actor;
using Akka.Cluster;
using Platform.Actors.Log;
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
    private Dictionary<Guid, TopicInfo> _topics = new();

    public Gateway(IActorRef registry, IActorRef partitions)
    {
        _registry = registry;
        _partitions = partitions;
        Starting();
    }

    public IStash Stash { get; set; } = null!;

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(IActorRef registry, IActorRef partitions) =>
        Akka.Actor.Props.Create(() => new Gateway(registry, partitions));

    protected override void PreStart()
    {
        _registry.Tell(SubscribeTopics.Instance);
        // The registry is a singleton that may move; subscribing again is idempotent and cheap.
        Timers.StartPeriodicTimer("resubscribe", Resubscribe.Instance, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(10));
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
