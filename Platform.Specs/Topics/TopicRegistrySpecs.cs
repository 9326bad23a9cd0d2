using Microsoft.Data.Sqlite;
using Platform.Actors;
using Platform.Client;
using Platform.Specs.Support;

namespace Platform.Specs.Topics;

/// <summary>The registry on a real node: what deleting does to stored data, and automatic creation.</summary>
public sealed class TopicRegistrySpecs
{
    private static async Task<long> JournalRows(string dataDir, Guid topicId)
    {
        await using var connection = new SqliteConnection($"Data Source={Path.Combine(dataDir, "platform.db")}");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT COUNT(*) FROM journal WHERE persistence_id LIKE $p AND deleted = 0";
        command.Parameters.AddWithValue("$p", $"partition-{topicId:N}-%");
        return (long)(await command.ExecuteScalarAsync())!;
    }

    [Fact]
    public async Task Deleting_a_topic_removes_its_records_from_the_journal()
    {
        var dataDir = TestNode.NewDataDir();
        var node = await TestNode.StartAsync(dataDir);
        try
        {
            await using var connection = await PlatformConnection.ConnectAsync(node.KafkaEndpoint);
            var admin = new PlatformAdmin(connection);
            var topic = await admin.CreateTopicAsync("doomed", 2);
            await using (var producer = new PlatformProducer(connection, connection.Settings.WithBatchSize(200)))
                await Task.WhenAll(Enumerable.Range(0, 100).Select(i => producer.ProduceAsync("doomed", $"k{i}", $"v{i}")));
            Assert.True(await JournalRows(dataDir, topic.TopicId) > 0);

            await admin.DeleteTopicAsync("doomed");
            await Eventually.PassesAsync(async () => Assert.Equal(0, await JournalRows(dataDir, topic.TopicId)), "the deleted topic's journal rows gone",
                TimeSpan.FromSeconds(10));
        }
        finally
        {
            await node.StopAsync();
        }
    }

    [Fact]
    public async Task With_auto_creation_on_a_producer_creates_a_missing_topic()
    {
        var node = await TestNode.StartAsync(extraHocon: "platform.node.auto-create-topics = on\nplatform.node.auto-create-partitions = 3");
        try
        {
            await using var connection = await PlatformConnection.ConnectAsync(node.KafkaEndpoint);
            await using var producer = new PlatformProducer(connection);
            var delivery = await producer.ProduceAsync("created-on-demand", null, "hello");
            Assert.Equal(0, delivery.Offset);
            var topic = await new PlatformAdmin(connection).GetTopicAsync("created-on-demand");
            Assert.Equal(3, topic.PartitionCount);
            // An invalid name is still refused.
            var e = await Assert.ThrowsAsync<PlatformException>(() => producer.ProduceAsync("not valid!", null, "x"));
            Assert.Equal(ErrorCode.InvalidTopicException, e.Code);
        }
        finally
        {
            await node.StopAsync();
        }
    }
}
