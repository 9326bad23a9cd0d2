using System.Globalization;
using System.Text.RegularExpressions;
using Akka.Event;
using Akka.TestKit.Xunit2;
using Microsoft.Data.Sqlite;
using Platform.Actors.Configuration;
using Platform.Actors.Partitions;
using Platform.Actors.Storage;
using Platform.Actors.Topics;
using Platform.Specs.Support;

namespace Platform.Specs.Storage;

/// <summary>
/// The SQLite WAL is checkpointed beside the journal's writer, not inside its commits (issue #16's paced latency), by
/// mechanism rather than timing: the node's own pass copies the log into the database file while the writer's
/// connections never reach their inline bound, and a complete pass lets the next commit start the log over.
/// </summary>
public sealed partial class SqliteCheckpointerSpecs
{
    [Fact]
    public async Task A_pass_beside_the_writer_copies_the_WAL_and_the_next_commit_starts_the_log_over()
    {
        var database = Path.Combine(TestNode.NewDataDir(), "wal.db");
        var settings = new SqliteSettings(TimeSpan.FromSeconds(5), TimeSpan.FromMilliseconds(20), WalAutocheckpoint: 1_000_000, DirectPartitionWrites: true);
        await using var writer = new SqliteConnection($"Data Source={database};Pooling=False");
        writer.Open();
        Execute(writer, "PRAGMA journal_mode=WAL; " + SqliteStorage.Pragmas(settings) + " CREATE TABLE t (id INTEGER PRIMARY KEY, payload BLOB);");
        var commits = new StorageCommits();
        // 300 commits of a page or more each, far below the writer's inline bound: the log holds them all.
        for (var n = 0; n < 300; n++) Insert(writer, commits);
        Assert.True(new FileInfo(database + "-wal").Length / 4096 >= 300);

        var checkpoints = new WalCheckpoints();
        using var checkpointer = new SqliteCheckpointer($"Data Source={database}", settings, commits, checkpoints, NoLogger.Instance);
        await Eventually.TrueAsync(() => checkpoints.CompletePasses > 0 && checkpoints.WalFrames >= 300, "a pass copied the whole log");

        // The log had been copied whole, so this commit writes it from its beginning again: a few frames, not 300 more.
        Insert(writer, commits);
        var passes = checkpoints.Passes;
        await Eventually.TrueAsync(() => checkpoints.Passes > passes, "a pass after the last commit");
        Assert.InRange(checkpoints.WalFrames, 1, 10);
        // Every row is in the database file, read here without the log.
        Assert.Equal(301L, Scalar(database, "SELECT COUNT(*) FROM t"));
    }

    [Fact]
    public async Task A_node_on_SQLite_runs_its_checkpointer_and_reports_it()
    {
        await using var node = await TestNode.StartAsync();
        using var kit = new TestKit(node.System);
        var probe = kit.CreateTestProbe();
        node.Gateway.Tell(new CreateTopic($"ck-{Guid.NewGuid():N}"[..12], 1, new Dictionary<string, string>()), probe.Ref);
        var topic = probe.ExpectMsg<TopicCommandResult>(TimeSpan.FromSeconds(10)).Topic!;
        for (var n = 0; n < 20; n++)
        {
            node.Gateway.Tell(new Produce(topic.TopicId, 0, NodeFixture.Batch($"r{n}"), n), probe.Ref);
            Assert.Equal(ErrorCode.None, probe.ExpectMsg<ProduceResult>(TimeSpan.FromSeconds(20)).Error);
        }

        var checkpoints = node.System.Settings.Setup.Get<WalCheckpoints>().Value;
        await Eventually.TrueAsync(() => checkpoints.CompletePasses > 0, "the node's checkpointer copied its WAL");
        var metrics = await new HttpClient().GetStringAsync($"{node.HttpEndpoint}/metrics");
        Assert.True(long.Parse(PassesMetric().Match(metrics).Groups[1].Value, CultureInfo.InvariantCulture) > 0, "platform_wal_checkpoints_total");
    }

    private static void Insert(SqliteConnection writer, StorageCommits commits)
    {
        using var command = writer.CreateCommand();
        command.CommandText = "INSERT INTO t (payload) VALUES ($p)";
        command.Parameters.AddWithValue("$p", new byte[3000]);
        command.ExecuteNonQuery();
        commits.JournalCommitted(null!); // what the journal's commit hook counts on a node
    }

    private static long Scalar(string database, string sql)
    {
        using var connection = new SqliteConnection($"Data Source={database};Pooling=False;Mode=ReadOnly");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return (long)command.ExecuteScalar()!;
    }

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    [GeneratedRegex(@"^platform_wal_checkpoints_total (\d+)", RegexOptions.Multiline)]
    private static partial Regex PassesMetric();
}
