using System.Globalization;
using Akka.Actor;
using Platform.Actors.Kafka;
using Platform.Actors.Partitions;
using Platform.Actors.Topics;

namespace Platform.Actors.Metrics;

/// <summary>
/// Partitions with no live host, Kafka's offline partitions: those whose shard had a home once and now has
/// none among the members this node sees Up and reachable (its node is unreachable, or died or left and the
/// shard has not been allocated again). A shard never allocated is not counted: its first request places it.
/// </summary>
internal static class UnderServedPartitions
{
    public static int Count(IEnumerable<TopicInfo> topics, Placement placement, int numberOfShards, Func<Address, bool> live)
    {
        var count = 0;
        foreach (var topic in topics)
        for (var p = 0; p < topic.PartitionCount; p++)
        {
            var shard = PartitionEntity.ShardOf(PartitionEntity.EntityId(topic.TopicId, p), numberOfShards).ToString(CultureInfo.InvariantCulture);
            if (!placement.PartitionShardPlacedBefore(shard)) continue;
            if (placement.PartitionShardHome(shard) is not { } home || !live(home)) count++;
        }
        return count;
    }
}
