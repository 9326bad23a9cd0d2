using Microsoft.Data.Sqlite;
using Platform.Client;
using Platform.Specs.Support;

namespace Platform.Specs.EndToEnd;

/// <summary>A node stopped gracefully and started again on its data directory keeps topics and records.</summary>
public sealed class NodeRestartSpecs
{
    [Fact]
    public async Task Topics_records_and_offsets_survive_a_restart_on_the_same_data_directory()
    {
        var dataDir = TestNode.NewDataDir();
        var node = await TestNode.StartAsync(dataDir);
        var port = int.Parse(node.Endpoint.Split(':')[1]);
        await using (var connection = await PlatformConnection.ConnectAsync(node.KafkaEndpoint))
        {
            await new PlatformAdmin(connection).CreateTopicAsync("kept", 2);
            await using var producer = new PlatformProducer(connection);
            await Task.WhenAll(Enumerable.Range(0, 500).Select(i => producer.ProduceAsync("kept", $"k{i}", $"v{i}")));
        }
        await node.StopAsync();

        // The same port: clients find the node where they left it.
        node = await TestNode.StartAsync(dataDir, port: port);
        try
        {
            await using var connection = await PlatformConnection.ConnectAsync(node.KafkaEndpoint);
            var description = await new PlatformAdmin(connection).DescribeTopicAsync("kept");
            Assert.Equal(500, description.Partitions.Sum(p => p.HighWatermark));
            await using var consumer = new PlatformConsumer(connection, AutoOffsetReset.Earliest);
            consumer.Assign([new TopicPartition("kept", 0), new TopicPartition("kept", 1)]);
            var values = new HashSet<string>();
            while (values.Count < 500 && await consumer.ConsumeAsync(TimeSpan.FromSeconds(10)) is { } record)
                values.Add(System.Text.Encoding.UTF8.GetString(record.Value!));
            Assert.Equal(Enumerable.Range(0, 500).Select(i => $"v{i}").ToHashSet(), values);
        }
        finally
        {
            await node.StopAsync();
        }
    }

    [Fact]
    public async Task The_journal_and_the_snapshots_are_SQLite_files_in_WAL_mode_in_the_data_directory()
    {
        var dataDir = TestNode.NewDataDir();
        var node = await TestNode.StartAsync(dataDir);
        await node.StopAsync();
        foreach (var file in new[] { Path.Combine(dataDir, "platform.db"), Path.Combine(dataDir, "snapshots.db") })
        {
            Assert.True(File.Exists(file), file);
            await using var connection = new SqliteConnection($"Data Source={file}");
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = "PRAGMA journal_mode;";
            Assert.Equal("wal", (string?)await command.ExecuteScalarAsync());
        }
    }
}
