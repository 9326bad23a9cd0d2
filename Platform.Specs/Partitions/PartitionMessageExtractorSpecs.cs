using System.Globalization;
using Platform.Actors.Partitions;

namespace Platform.Specs.Partitions;

/// <summary>
/// The extractor remembers each partition's entity and shard ids (sharding asks twice per message); what it
/// remembers must be what <see cref="PartitionEntity"/> computes, on every node, or messages would reach the wrong
/// entity or shard.
/// </summary>
public sealed class PartitionMessageExtractorSpecs
{
    [Fact]
    public void Remembered_ids_are_the_computed_ones_for_every_message_of_a_partition()
    {
        var extractor = new PartitionMessageExtractor(100);
        var topics = Enumerable.Range(0, 20).Select(_ => Guid.NewGuid()).ToList();
        for (var round = 0; round < 2; round++) // the second round is served from the cache
        foreach (var topic in topics)
        for (var p = 0; p < 50; p++)
        {
            object message = new Fetch(topic, p, 0, 1024, 0, 0);
            var entityId = PartitionEntity.EntityId(topic, p);
            Assert.Equal(entityId, extractor.EntityId(message));
            Assert.Equal(PartitionEntity.ShardOf(entityId, 100).ToString(CultureInfo.InvariantCulture), extractor.ShardId(message));
            Assert.Equal(extractor.ShardId(message), extractor.ShardId(entityId));
        }
        Assert.Null(extractor.EntityId("not a partition message"));
    }
}
