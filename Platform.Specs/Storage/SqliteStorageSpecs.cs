using Akka.Configuration;
using Akka.Persistence.Sql.Config;
using Confluent.Kafka;
using LinqToDB.Data;
using Microsoft.Data.Sqlite;
using Platform.Actors.Configuration;
using Platform.Actors.Hosting;
using Platform.Actors.Storage;
using Platform.Specs.Support;

namespace Platform.Specs.Storage;

/// <summary>
/// The connections Akka.Persistence.Sql opens to a node's SQLite file wait for SQLite's write lock inside SQLite
/// (busy_timeout), write with synchronous = FULL and checkpoint inline only past the node's WAL bound, set by the node
/// rather than left to library defaults.
/// </summary>
public sealed class SqliteStorageSpecs
{
    private static Akka.Configuration.Config NodeConfig(string dataDir, string extraHocon = "") =>
        PlatformConfig.ForNode(new NodeOptions(dataDir, "127.0.0.1", 0, ConfigurationFactory.ParseString(extraHocon + "\nakka.loglevel = WARNING"), KafkaPort: 0, HttpPort: 0));

    [Fact]
    public void Journal_and_snapshot_connections_get_the_busy_timeout_synchronous_FULL_and_the_WAL_bound()
    {
        var config = NodeConfig(TestNode.NewDataDir(), "platform.storage.sqlite { busy-timeout = 7s, wal-autocheckpoint = 1234 }");
        SqliteStorage.Prepare(config);
        var setup = Assert.IsType<MultiDataOptionsSetup>(SqliteStorage.Setup(config));
        foreach (var plugin in new[] { "akka.persistence.journal.sql", "akka.persistence.snapshot-store.sql" })
        {
            Assert.True(setup.TryGetDataOptionsFor(plugin, out var options), plugin);
            using var connection = new DataConnection(options!);
            Assert.Equal(7000, connection.Execute<long>("PRAGMA busy_timeout"));
            Assert.Equal(2, connection.Execute<long>("PRAGMA synchronous")); // 2 = FULL
            Assert.Equal("wal", connection.Execute<string>("PRAGMA journal_mode"));
            // Inline checkpoints only past this bound; the node's SqliteCheckpointer copies the log before it.
            Assert.Equal(1234, connection.Execute<long>("PRAGMA wal_autocheckpoint"));
        }
    }

    [Fact]
    public void PostgreSQL_nodes_get_no_SQLite_setup() =>
        Assert.Null(SqliteStorage.Setup(PlatformConfig.ForNode(new NodeOptions(TestNode.NewDataDir(), "127.0.0.1", 0, null,
            Storage: StorageKind.Postgres, ConnectionString: "Host=127.0.0.1;Username=x;Password=y"))));

    [Fact]
    public async Task A_write_that_meets_another_connections_lock_waits_for_it_inside_SQLite_and_is_acknowledged()
    {
        // Microsoft.Data.Sqlite gives up on a busy database after its command timeout (here 1 s); SQLite's own
        // busy timeout (here 20 s) keeps the journal's write waiting for the lock instead, so the record held up
        // for 3 s behind an outside writer is stored and acknowledged, not failed.
        var dataDir = TestNode.NewDataDir();
        var database = Path.Combine(dataDir, "platform.db");
        var config = ConfigurationFactory.ParseString($"""
            akka.persistence.journal.sql.connection-string = "Data Source={database};Default Timeout=1;Pooling=True"
            akka.persistence.snapshot-store.sql.connection-string = "Data Source={database};Default Timeout=1;Pooling=True"
            platform.storage.sqlite.busy-timeout = 20s
            """).WithFallback(NodeConfig(dataDir));
        await using var node = await PlatformNode.StartAsync(config);
        using (var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = node.KafkaEndpoint }).Build())
            await admin.CreateTopicsAsync([new Confluent.Kafka.Admin.TopicSpecification { Name = "locked", NumPartitions = 1, ReplicationFactor = 1 }]);
        using var producer = new ProducerBuilder<Null, string>(new ProducerConfig
        {
            BootstrapServers = node.KafkaEndpoint, EnableIdempotence = false, MessageSendMaxRetries = 0, LingerMs = 0,
            RequestTimeoutMs = 30000, MessageTimeoutMs = 30000,
        }).Build();
        Assert.Equal(0, (await producer.ProduceAsync("locked", new Message<Null, string> { Value = "before" })).Offset.Value);

        await using (var outside = new SqliteConnection($"Data Source={database};Pooling=False"))
        {
            await outside.OpenAsync();
            await using var hold = outside.BeginTransaction(deferred: false); // BEGIN IMMEDIATE: SQLite's write lock
            var held = producer.ProduceAsync("locked", new Message<Null, string> { Value = "held" });
            await Task.Delay(TimeSpan.FromSeconds(3));
            Assert.False(held.IsCompleted);
            await hold.RollbackAsync();
            var delivery = await held.WaitAsync(TimeSpan.FromSeconds(30));
            Assert.Equal((PersistenceStatus.Persisted, 1L), (delivery.Status, delivery.Offset.Value));
        }
    }
}
