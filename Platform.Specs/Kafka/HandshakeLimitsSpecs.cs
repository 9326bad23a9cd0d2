using System.Diagnostics;
using Confluent.Kafka;
using TopicPartition = Confluent.Kafka.TopicPartition;
using Platform.Protocol.Messages;
using Platform.Specs.Support;

namespace Platform.Specs.Kafka;

/// <summary>A node whose connections must send a complete first request within a few seconds, at most a few at a time.</summary>
public sealed class HandshakeLimitedNodeFixture() : KafkaNodeFixture($"""
    platform.kafka.handshake-timeout = {HandshakeTimeoutSeconds}s
    platform.kafka.max-handshaking-connections = {MaxHandshaking}
    """)
{
    public const int HandshakeTimeoutSeconds = 4;

    public const int MaxHandshaking = 10;
}

/// <summary>
/// Raw TCP connections that never send a request, or only half of one, are closed after the handshake timeout;
/// beyond the handshaking cap new ones are closed at once. A real Kafka client (librdkafka) connected meanwhile
/// keeps producing and consuming, and nothing it was acknowledged is lost (issue #12: "connections that never
/// finish their handshake hold up to 16 MiB each, with no limit on their number").
/// </summary>
[Trait("Category", "Kafka")]
public sealed class HandshakeLimitsSpecs(HandshakeLimitedNodeFixture fixture) : IClassFixture<HandshakeLimitedNodeFixture>
{
    private static readonly TimeSpan HandshakeTimeout = TimeSpan.FromSeconds(HandshakeLimitedNodeFixture.HandshakeTimeoutSeconds);

    [Fact(Timeout = 90_000)]
    public async Task Connections_that_send_nothing_or_half_a_first_frame_are_closed_after_the_handshake_timeout_while_a_client_is_served()
    {
        await WaitForNoHandshakesAsync();
        var topic = "handshake-" + Guid.NewGuid().ToString("N")[..8];
        await fixture.CreateTopicAsync(topic, 1);
        var frame = RawKafkaConnection.Frame(ApiKey.Metadata, 9, 1, KafkaRequests.Metadata(topic));
        var stalled = new List<RawKafkaConnection>();
        try
        {
            var opened = Stopwatch.StartNew();
            for (var i = 0; i < 4; i++)
            {
                stalled.Add(await RawKafkaConnection.ConnectAsync(fixture.Bootstrap));
                var half = await RawKafkaConnection.ConnectAsync(fixture.Bootstrap);
                await half.SendAsync(frame[..(frame.Length / 2)]);
                stalled.Add(half);
            }
            await Eventually.ValueAsync(() => fixture.Node.Kafka.HandshakingCount, n => n == stalled.Count, "the stalled connections count as handshaking",
                TimeSpan.FromSeconds(5), TimeSpan.FromMilliseconds(20));

            // A real client is served meanwhile.
            var values = await ProduceAndConsumeAsync(topic, "during", 20);

            var closed = await Task.WhenAll(stalled.Select(c => c.ClosedByNodeWithinAsync(HandshakeTimeout + TimeSpan.FromSeconds(10))));
            Assert.All(closed, Assert.True);
            Assert.True(opened.Elapsed >= HandshakeTimeout - TimeSpan.FromMilliseconds(200), $"closed after {opened.Elapsed}, before the handshake timeout");
            await WaitForNoHandshakesAsync();
            Assert.Equal(values, (await KafkaRequests.FetchValuesAsync(fixture.Bootstrap, topic, 0)).ToList());
        }
        finally
        {
            foreach (var connection in stalled) await connection.DisposeAsync();
        }
    }

    [Fact(Timeout = 90_000)]
    public async Task A_connection_beyond_the_handshaking_cap_is_closed_at_once_and_a_connected_client_keeps_being_served()
    {
        await WaitForNoHandshakesAsync();
        var topic = "handshake-cap-" + Guid.NewGuid().ToString("N")[..8];
        await fixture.CreateTopicAsync(topic, 1);
        using var producer = new ProducerBuilder<Null, string>(new ProducerConfig { BootstrapServers = fixture.Bootstrap, Acks = Acks.All, LingerMs = 0 }).Build();
        await producer.ProduceAsync(new TopicPartition(topic, 0), new Message<Null, string> { Value = "before" });

        var silent = new List<RawKafkaConnection>();
        try
        {
            var opened = Stopwatch.StartNew();
            for (var i = 0; i < HandshakeLimitedNodeFixture.MaxHandshaking; i++) silent.Add(await RawKafkaConnection.ConnectAsync(fixture.Bootstrap));
            await Eventually.ValueAsync(() => fixture.Node.Kafka.HandshakingCount, n => n == HandshakeLimitedNodeFixture.MaxHandshaking,
                "the silent connections fill the handshaking cap", TimeSpan.FromSeconds(5), TimeSpan.FromMilliseconds(20));
            await using (var beyond = await RawKafkaConnection.ConnectAsync(fixture.Bootstrap))
            {
                Assert.True(await beyond.ClosedByNodeWithinAsync(TimeSpan.FromSeconds(2)), "the connection beyond the cap should be closed at once");
            }
            Assert.True(opened.Elapsed < HandshakeTimeout, $"the cap was checked after {opened.Elapsed}, when the silent ones may have timed out");

            // The client connected before the cap filled is still served.
            for (var i = 0; i < 10; i++)
                await producer.ProduceAsync(new TopicPartition(topic, 0), new Message<Null, string> { Value = $"during-{i}" });

            // Once the silent ones time out, new clients get in again.
            Assert.All(await Task.WhenAll(silent.Select(c => c.ClosedByNodeWithinAsync(HandshakeTimeout + TimeSpan.FromSeconds(10)))), Assert.True);
            await WaitForNoHandshakesAsync();
            var after = await ProduceAndConsumeAsync(topic, "after", 5);
            Assert.Equal(["before", .. Enumerable.Range(0, 10).Select(i => $"during-{i}"), .. after],
                (await KafkaRequests.FetchValuesAsync(fixture.Bootstrap, topic, 0)).ToList());
        }
        finally
        {
            foreach (var connection in silent) await connection.DisposeAsync();
        }
    }

    /// <summary>Produces <paramref name="count"/> records with librdkafka and reads them back with its consumer.</summary>
    private async Task<List<string>> ProduceAndConsumeAsync(string topic, string prefix, int count)
    {
        var values = Enumerable.Range(0, count).Select(i => $"{prefix}-{i}").ToList();
        using (var producer = new ProducerBuilder<Null, string>(new ProducerConfig { BootstrapServers = fixture.Bootstrap, Acks = Acks.All, LingerMs = 0 }).Build())
        {
            foreach (var value in values) await producer.ProduceAsync(new TopicPartition(topic, 0), new Message<Null, string> { Value = value });
        }
        using var consumer = new ConsumerBuilder<Null, string>(fixture.ConsumerConfig()).Build();
        consumer.Assign(new TopicPartitionOffset(topic, 0, Offset.Beginning));
        var seen = new List<string>();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!seen.Contains(values[^1]) && DateTime.UtcNow < deadline)
        {
            if (consumer.Consume(TimeSpan.FromMilliseconds(500)) is { Message: { } message }) seen.Add(message.Value);
        }
        Assert.Contains(values[^1], seen);
        return values;
    }

    private Task WaitForNoHandshakesAsync() =>
        Eventually.ValueAsync(() => fixture.Node.Kafka.HandshakingCount, n => n == 0, "no connection handshaking",
            TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(50));
}
