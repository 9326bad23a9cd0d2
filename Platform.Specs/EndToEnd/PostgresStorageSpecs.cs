using Akka.Configuration;
using Platform.Actors.Configuration;
using Platform.Actors.Hosting;
using Platform.Client;
using Platform.Specs.Support;

namespace Platform.Specs.EndToEnd;

/// <summary>A node on a real PostgreSQL server: the schema is created on first start and records survive a restart.</summary>
[Trait("Category", "Postgres")]
public sealed class PostgresStorageSpecs
{
    private static Task<PlatformNode> StartAsync(string connectionString, int port = 0) =>
        PlatformNode.StartAsync(PlatformConfig.ForNode(new NodeOptions(TestNode.NewDataDir(), "127.0.0.1", port,
            ConfigurationFactory.ParseString("akka.loglevel = WARNING"), null, StorageKind.Postgres, connectionString, KafkaPort: 0, HttpPort: 0)));

    [Fact]
    public async Task A_node_on_PostgreSQL_creates_its_schema_and_keeps_records_and_offsets_across_a_restart()
    {
        var database = await TestPostgres.NewDatabaseAsync();
        var node = await StartAsync(database);
        var port = int.Parse(node.Endpoint.Split(':')[1]);
        await using (var connection = await PlatformConnection.ConnectAsync(node.KafkaEndpoint))
        {
            await new PlatformAdmin(connection).CreateTopicAsync("pg", 3);
            await using var producer = new PlatformProducer(connection);
            await Task.WhenAll(Enumerable.Range(0, 300).Select(i => producer.ProduceAsync("pg", $"k{i}", $"v{i}")));
            await new PlatformAdmin(connection).CommitOffsetsAsync("pg-group", [new TopicPartitionOffset("pg", 0, 7)]);
        }
        await node.StopAsync();

        node = await StartAsync(database, port);
        try
        {
            await using var connection = await PlatformConnection.ConnectAsync(node.KafkaEndpoint);
            var admin = new PlatformAdmin(connection);
            Assert.Equal(300, (await admin.DescribeTopicAsync("pg")).Partitions.Sum(p => p.HighWatermark));
            Assert.Equal(7, (await admin.FetchOffsetsAsync("pg-group")).Single().Offset);
            await using var consumer = new PlatformConsumer(connection, AutoOffsetReset.Earliest);
            consumer.Assign(Enumerable.Range(0, 3).Select(p => new TopicPartition("pg", p)));
            var values = new HashSet<string>();
            while (values.Count < 300 && await consumer.ConsumeAsync(TimeSpan.FromSeconds(10)) is { } r)
                values.Add(System.Text.Encoding.UTF8.GetString(r.Value!));
            Assert.Equal(Enumerable.Range(0, 300).Select(i => $"v{i}").ToHashSet(), values);
        }
        finally
        {
            await node.StopAsync();
        }
    }
}
