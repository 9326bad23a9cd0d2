using System.Globalization;
using System.Text.RegularExpressions;
using Akka.Actor;
using Akka.Persistence.Sql.Config;
using Akka.TestKit.Xunit2;
using Platform.Actors;
using Platform.Actors.Configuration;
using Platform.Actors.Partitions;
using Platform.Actors.Storage;
using Platform.Actors.Topics;
using Platform.Specs.Support;

namespace Platform.Specs.Storage;

/// <summary>
/// The journal's write path on a real node's SQLite file, by mechanism rather than by timing (issue #16, item 5):
/// batches of different partitions that arrive together share one transaction and one fsync (the group commit), and
/// record batches reach SQLite as bound parameters, not hex-encoded into the SQL text, and snapshots take the write
/// lock from the journal as seldom as they can.
/// </summary>
public sealed partial class JournalGroupCommitSpecs
{
    private const int Partitions = 32;
    private const int Rounds = 8;

    [Fact]
    public async Task Concurrent_batches_to_different_partitions_share_journal_transactions()
    {
        await using var node = await TestNode.StartAsync();
        using var kit = new TestKit(node.System);
        var topic = CreateTopic(node, kit);
        var probe = kit.CreateTestProbe();
        // One batch each first: every partition is up and recovered, so the burst below meets only the journal.
        for (var p = 0; p < Partitions; p++) node.Gateway.Tell(new Produce(topic.TopicId, p, NodeFixture.Batch($"warm-{p}"), p), probe.Ref);
        for (var p = 0; p < Partitions; p++) Assert.Equal(ErrorCode.None, probe.ExpectMsg<ProduceResult>(TimeSpan.FromSeconds(20)).Error);
        var commits = node.System.Settings.Setup.Get<StorageCommits>().Value;
        var before = commits.Journal;

        // Then eight batches to each of the 32 partitions at once.
        for (var r = 0; r < Rounds; r++)
        for (var p = 0; p < Partitions; p++) node.Gateway.Tell(new Produce(topic.TopicId, p, NodeFixture.Batch($"burst-{p}"), p), probe.Ref);
        var acks = Enumerable.Range(0, Partitions * Rounds).Select(_ => probe.ExpectMsg<ProduceResult>(TimeSpan.FromSeconds(20))).ToList();

        Assert.All(acks, ack => Assert.Equal(ErrorCode.None, ack.Error));
        Assert.Equal(Enumerable.Range(1, Rounds).Select(o => (long)o), acks.Where(a => a.Partition == 0).Select(a => a.BaseOffset));
        var transactions = commits.Journal - before;
        // Every acknowledged batch was committed, and they shared transactions: one per batch would be 256. Measured:
        // about 64, i.e. 4 batches per fsync. A lone batch still gets a transaction of its own (32 batches one
        // apiece across 32 partitions became 32 commits): the writer only groups what queued while it committed.
        Assert.InRange(transactions, 1, Partitions * Rounds / 2);

        // The same count is the node's metric.
        var metrics = await new HttpClient().GetStringAsync($"{node.HttpEndpoint}/metrics");
        var exported = long.Parse(TransactionsMetric().Match(metrics).Groups[1].Value, CultureInfo.InvariantCulture);
        Assert.True(exported >= before + transactions, $"platform_journal_transactions_total {exported} < {before + transactions}");
    }

    [Fact]
    public async Task A_partition_deletes_its_older_snapshots_once_per_ten_saves_not_after_every_save()
    {
        // A snapshot after every batch: 15 batches, 15 saves. The older ones go at the 10th save (one delete), so
        // the partition then holds the 10th to the 15th: six snapshots, after sixteen snapshot-store transactions.
        // Deleting after every save kept one snapshot and took thirty transactions.
        await using var node = await TestNode.StartAsync(extraHocon: "platform.partition.snapshot-every = 1");
        using var kit = new TestKit(node.System);
        var topic = CreateTopic(node, kit, partitions: 1);
        var commits = node.System.Settings.Setup.Get<StorageCommits>().Value;
        var before = commits.Snapshots;
        var probe = kit.CreateTestProbe();
        for (var n = 0; n < 15; n++)
        {
            node.Gateway.Tell(new Produce(topic.TopicId, 0, NodeFixture.Batch($"r{n}"), n), probe.Ref);
            Assert.Equal(ErrorCode.None, probe.ExpectMsg<ProduceResult>(TimeSpan.FromSeconds(20)).Error);
        }

        var database = SqliteStorage.SnapshotDatabasePath(node.System.Settings.Config);
        await Eventually.TrueAsync(() => Snapshots(database, PartitionEntity.PersistenceId(topic.TopicId, 0)) == 6,
            "the partition holds its 10th to 15th snapshots");
        // Sixteen from the saves and the one delete; a commit or two of the node's other snapshots may be counted here
        // too. Deleting after every save would be thirty.
        Assert.InRange(commits.Snapshots - before, 16, 20);
    }

    private static long Snapshots(string database, string persistenceId)
    {
        using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={database};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT COUNT(*) FROM snapshot WHERE persistence_id = $id";
        command.Parameters.AddWithValue("$id", persistenceId);
        return (long)command.ExecuteScalar()!;
    }

    [Fact]
    public void Record_batches_are_written_as_parameters_not_as_SQL_text()
    {
        // Without it Akka.Persistence.Sql writes a multi-row insert as SQL text with every batch hex-encoded in it.
        var config = PlatformConfig.ForNode(new NodeOptions(TestNode.NewDataDir(), "127.0.0.1", 0, null, KafkaPort: 0, HttpPort: 0));
        var journal = new JournalConfig(config.GetConfig("akka.persistence.journal.sql"));
        Assert.True(journal.DaoConfig.PreferParametersOnMultiRowInsert);
        Assert.Equal(1, journal.DaoConfig.Parallelism); // one writer: the group commit above
    }

    private static TopicInfo CreateTopic(Platform.Actors.Hosting.PlatformNode node, TestKit kit, int partitions = Partitions)
    {
        var probe = kit.CreateTestProbe();
        node.Gateway.Tell(new CreateTopic($"gc-{Guid.NewGuid():N}"[..12], partitions, new Dictionary<string, string>()), probe.Ref);
        var result = probe.ExpectMsg<TopicCommandResult>(TimeSpan.FromSeconds(10));
        Assert.Equal(ErrorCode.None, result.Error);
        return result.Topic!;
    }

    [GeneratedRegex(@"^platform_journal_transactions_total (\d+)", RegexOptions.Multiline)]
    private static partial Regex TransactionsMetric();
}
