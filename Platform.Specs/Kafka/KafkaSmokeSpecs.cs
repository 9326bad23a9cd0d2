using System.Text;
using Confluent.Kafka;
using Platform.Specs.Support;

namespace Platform.Specs.Kafka;

/// <summary>The Kafka listener's basic round trip with Confluent.Kafka (librdkafka), an unmodified Kafka client.</summary>
[Trait("Category", "Kafka")]
public sealed class KafkaSmokeSpecs(KafkaNodeFixture fixture) : IClassFixture<KafkaNodeFixture>
{
    [Fact]
    public async Task Records_produced_with_Confluent_Kafka_are_consumed_back_with_keys_values_headers_and_order()
    {
        const string topic = "smoke";
        await fixture.CreateTopicAsync(topic, 3);
        using (var producer = new ProducerBuilder<string, string>(fixture.ProducerConfig()).Build())
        {
            for (var i = 0; i < 300; i++)
            {
                var headers = new Headers { { "n", Encoding.UTF8.GetBytes(i.ToString()) } };
                await producer.ProduceAsync(topic, new Message<string, string> { Key = "k" + (i % 7), Value = "v" + i, Headers = headers });
            }
        }

        using var consumer = new ConsumerBuilder<string, string>(fixture.ConsumerConfig()).Build();
        consumer.Assign(Enumerable.Range(0, 3).Select(p => new TopicPartitionOffset(topic, p, Offset.Beginning)));
        var seen = new List<ConsumeResult<string, string>>();
        await Eventually.TrueAsync(() =>
        {
            if (consumer.Consume(TimeSpan.FromMilliseconds(200)) is { IsPartitionEOF: false } result) seen.Add(result);
            return seen.Count >= 300;
        }, "300 records consumed", TimeSpan.FromSeconds(30), TimeSpan.Zero);
        Assert.Equal(300, seen.Count);
        // Same key, same partition, and in production order within it.
        foreach (var byKey in seen.GroupBy(r => r.Message.Key))
        {
            Assert.Single(byKey.Select(r => r.Partition.Value).Distinct());
            var numbers = byKey.Select(r => int.Parse(r.Message.Value[1..])).ToList();
            Assert.Equal(numbers.Order(), numbers);
        }
        Assert.All(seen, r => Assert.Equal(r.Message.Value[1..], Encoding.UTF8.GetString(r.Message.Headers.GetLastBytes("n"))));
    }
    [Fact]
    public async Task Metadata_v12_carries_topic_ids_and_finds_a_topic_by_id()
    {
        await fixture.CreateTopicAsync("by-id", 2);
        using var client = await RawKafkaClient.ConnectAsync(fixture.Bootstrap);
        var byName = await client.SendAsync<Platform.Protocol.Messages.MetadataResponse>(Platform.Protocol.Messages.ApiKey.Metadata, 12,
            new Platform.Protocol.Messages.MetadataRequest { Topics = [new() { Name = "by-id" }] },
            Platform.Protocol.Messages.MetadataRequest.HeaderVersion, Platform.Protocol.Messages.MetadataResponse.HeaderVersion,
            Platform.Protocol.Messages.MetadataResponse.Read);
        var id = byName.Topics.Single().TopicId;
        Assert.NotEqual(Guid.Empty, id);
        var byId = await client.SendAsync<Platform.Protocol.Messages.MetadataResponse>(Platform.Protocol.Messages.ApiKey.Metadata, 12,
            new Platform.Protocol.Messages.MetadataRequest { Topics = [new() { Name = null, TopicId = id }, new() { Name = null, TopicId = Guid.NewGuid() }] },
            Platform.Protocol.Messages.MetadataRequest.HeaderVersion, Platform.Protocol.Messages.MetadataResponse.HeaderVersion,
            Platform.Protocol.Messages.MetadataResponse.Read);
        Assert.Equal(("by-id", 2), (byId.Topics[0].Name, byId.Topics[0].Partitions.Count));
        Assert.Equal((short)Platform.Protocol.ErrorCode.UnknownTopicId, byId.Topics[1].ErrorCode);
    }
}
