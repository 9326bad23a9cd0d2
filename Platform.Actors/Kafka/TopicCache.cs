using System.Collections.Immutable;
using Akka.Actor;
using Platform.Actors.Configuration;
using Platform.Actors.Topics;

namespace Platform.Actors.Kafka;

/// <summary>
/// The node's copy of the topic list, by name and by id, for the Kafka listener: every produce and fetch
/// names its topic, and looking that up must not cost a message. The registry pushes the whole list after
/// every change to a <see cref="TopicCacheSubscriber"/>; until the first list arrives, <see cref="Ready"/> is
/// false and lookups go to the registry instead.
/// </summary>
internal sealed class TopicCache
{
    private volatile Snapshot _snapshot = new(ImmutableDictionary<string, TopicInfo>.Empty, ImmutableDictionary<Guid, TopicInfo>.Empty, false);

    private sealed record Snapshot(ImmutableDictionary<string, TopicInfo> ByName, ImmutableDictionary<Guid, TopicInfo> ById, bool Ready);

    public bool Ready => _snapshot.Ready;

    public TopicInfo? Find(string name) => _snapshot.ByName.GetValueOrDefault(name);

    public TopicInfo? Find(Guid topicId) => _snapshot.ById.GetValueOrDefault(topicId);

    public IEnumerable<TopicInfo> All => _snapshot.ByName.Values;

    internal void Update(IReadOnlyList<TopicInfo> topics) =>
        _snapshot = new Snapshot(topics.ToImmutableDictionary(t => t.Name), topics.ToImmutableDictionary(t => t.TopicId), true);

    /// <summary>A topic just deleted through this node, gone before the registry's push arrives.</summary>
    internal void Remove(Guid topicId)
    {
        var s = _snapshot;
        if (s.ById.TryGetValue(topicId, out var old))
            _snapshot = s with { ByName = s.ByName.Remove(old.Name), ById = s.ById.Remove(topicId) };
    }

    /// <summary>A topic just created or changed through this node, visible before the registry's push arrives.</summary>
    internal void Upsert(TopicInfo topic)
    {
        var s = _snapshot;
        var byName = s.ByName;
        if (s.ById.TryGetValue(topic.TopicId, out var old)) byName = byName.Remove(old.Name);
        _snapshot = s with { ByName = byName.SetItem(topic.Name, topic), ById = s.ById.SetItem(topic.TopicId, topic) };
    }
}

/// <summary>Keeps a <see cref="TopicCache"/> current by subscribing to the topic registry (a singleton that may move).</summary>
internal sealed class TopicCacheSubscriber : ReceiveActor, IWithTimers
{
    private sealed class Resubscribe
    {
        public static readonly Resubscribe Instance = new();
    }

    private readonly IActorRef _registry;
    private readonly NodeSettings _node;

    public TopicCacheSubscriber(TopicCache cache, IActorRef registry, NodeSettings node)
    {
        _registry = registry;
        _node = node;
        Receive<TopicsChanged>(changed => cache.Update(changed.Topics));
        Receive<Resubscribe>(_ => _registry.Tell(SubscribeTopics.Instance));
    }

    public ITimerScheduler Timers { get; set; } = null!;

    protected override void PreStart()
    {
        _registry.Tell(SubscribeTopics.Instance);
        // Subscribing again is idempotent and cheap; it re-attaches after a singleton hand-over.
        Timers.StartPeriodicTimer("resubscribe", Resubscribe.Instance, _node.RegistryResubscribeDelay, _node.RegistryResubscribeInterval);
    }

    public static Props Props(TopicCache cache, IActorRef registry, NodeSettings node) =>
        Akka.Actor.Props.Create(() => new TopicCacheSubscriber(cache, registry, node));
}
