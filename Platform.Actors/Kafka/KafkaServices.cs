using System.Globalization;
using Akka.Actor;
using Platform.Actors.Configuration;
using Platform.Actors.Groups;
using Platform.Actors.Partitions;
using Platform.Actors.Serialization;
using Platform.Actors.Topics;

namespace Platform.Actors.Kafka;

/// <summary>
/// What the Kafka API handlers reach on their node: the shard regions and singletons requests are mapped
/// onto, and the node-local views (topics, placement, brokers) that keep metadata answers free of messages.
/// </summary>
internal sealed record KafkaServices(
    ActorSystem System,
    IActorRef Partitions,
    IActorRef Groups,
    GroupRouter GroupRouter,
    IActorRef Registry,
    IActorRef GroupDirectory,
    IActorRef Gateway,
    IActorRef ProducerIds,
    TopicCache Topics,
    Placement Placement,
    KafkaBrokers Brokers,
    KafkaSettings Settings,
    NodeSettings Node,
    PartitionSettings PartitionSettings,
    GroupSettings GroupSettings)
{
    public TimeSpan RequestTimeout => Settings.RequestTimeout;

    /// <summary>Which producer ids the cluster has handed out, as far as this node knows (a produce checks its batch's).</summary>
    internal AllocatedProducerIds AllocatedProducerIds { get; } = new(ProducerIds, Settings.SingletonRequestTimeout);

    /// <summary>The cluster id of the node's journal (<see cref="Storage.ClusterIdentity"/>), which Metadata and DescribeCluster report.</summary>
    public required string ClusterId { get; init; }

    /// <summary>The node's instruments the handlers record into; null where a spec builds handlers without a node.</summary>
    internal Metrics.BrokerMetrics? Metrics { get; init; }

    /// <summary>Tells when a member a request went to can no longer answer it; null where a spec builds handlers without a node.</summary>
    internal MemberLoss? MemberLoss { get; init; }

    /// <summary>The node id of the member hosting the partition (its leader), or this node's if not known yet.</summary>
    public int LeaderOf(Guid topicId, int partition) => Brokers.NodeIdOf(PartitionHome(topicId, partition));

    /// <summary>The member hosting the partition as last seen, or null if not known yet.</summary>
    public Akka.Actor.Address? PartitionHome(Guid topicId, int partition)
    {
        var shard = PartitionEntity.ShardOf(PartitionEntity.EntityId(topicId, partition), PartitionSettings.NumberOfShards);
        return Placement.PartitionShardHome(shard.ToString(CultureInfo.InvariantCulture));
    }

    /// <summary>
    /// Cancelled when the member hosting the partition (as last seen) is lost: a request sent there through
    /// sharding will not be answered (<see cref="Kafka.MemberLoss"/>).
    /// </summary>
    public CancellationToken PartitionHomeLost(Guid topicId, int partition) =>
        MemberLoss?.Of(PartitionHome(topicId, partition)) ?? CancellationToken.None;

    /// <summary>The node id of the member hosting the group's coordinator, or this node's if not known yet.</summary>
    public int CoordinatorOf(string groupId)
    {
        var shard = PartitionEntity.ShardOf(groupId, GroupSettings.NumberOfShards);
        return Brokers.NodeIdOf(Placement.GroupShardHome(shard.ToString(CultureInfo.InvariantCulture)));
    }

    /// <summary>
    /// A topic by name from the node's cache, or from the registry when the cache does not know it (it may
    /// lag a create on another node) or when <paramref name="autoCreate"/> may create it.
    /// </summary>
    public async Task<TopicLookup> LookupAsync(string name, bool autoCreate)
    {
        if (Topics.Find(name) is { } known) return new TopicLookup(name, ErrorCode.None, null, known);
        var result = await Registry.Ask<TopicsResult>(new GetTopics([name], autoCreate && Node.AutoCreateTopics), RequestTimeout);
        var lookup = result.Topics.Count > 0 ? result.Topics[0] : new TopicLookup(name, ErrorCode.UnknownTopicOrPartition, $"Unknown topic {name}", null);
        if (lookup.Topic is { } topic) Topics.Upsert(topic);
        return lookup;
    }

    /// <summary>
    /// Sends a create, delete or alter to the topic registry; a registry that does not answer in time is a
    /// REQUEST_TIMED_OUT result, never an exception. A change that took effect is put into the node's topic
    /// cache at once, so this client's next request sees it.
    /// </summary>
    public async Task<TopicCommandResult> TopicCommandAsync(IPlatformMessage command, bool validateOnly)
    {
        TopicCommandResult result;
        try
        {
            result = await Registry.Ask<TopicCommandResult>(command, RequestTimeout);
        }
        catch (Exception e) when (e is AskTimeoutException or TaskCanceledException)
        {
            return new TopicCommandResult(ErrorCode.RequestTimedOut, "The topic registry did not answer within the request timeout", null);
        }
        if (result is { Error: ErrorCode.None, Topic: { } topic } && !validateOnly)
        {
            if (command is DeleteTopic) Topics.Remove(topic.TopicId);
            else Topics.Upsert(topic);
        }
        return result;
    }
}
