using Akka.Actor;
using Akka.Configuration;
using Akka.Persistence;
using Akka.TestKit.Xunit2;
using Microsoft.Data.Sqlite;
using Platform.Actors;
using Platform.Actors.Configuration;
using Platform.Actors.Hosting;
using Platform.Actors.Partitions;
using Platform.Actors.Storage;
using Platform.Actors.Topics;
using Platform.Specs.Support;

namespace Platform.Specs.Storage;

/// <summary>
/// On SQLite the snapshot store writes a file of its own (<c>snapshots.db</c>), so a snapshot never holds the journal
/// file's write lock while the journal commits; reads of either store begin deferred, so a recovery takes no write
/// lock at all; and a node from before keeps its snapshots, moved on its first start (issue #16). By mechanism: an
/// outside connection holds the journal file's write lock, and what must not need it goes through.
/// </summary>
public sealed class SnapshotFileSpecs
{
    /// <summary>Long enough that anything waiting for the held lock would still be waiting when the spec gives up.</summary>
    private const string LongBusyTimeout = "platform.storage.sqlite.busy-timeout = 60s";

    private static readonly TimeSpan WellWithinTheBusyTimeout = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task Snapshots_are_saved_and_journal_reads_answered_while_another_connection_holds_the_journal_files_write_lock()
    {
        var dataDir = TestNode.NewDataDir();
        await using var node = await TestNode.StartAsync(dataDir, extraHocon: LongBusyTimeout);
        using var kit = new TestKit(node.System);
        var persistenceId = Produce(node, kit, CreateTopic(node, kit), 3, from: 0);
        var config = node.System.Settings.Config;
        Assert.Equal(Path.Combine(dataDir, "snapshots.db"), SqliteStorage.SnapshotDatabasePath(config));
        Assert.NotEqual(SqliteStorage.DatabasePath(config), SqliteStorage.SnapshotDatabasePath(config));

        await using var outside = new SqliteConnection($"Data Source={SqliteStorage.DatabasePath(config)};Pooling=False");
        await outside.OpenAsync();
        await using var hold = outside.BeginTransaction(deferred: false); // BEGIN IMMEDIATE: the journal file's write lock
        var persistence = Persistence.Instance.Apply(node.System);
        var probe = kit.CreateTestProbe();

        persistence.SnapshotStoreFor(null).Tell(new SaveSnapshot(new SnapshotMetadata("spec-snapshot", 1, DateTime.UtcNow), new byte[] { 1, 2, 3 }), probe.Ref);
        probe.ExpectMsg<SaveSnapshotSuccess>(WellWithinTheBusyTimeout);
        // A recovery's reads: the highest sequence number and the replay, each in a deferred transaction. With BEGIN
        // IMMEDIATE (Akka's default isolation on Microsoft.Data.Sqlite) they waited for the lock held here.
        persistence.JournalFor(null).Tell(new ReplayMessages(1, long.MaxValue, long.MaxValue, persistenceId, probe.Ref), probe.Ref);
        for (var n = 1; n <= 3; n++) Assert.Equal(n, probe.ExpectMsg<ReplayedMessage>(WellWithinTheBusyTimeout).Persistent.SequenceNr);
        Assert.Equal(3, probe.ExpectMsg<RecoverySuccess>(WellWithinTheBusyTimeout).HighestSequenceNr);
        persistence.SnapshotStoreFor(null).Tell(new LoadSnapshot("spec-snapshot", SnapshotSelectionCriteria.Latest, long.MaxValue), probe.Ref);
        Assert.Equal(new byte[] { 1, 2, 3 }, probe.ExpectMsg<LoadSnapshotResult>(WellWithinTheBusyTimeout).Snapshot?.Snapshot);
        await hold.RollbackAsync();
    }

    [Fact]
    public async Task An_older_nodes_snapshots_move_into_the_snapshot_file_and_its_partitions_recover_with_them()
    {
        // A node of before: the snapshot store in the journal's file, a snapshot after every batch.
        var dataDir = TestNode.NewDataDir();
        var journalFile = Path.Combine(dataDir, "platform.db");
        var older = ConfigurationFactory.ParseString($"""
            akka.persistence.snapshot-store.sql.connection-string = "Data Source={journalFile};Default Timeout=60;Pooling=True"
            """).WithFallback(NodeConfig(dataDir));
        TopicInfo topic;
        string persistenceId;
        await using (var node = await PlatformNode.StartAsync(older))
        {
            using var kit = new TestKit(node.System);
            topic = CreateTopic(node, kit);
            persistenceId = Produce(node, kit, topic, 3, from: 0);
            await Eventually.TrueAsync(() => Snapshots(journalFile, persistenceId) > 0, "the older node saved a snapshot in the journal's file");
        }
        Assert.False(File.Exists(Path.Combine(dataDir, "snapshots.db")));
        var before = Snapshots(journalFile, persistenceId);

        // The same data directory under this version: the rows move, and the partition carries on from its offsets.
        await using (var node = await PlatformNode.StartAsync(NodeConfig(dataDir)))
        {
            var snapshotFile = SqliteStorage.SnapshotDatabasePath(node.System.Settings.Config);
            Assert.Equal(before, Snapshots(snapshotFile, persistenceId));
            using var kit = new TestKit(node.System);
            Produce(node, kit, topic, 1, from: 3);
        }

        // A second start finds the table and copies nothing again.
        SqliteStorage.Prepare(NodeConfig(dataDir));
        Assert.True(Snapshots(Path.Combine(dataDir, "snapshots.db"), persistenceId) >= before);
        Assert.Equal(before, Snapshots(journalFile, persistenceId));
    }

    private static Config NodeConfig(string dataDir) =>
        PlatformConfig.ForNode(new NodeOptions(dataDir, "127.0.0.1", 0,
            ConfigurationFactory.ParseString("akka.loglevel = WARNING\nplatform.partition.snapshot-every = 1"), KafkaPort: 0, HttpPort: 0));

    /// <summary>Produces <paramref name="count"/> batches to partition 0, each acknowledged at the next offset; returns its persistence id.</summary>
    private static string Produce(PlatformNode node, TestKit kit, TopicInfo topic, int count, long from)
    {
        var probe = kit.CreateTestProbe();
        for (var n = 0; n < count; n++)
        {
            node.Gateway.Tell(new Produce(topic.TopicId, 0, NodeFixture.Batch($"r{from + n}"), n), probe.Ref);
            var result = probe.ExpectMsg<ProduceResult>(TimeSpan.FromSeconds(20));
            Assert.Equal((ErrorCode.None, from + n), (result.Error, result.BaseOffset));
        }
        return PartitionEntity.PersistenceId(topic.TopicId, 0);
    }

    private static TopicInfo CreateTopic(PlatformNode node, TestKit kit)
    {
        var probe = kit.CreateTestProbe();
        node.Gateway.Tell(new CreateTopic($"sf-{Guid.NewGuid():N}"[..12], 1, new Dictionary<string, string>()), probe.Ref);
        var result = probe.ExpectMsg<TopicCommandResult>(TimeSpan.FromSeconds(10));
        Assert.Equal(ErrorCode.None, result.Error);
        return result.Topic!;
    }

    private static long Snapshots(string database, string persistenceId)
    {
        using var connection = new SqliteConnection($"Data Source={database};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT COUNT(*) FROM snapshot WHERE persistence_id = $id";
        command.Parameters.AddWithValue("$id", persistenceId);
        return (long)command.ExecuteScalar()!;
    }
}
