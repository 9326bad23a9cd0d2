using System.Runtime.InteropServices;
using System.Text;
using Platform.Client;
using Platform.Protocol.Records;
using Platform.Specs.Support;

namespace Platform.Specs.Client;

/// <summary>
/// The consumer's read path without timing (issue #16): a fetch response is copied once, off the socket, and the
/// records handed out point into that copy. A consumer that copied the response again per partition, or each key
/// and value into arrays of their own, fails it: the values would then not lie in an array that also holds the
/// response's topic name. And the fetcher runs ahead of the application within its buffer, leaving the decoding to
/// the application's thread: a consumer that decoded before its next fetch fails it. A real node over the Kafka
/// listener.
/// </summary>
[Trait("Category", "Kafka")]
public sealed class ConsumerFetchBufferSpecs
{
    [Theory]
    [InlineData(CompressionType.None)]
    [InlineData(CompressionType.Gzip)]
    public async Task Consumed_records_point_into_the_fetched_response_and_read_back_what_was_produced(CompressionType compression)
    {
        var node = await TestNode.StartAsync();
        try
        {
            await using var connection = await PlatformConnection.ConnectAsync(node.KafkaEndpoint,
                Akka.Configuration.ConfigurationFactory.ParseString($"platform.client.producer.compression = {compression.ToString().ToLowerInvariant()}"));
            var topic = $"fetch-buffer-{compression}".ToLowerInvariant();
            await new PlatformAdmin(connection).CreateTopicAsync(topic, 1);
            var values = Enumerable.Range(0, 300).Select(i => Encoding.UTF8.GetBytes($"{i:D4}-" + new string((char)('a' + i % 26), 1019))).ToList();
            await using (var producer = new PlatformProducer(connection))
            {
                await Task.WhenAll(values.Select((v, i) => producer.ProduceAsync(topic, new Message(i % 3 == 0 ? null : [(byte)i], v))));
            }

            await using var consumer = new PlatformConsumer(connection, AutoOffsetReset.Earliest);
            consumer.Assign([new TopicPartitionOffset(topic, 0, TopicPartitionOffset.Beginning)]);
            var records = new List<ConsumeResult>();
            while (records.Count < values.Count && await consumer.ConsumeAsync(TimeSpan.FromSeconds(10)) is { } record) records.Add(record);

            Assert.Equal(values.Count, records.Count);
            for (var i = 0; i < values.Count; i++)
            {
                Assert.Equal(i, records[i].Offset);
                Assert.Equal(values[i], records[i].ValueMemory!.Value.ToArray());
                Assert.Equal(values[i], records[i].Value);
                Assert.Equal(i % 3 == 0 ? null : new[] { (byte)i }, records[i].Key);
                Assert.Equal(i % 3 == 0, records[i].KeyMemory is null);
            }

            var buffers = records.Select(r => MemoryMarshal.TryGetArray(r.ValueMemory!.Value, out var segment) ? segment.Array! : null).ToList();
            Assert.DoesNotContain(null, buffers);
            // Far fewer buffers than records: records share the buffer they were fetched in.
            Assert.True(buffers.Distinct().Count() <= values.Count / 10, $"{buffers.Distinct().Count()} buffers for {values.Count} records");
            if (compression == CompressionType.None)
            {
                // Uncompressed, that buffer is the Fetch response itself (it names the topic), not a copy of a partition's records.
                var name = Encoding.UTF8.GetBytes(topic);
                Assert.All(buffers.Distinct(), buffer => Assert.True(buffer!.AsSpan().IndexOf(name) >= 0));
            }
        }
        finally
        {
            await node.StopAsync();
        }
    }

    [Fact]
    public async Task The_fetcher_runs_ahead_within_the_buffer_and_leaves_decoding_to_the_application()
    {
        var node = await TestNode.StartAsync();
        try
        {
            // One record a batch and one batch a fetch (a fetch returns at least one batch, whatever its size limit),
            // so the buffer's count moves a record at a time.
            await using var connection = await PlatformConnection.ConnectAsync(node.KafkaEndpoint, Akka.Configuration.ConfigurationFactory.ParseString(
                "platform.client.consumer { buffered-records = 5, max-partition-fetch-bytes = 1 }"));
            const string topic = "fetch-ahead";
            await new PlatformAdmin(connection).CreateTopicAsync(topic, 1);
            await using (var producer = new PlatformProducer(connection))
            {
                for (var i = 0; i < 20; i++) await producer.ProduceAsync(topic, new Message(null, [(byte)i]));
            }

            await using var consumer = new PlatformConsumer(connection, AutoOffsetReset.Earliest);
            consumer.Assign([new TopicPartitionOffset(topic, 0, TopicPartitionOffset.Beginning)]);
            // Fetched ahead up to the buffer's bound without the application asking, and none of it decoded yet.
            await Eventually.TrueAsync(() => consumer.BufferedRecords == 5, "the fetcher fills the buffer");
            Assert.Equal(0, consumer.DecodedRecords);

            var offsets = new List<long>();
            var mostBuffered = 0;
            while (offsets.Count < 20 && await consumer.ConsumeAsync(TimeSpan.FromSeconds(10)) is { } record)
            {
                offsets.Add(record.Offset);
                Assert.Equal([(byte)record.Offset], record.Value!);
                // Decoded as reached: this record's chunk, never the ones fetched after it.
                Assert.Equal(offsets.Count, consumer.DecodedRecords);
                mostBuffered = Math.Max(mostBuffered, consumer.BufferedRecords);
            }

            Assert.Equal(Enumerable.Range(0, 20).Select(i => (long)i), offsets);
            Assert.True(mostBuffered <= 5, $"{mostBuffered} records buffered, more than buffered-records (5)");
        }
        finally
        {
            await node.StopAsync();
        }
    }
}
