using Confluent.Kafka;
using TopicPartition = Confluent.Kafka.TopicPartition;
using Confluent.Kafka.Admin;
using Platform.Specs.Support;

namespace Platform.Specs.Kafka;

/// <summary>DeleteRecords through Confluent.Kafka holds after the node restarts on the same data directory.</summary>
[Trait("Category", "Kafka")]
public sealed class KafkaDeleteRecordsRestartSpecs
{
    [Fact]
    public async Task Records_deleted_before_a_restart_stay_deleted_after_it()
    {
        const string name = "deleted-then-restarted";
        var dataDir = TestNode.NewDataDir();
        var node = await TestNode.StartAsync(dataDir);
        try
        {
            using (var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = node.KafkaEndpoint }).Build())
            {
                await admin.CreateTopicsAsync([new TopicSpecification { Name = name, NumPartitions = 1 }]);
                using (var producer = new ProducerBuilder<Null, string>(new ProducerConfig { BootstrapServers = node.KafkaEndpoint, LingerMs = 0 }).Build())
                {
                    for (var i = 0; i < 10; i++) await producer.ProduceAsync(name, new Message<Null, string> { Value = "v" + i });
                }
                var deleted = await admin.DeleteRecordsAsync([new TopicPartitionOffset(name, 0, 6)]);
                Assert.Equal(6, deleted[0].Offset.Value);
            }
        }
        finally
        {
            await node.StopAsync();
        }

        node = await TestNode.StartAsync(dataDir);
        try
        {
            using var consumer = new ConsumerBuilder<Null, string>(new ConsumerConfig
            {
                BootstrapServers = node.KafkaEndpoint,
                GroupId = "restart-" + Guid.NewGuid().ToString("N"),
                EnableAutoCommit = false,
            }).Build();
            var tp = new TopicPartition(name, 0);
            var watermarks = consumer.QueryWatermarkOffsets(tp, TimeSpan.FromSeconds(10));
            Assert.Equal((6L, 10L), (watermarks.Low.Value, watermarks.High.Value));
            consumer.Assign(new TopicPartitionOffset(tp, Offset.Beginning));
            var first = consumer.Consume(TimeSpan.FromSeconds(10));
            Assert.NotNull(first);
            Assert.Equal((6L, "v6"), (first.Offset.Value, first.Message.Value));
        }
        finally
        {
            await node.StopAsync();
        }
    }
}
