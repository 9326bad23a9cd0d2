using Platform.Actors.Configuration;

namespace Platform.Actors.Topics;

/// <summary>
/// What the topic registry lets clients create. Every partition is a persistent actor with timers and a share of
/// the tail cache, and every topic is metadata each node holds and sends to clients, so one request must not be
/// able to ask for millions of either.
/// </summary>
/// <param name="MaxPartitionsPerTopic">A topic's partitions, at most (created or grown): INVALID_PARTITIONS beyond.</param>
/// <param name="MaxTopics">Topics in the cluster, at most: POLICY_VIOLATION beyond.</param>
/// <param name="MaxPartitions">Partitions of all topics together, at most: POLICY_VIOLATION beyond.</param>
/// <param name="MaxMessageBytes">The largest max.message.bytes a topic may have: the request frame limit, since a larger
/// batch could never be produced.</param>
internal sealed record TopicLimits(int MaxPartitionsPerTopic, int MaxTopics, int MaxPartitions, int MaxMessageBytes)
{
    public static TopicLimits Of(NodeSettings node, KafkaSettings kafka) =>
        new(node.MaxPartitionsPerTopic, node.MaxTopics, node.MaxPartitions, kafka.SocketRequestMaxBytes);
}
