using Akka.Cluster.Sharding;
using Akka.Cluster.Tools.Singleton;
using Akka.Configuration;
using Platform.Actors.Configuration;

namespace Platform.Specs.Configuration;

/// <summary>
/// A node's HOCON as <see cref="PlatformConfig.ForNode"/> builds it: switches over the --config file over the
/// profile over the embedded defaults; the storage lines for SQLite and PostgreSQL; the Kafka port and the
/// advertised address.
/// </summary>
public sealed class PlatformConfigSpecs
{
    private static readonly NodeOptions Node = new("node-data", "10.0.0.5", 9192);

    private static Config Hocon(string text) => ConfigurationFactory.ParseString(text);

    [Fact]
    public void Without_a_file_or_profile_a_node_runs_on_the_embedded_defaults()
    {
        var config = PlatformConfig.ForNode(Node);
        Assert.Equal("", config.GetString("platform.kafka.advertised-host"));
        Assert.Equal(9092, config.GetInt("platform.kafka.port"));
        Assert.Equal(PartitionSettings.Create(PlatformConfig.Defaults), PartitionSettings.Create(config));
    }

    /// <summary>
    /// The shard coordinator reads and writes its state at a plain majority, as Akka's sharding reads the keys: a key
    /// misspelt in platform.conf would silently keep Akka's "majority plus", and the next coordinator after the oldest
    /// node's leave would again wait for the node that had just exited (docs/reliability.md, "Rolling restart").
    /// </summary>
    [Fact]
    public void The_shard_coordinator_reads_and_writes_its_state_at_a_plain_majority()
    {
        var config = PlatformConfig.ForNode(Node).WithFallback(ClusterSharding.DefaultConfig()).WithFallback(ClusterSingleton.DefaultConfig());
        var settings = ClusterShardingSettings.Create(config.GetConfig("akka.cluster.sharding"), config.GetConfig("akka.cluster.singleton"));
        Assert.Equal(0, settings.TuningParameters.CoordinatorStateReadMajorityPlus);
        Assert.Equal(0, settings.TuningParameters.CoordinatorStateWriteMajorityPlus);
        Assert.Equal(1, config.GetInt("akka.cluster.sharding.distributed-data.majority-min-cap"));
    }

    [Fact]
    public void The_profile_wins_over_the_defaults()
    {
        var config = PlatformConfig.ForNode(Node, Hocon("platform.kafka.advertised-host = profile"));
        Assert.Equal("profile", config.GetString("platform.kafka.advertised-host"));
        Assert.Equal(9092, config.GetInt("platform.kafka.port"));
    }

    [Fact]
    public void The_config_file_wins_over_the_profile_and_the_defaults()
    {
        var file = Hocon("""
            platform.kafka.advertised-host = file
            platform.kafka.port = 19092
            """);
        var config = PlatformConfig.ForNode(Node with { Extra = file }, Hocon("platform.kafka.advertised-host = profile\nplatform.group.tick = 1s"));
        Assert.Equal("file", config.GetString("platform.kafka.advertised-host"));
        Assert.Equal(19092, config.GetInt("platform.kafka.port"));
        Assert.Equal(TimeSpan.FromSeconds(1), config.GetTimeSpan("platform.group.tick"));
        Assert.Equal(TimeSpan.FromMilliseconds(100), PlatformConfig.ForNode(Node with { Extra = file }).GetTimeSpan("platform.group.tick"));
    }

    [Fact]
    public void The_switches_win_over_the_config_file()
    {
        var file = Hocon("""
            akka.remote.dot-netty.tcp.hostname = "10.9.9.9"
            akka.remote.dot-netty.tcp.port = 1111
            akka.cluster.seed-nodes = ["akka.tcp://platform@10.9.9.9:1111"]
            platform.kafka.port = 19092
            platform.kafka.advertised-host = file.example
            platform.tls.require = off
            """);
        var config = PlatformConfig.ForNode(Node with { Extra = file, Seeds = ["10.0.0.6:9192"], KafkaPort = 29092, KafkaAdvertised = "kafka.example:443", RequireTls = true },
            Hocon("akka.remote.dot-netty.tcp.port = 2222"));
        Assert.Equal("10.0.0.5", config.GetString("akka.remote.dot-netty.tcp.hostname"));
        Assert.Equal(9192, config.GetInt("akka.remote.dot-netty.tcp.port"));
        Assert.Equal(["akka.tcp://platform@10.0.0.6:9192"], config.GetStringList("akka.cluster.seed-nodes"));
        Assert.Equal(29092, config.GetInt("platform.kafka.port"));
        Assert.Equal("kafka.example", config.GetString("platform.kafka.advertised-host"));
        Assert.True(config.GetBoolean("platform.tls.require"));
    }

    [Fact]
    public void A_switch_not_given_leaves_the_config_files_setting()
    {
        var config = PlatformConfig.ForNode(Node with { Extra = Hocon("platform.kafka.port = 19092\nplatform.tls.require = on") });
        Assert.Equal(19092, config.GetInt("platform.kafka.port"));
        Assert.True(config.GetBoolean("platform.tls.require"));
    }

    [Fact]
    public void SQLite_storage_is_two_files_in_the_data_directory_with_one_writer()
    {
        // The journal in platform.db, the snapshot store in snapshots.db: each file has its own write lock.
        var config = PlatformConfig.ForNode(Node);
        foreach (var (store, name) in new[] { ("akka.persistence.journal.sql", "platform.db"), ("akka.persistence.snapshot-store.sql", "snapshots.db") })
        {
            var file = Path.GetFullPath(Path.Combine("node-data", name));
            Assert.Equal("SQLite.MS", config.GetString($"{store}.provider-name"));
            Assert.Equal($"Data Source={file};Default Timeout=60;Pooling=True", config.GetString($"{store}.connection-string"));
        }
        Assert.Equal(1, config.GetInt("akka.persistence.journal.sql.parallelism"));
        Assert.False(config.HasPath("platform.node.data-dir"));
    }

    [Fact]
    public void PostgreSQL_storage_uses_the_connection_string_and_parallel_writers()
    {
        const string connection = "Host=db;Username=platform;Database=platform";
        var config = PlatformConfig.ForNode(Node with { Storage = StorageKind.Postgres, ConnectionString = connection });
        foreach (var store in new[] { "akka.persistence.journal.sql", "akka.persistence.snapshot-store.sql" })
        {
            Assert.Equal("PostgreSQL.15", config.GetString($"{store}.provider-name"));
            Assert.Equal(connection, config.GetString($"{store}.connection-string"));
        }
        Assert.Equal(3, config.GetInt("akka.persistence.journal.sql.parallelism"));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("  ")]
    public void PostgreSQL_storage_without_a_connection_string_is_refused(string? connection)
    {
        var e = Assert.Throws<ArgumentException>(() => PlatformConfig.ForNode(Node with { Storage = StorageKind.Postgres, ConnectionString = connection }));
        Assert.Contains("--connection-string", e.Message);
    }

    [Fact]
    public void Without_Kafka_switches_the_listener_binds_the_node_host_on_the_default_port_and_advertises_it()
    {
        var kafka = KafkaSettings.Create(PlatformConfig.ForNode(Node));
        Assert.Equal(("10.0.0.5", 9092, "", 0), (kafka.Host, kafka.Port, kafka.AdvertisedHost, kafka.AdvertisedPort));
    }

    [Theory]
    [InlineData("kafka.example:443", "kafka.example", 443)]
    [InlineData("kafka.example", "kafka.example", 0)]
    [InlineData("[::1]:9093", "[::1]", 9093)]
    public void The_advertised_address_is_host_and_optional_port(string advertised, string host, int port)
    {
        var kafka = KafkaSettings.Create(PlatformConfig.ForNode(Node with { KafkaPort = 0, KafkaAdvertised = advertised }));
        Assert.Equal((0, host, port), (kafka.Port, kafka.AdvertisedHost, kafka.AdvertisedPort));
    }

    [Theory]
    [InlineData("kafka.example:")]
    [InlineData("kafka.example:http")]
    [InlineData("kafka.example:0")]
    [InlineData("kafka.example:65536")]
    [InlineData("kafka.example:-1")]
    public void An_advertised_address_with_a_bad_port_is_refused_naming_it(string advertised)
    {
        var e = Assert.Throws<ArgumentException>(() => PlatformConfig.ForNode(Node with { KafkaAdvertised = advertised }));
        Assert.Contains($"'{advertised}' is not host:port", e.Message);
    }
}
