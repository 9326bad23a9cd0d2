using Akka.Configuration;
using Akka.Configuration.Hocon;
using Platform.Actors.Configuration;
using Platform.Actors.Topics;

namespace Platform.Specs.Configuration;

/// <summary>
/// Every settings record of a node loads from the embedded hocon/platform.conf alone, with the values it
/// documents, and every key there is one a record reads: remove it and the node refuses to start, naming it.
/// </summary>
public sealed class SettingsSpecs
{
    private static Config Defaults => PlatformConfig.Defaults;

    [Fact]
    public void Node_settings_load_from_the_embedded_defaults()
    {
        var node = NodeSettings.Create(Defaults);
        Assert.False(node.AutoCreateTopics);
        Assert.Equal(1, node.AutoCreatePartitions);
        Assert.Equal(10000, node.MaxPartitionsPerTopic);
        Assert.Equal((10000, 20000, 200, TimeSpan.FromMilliseconds(100)), (node.MaxTopics, node.MaxPartitions, node.PartitionWakeBatch, node.PartitionWakeInterval));
        Assert.Equal(new TopicConfig(RetentionMs: 604800000, RetentionBytes: -1, MaxMessageBytes: 1048588, CleanupPolicy: "delete"), node.TopicDefaults);
        Assert.Equal(TimeSpan.FromSeconds(30), node.JoinTimeout);
        Assert.Equal(TimeSpan.FromSeconds(1), node.RegistryResubscribeDelay);
        Assert.Equal(TimeSpan.FromSeconds(10), node.RegistryResubscribeInterval);
        Assert.Equal(TimeSpan.FromSeconds(1), node.ShardStatsGrace);
        Assert.Equal(new QuietReleaseSettings(TimeSpan.FromSeconds(10), 512 * 1024, 8 * 1024 * 1024), node.ReleaseMemoryWhenQuiet);
    }

    [Fact]
    public void Releasing_memory_when_quiet_can_be_turned_off_and_a_window_of_zero_is_refused_naming_the_key()
    {
        Assert.Null(NodeSettings.Create(ConfigurationFactory.ParseString("platform.node.release-memory-when-quiet.enabled = off").WithFallback(Defaults))
            .ReleaseMemoryWhenQuiet);
        var config = ConfigurationFactory.ParseString("platform.node.release-memory-when-quiet.window = 0s").WithFallback(Defaults);
        var error = Assert.Throws<ArgumentException>(() => NodeSettings.Create(config));
        Assert.Contains("platform.node.release-memory-when-quiet.window", error.Message);
    }

    [Fact]
    public void Partition_settings_load_from_the_embedded_defaults() =>
        Assert.Equal(new PartitionSettings(
            NumberOfShards: 100,
            SnapshotEvery: 500,
            IndexIntervalBytes: 65536,
            RetentionCheckInterval: TimeSpan.FromSeconds(60),
            MaxFetchWait: TimeSpan.FromSeconds(30),
            MaxJournalReadEvents: 2000,
            TailMaxBytesPerPartition: 32L * 1024 * 1024,
            ProducerIdExpiration: TimeSpan.FromDays(1),
            TopicLookupRetry: TimeSpan.FromSeconds(2),
            JournalReadTimeout: TimeSpan.FromSeconds(30),
            LogAppendTime: false,
            TimestampBeforeMaxMs: long.MaxValue,
            TimestampAfterMaxMs: 3_600_000,
            MaxProducers: 10_000,
            MaxParkedFetches: 1000,
            MaxJournalReaders: 4,
            SnapshotDeleteEvery: 10,
            IdleJournalCheck: TimeSpan.FromSeconds(10)), PartitionSettings.Create(Defaults));

    [Fact]
    public void Tail_cache_settings_load_from_the_embedded_defaults() =>
        Assert.Equal(new TailCacheSettings(MaxBytes: 64L * 1024 * 1024, MaxBytesPerPartition: 32L * 1024 * 1024), TailCacheSettings.Create(Defaults));

    [Fact]
    public void Group_settings_load_from_the_embedded_defaults() =>
        Assert.Equal(new GroupSettings(
            NumberOfShards: 100,
            InitialRebalanceDelay: TimeSpan.FromSeconds(3),
            MinSessionTimeoutMs: 6000,
            MaxSessionTimeoutMs: 30 * 60 * 1000,
            MaxRebalanceTimeoutMs: 30 * 60 * 1000,
            MaxSize: 1000,
            OffsetMetadataMaxBytes: 4096,
            MaxGroupIdLength: 249,
            PassivateIdleAfter: TimeSpan.FromMinutes(2),
            OffsetsRetention: TimeSpan.FromDays(7),
            SnapshotEvery: 1000,
            Tick: TimeSpan.FromMilliseconds(100),
            RegistrationRetry: TimeSpan.FromSeconds(1),
            JournalCheckTimeout: TimeSpan.FromSeconds(5)), GroupSettings.Create(Defaults));

    [Fact]
    public void Kafka_settings_load_from_the_embedded_defaults_and_bind_the_remoting_host_unless_given_one() =>
        Assert.Equal(new KafkaSettings(
            Host: "127.0.0.1",
            Port: 9092,
            AdvertisedHost: "",
            AdvertisedPort: 0,
            SocketRequestMaxBytes: 2 * 1024 * 1024,
            FetchMaxBytes: 55 * 1024 * 1024,
            FetchPartitionMaxBytes: 8 * 1024 * 1024,
            MaxConnections: 1000,
            MaxHandshakingConnections: 100,
            HandshakeTimeout: TimeSpan.FromSeconds(10),
            MaxInFlightPerConnection: 64,
            ConnectionsMaxIdle: TimeSpan.FromMinutes(10),
            RequestTimeout: TimeSpan.FromSeconds(30),
            PlacementRefresh: TimeSpan.FromSeconds(2),
            PlacementRefreshMinTimeout: TimeSpan.FromSeconds(1),
            SingletonRequestTimeout: TimeSpan.FromSeconds(3)), KafkaSettings.Create(Defaults));

    [Fact]
    public void Gateway_settings_load_from_the_embedded_defaults() =>
        Assert.Equal(new GatewaySettings(ClusterStatusTimeout: TimeSpan.FromSeconds(3)),
            GatewaySettings.Create(Defaults));

    [Fact]
    public void Producer_id_settings_load_from_the_embedded_defaults() =>
        Assert.Equal(new ProducerIdSettings(BlockSize: 1000, SnapshotEvery: 100, RestartMinBackoff: TimeSpan.FromMilliseconds(200),
            RestartMaxBackoff: TimeSpan.FromSeconds(10), RestartRandomFactor: 0.2), ProducerIdSettings.Create(Defaults));

    [Fact]
    public void Tls_settings_load_from_the_embedded_defaults_as_no_TLS() =>
        Assert.Equal(new TlsSettings(CertificatePath: "", CertificatePassword: "", CaPath: "", Require: false), TlsSettings.Create(Defaults));

    public static TheoryData<string> EveryPlatformKey() => [.. PlatformKeys()];

    private static List<string> PlatformKeys() => [.. Leaves(PlatformConfig.Defaults.GetValue("platform"), "platform")];

    [Fact]
    public void The_embedded_defaults_have_every_section_of_the_platform()
    {
        var keys = PlatformKeys();
        foreach (var section in new[] { "node", "partition", "group", "gateway", "kafka", "tls", "producer-ids", "tail-cache", "topic-defaults", "http" })
            Assert.Contains(keys, key => key.StartsWith($"platform.{section}.", StringComparison.Ordinal));
    }

    /// <summary>A key nothing reads is a default that can silently drift from what the code does; a key read with a fallback is a second default.</summary>
    [Theory]
    [MemberData(nameof(EveryPlatformKey))]
    public void Every_key_of_the_defaults_is_read_and_a_node_without_it_refuses_to_start_naming_it(string key)
    {
        var config = Without(key);
        var e = Assert.Throws<ConfigurationException>(() => CreateEverySettings(config));
        Assert.Contains(key, e.Message);
    }

    [Fact]
    public void A_missing_section_is_named_too()
    {
        var config = Without("platform.gateway");
        var e = Assert.Throws<ConfigurationException>(() => GatewaySettings.Create(config));
        Assert.Contains("platform.gateway", e.Message);
    }

    /// <summary>What a node creates when it starts (<c>PlatformNode.StartAsync</c>), from one configuration.</summary>
    private static void CreateEverySettings(Config config)
    {
        NodeSettings.Create(config);
        PartitionSettings.Create(config);
        TailCacheSettings.Create(config);
        GroupSettings.Create(config);
        KafkaSettings.Create(config);
        GatewaySettings.Create(config);
        ProducerIdSettings.Create(config);
        TlsSettings.Create(config);
        SqliteSettings.Create(config);
        HttpSettings.Create(config);
        Platform.Actors.Logging.LogSettings.Create(config);
    }

    [Theory]
    [InlineData("checkpoint-interval = 0s", "checkpoint-interval")]
    [InlineData("checkpoint-interval = -1s", "checkpoint-interval")]
    [InlineData("wal-autocheckpoint = 0", "wal-autocheckpoint")]
    [InlineData("read-mmap-size = -1", "read-mmap-size")]
    [InlineData("busy-timeout = -1s", "busy-timeout")]
    public void Sqlite_settings_out_of_bounds_are_refused_naming_the_key(string setting, string key)
    {
        var config = ConfigurationFactory.ParseString($"platform.storage.sqlite.{setting}").WithFallback(Defaults);
        // Out of bounds is an ArgumentException from the record, unparsable (Akka's durations are never negative) a
        // ConfigurationException from the section: either names the key, and the node does not start.
        var error = Assert.ThrowsAny<Exception>(() => SqliteSettings.Create(config));
        Assert.True(error is ArgumentException or ConfigurationException, error.GetType().Name);
        Assert.Contains($"platform.storage.sqlite.{key}", error.Message);
    }

    [Fact]
    public void A_group_journal_check_timeout_of_zero_is_refused_naming_the_key()
    {
        var config = ConfigurationFactory.ParseString("platform.group.journal-check-timeout = 0s").WithFallback(Defaults);
        var error = Assert.Throws<ArgumentException>(() => GroupSettings.Create(config));
        Assert.Contains("platform.group.journal-check-timeout", error.Message);
    }

    /// <summary>A fresh parse of the embedded defaults with one key (or section) taken out.</summary>
    private static Config Without(string path)
    {
        var config = PlatformConfig.Load(typeof(PlatformConfig).Assembly, "Platform.Actors.platform.conf");
        var dot = path.LastIndexOf('.');
        Assert.True(config.GetValue(path[..dot]).GetObject().Items.Remove(path[(dot + 1)..]), $"{path} is not in the defaults");
        Assert.False(config.HasPath(path));
        return config;
    }

    private static IEnumerable<string> Leaves(HoconValue value, string path) =>
        value.IsObject()
            ? value.GetObject().Items.SelectMany(item => Leaves(item.Value, $"{path}.{item.Key}"))
            : [path];
}
