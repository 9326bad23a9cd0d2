using System.Globalization;
using Akka.Actor;
using Akka.Configuration;

namespace Platform.Client.Streams;

/// <summary>
/// What a consumer source needs (Alpakka's ConsumerSettings): the nodes, the group and the consumer's
/// tuning, with defaults from <c>platform.client.consumer</c>. Immutable; change it with the With... methods.
/// A source's memory is bounded by <see cref="MaxPollRecords"/> records plus one fetch response
/// (<see cref="MaxPartitionFetchBytes"/>) per partition, whatever the size of the topic.
/// </summary>
public sealed record ConsumerSettings
{
    /// <summary>The nodes to connect to (host:port), tried in order; a source that owns its connection
    /// moves on to the next one when a node stops answering.</summary>
    public IReadOnlyList<string> BootstrapServers { get; init; } = [];

    /// <summary>Kafka's group.id: needed by group subscriptions and by committable sources.</summary>
    public string? GroupId { get; init; }

    public string ClientId { get; init; } = "platform-streams";

    /// <summary>Kafka's group.instance.id (static membership).</summary>
    public string? GroupInstanceId { get; init; }

    public AutoOffsetReset AutoOffsetReset { get; init; } = AutoOffsetReset.Latest;

    /// <summary>Records fetched ahead of demand: the prefetch of a source.</summary>
    public int MaxPollRecords { get; init; }

    public TimeSpan FetchMaxWait { get; init; }
    public int MaxPartitionFetchBytes { get; init; }
    public TimeSpan SessionTimeout { get; init; }
    public TimeSpan RebalanceTimeout { get; init; }
    public TimeSpan HeartbeatInterval { get; init; }
    public string Assignor { get; init; } = "range";

    /// <summary>Kafka's enable.auto.commit, for <c>PlainSource</c> in a group only: committable sources commit
    /// what the stream processed, and partitioned sources never auto-commit.</summary>
    public bool AutoCommit { get; init; }

    public TimeSpan AutoCommitInterval { get; init; }
    public TimeSpan MetadataRefresh { get; init; }
    public TimeSpan RequestTimeout { get; init; }

    /// <summary>After Shutdown (or a revoke), how long the consumer stays open for commits of records still in the stream.</summary>
    public TimeSpan StopTimeout { get; init; }

    public TimeSpan CommitTimeout { get; init; }
    /// <summary>How often a source retries a retriable error before the stream fails, and the first pause
    /// (it doubles with each failure in a row up to <see cref="RetryBackoffMax"/>).</summary>
    public int Retries { get; init; }
    public TimeSpan RetryBackoff { get; init; }
    public TimeSpan RetryBackoffMax { get; init; }

    /// <summary>A source's retry rule: the client's one policy, bounded by <see cref="Retries"/>.</summary>
    internal RetryPolicy Retry => new(RetryBackoff, RetryBackoffMax, Retries);

    /// <summary>The configuration the settings were read from: what a source's own connection is created with.</summary>
    public Config Config { get; init; } = Config.Empty;

    /// <summary>Defaults from the ActorSystem's configuration over the client's embedded defaults.</summary>
    public static ConsumerSettings Create(ActorSystem system) => Create(system.Settings.Config);

    public static ConsumerSettings Create(Config? config = null)
    {
        var full = (config ?? Config.Empty).WithFallback(ClientSettings.DefaultConfig);
        var c = full.GetConfig("platform.client"); // the stages' own keys; those the client shares come from ClientSettings
        var client = ClientSettings.Read(config);
        var group = ConsumerGroupSettings.Create("", config);
        return new ConsumerSettings
        {
            MaxPollRecords = c.GetInt("consumer.max-poll-records"),
            FetchMaxWait = client.FetchMaxWait,
            MaxPartitionFetchBytes = client.MaxPartitionFetchBytes,
            SessionTimeout = group.SessionTimeout,
            RebalanceTimeout = group.RebalanceTimeout,
            HeartbeatInterval = group.HeartbeatInterval,
            Assignor = group.Assignor,
            AutoCommit = group.AutoCommit,
            AutoCommitInterval = group.AutoCommitInterval,
            MetadataRefresh = group.MetadataRefresh,
            RequestTimeout = client.RequestTimeout,
            StopTimeout = c.GetTimeSpan("consumer.stop-timeout"),
            CommitTimeout = c.GetTimeSpan("consumer.commit-timeout"),
            Retries = c.GetInt("consumer.retries"),
            RetryBackoff = c.GetTimeSpan("consumer.retry-backoff"),
            RetryBackoffMax = client.RetryBackoffMax,
            Config = full,
        };
    }

    /// <summary>Kafka's form: comma-separated host:port pairs.</summary>
    public ConsumerSettings WithBootstrapServers(string servers) => this with { BootstrapServers = ClientSettings.ParseServers(servers) };

    public ConsumerSettings WithGroupId(string groupId) => this with { GroupId = groupId };
    public ConsumerSettings WithClientId(string clientId) => this with { ClientId = clientId };
    public ConsumerSettings WithGroupInstanceId(string? instanceId) => this with { GroupInstanceId = instanceId };
    public ConsumerSettings WithAutoOffsetReset(AutoOffsetReset reset) => this with { AutoOffsetReset = reset };
    public ConsumerSettings WithMaxPollRecords(int records) => this with { MaxPollRecords = records > 0 ? records : throw new ArgumentOutOfRangeException(nameof(records)) };
    public ConsumerSettings WithFetchMaxWait(TimeSpan wait) => this with { FetchMaxWait = wait };
    public ConsumerSettings WithMaxPartitionFetchBytes(int bytes) => this with { MaxPartitionFetchBytes = bytes > 0 ? bytes : throw new ArgumentOutOfRangeException(nameof(bytes)) };
    public ConsumerSettings WithSessionTimeout(TimeSpan timeout) => this with { SessionTimeout = timeout };
    public ConsumerSettings WithRebalanceTimeout(TimeSpan timeout) => this with { RebalanceTimeout = timeout };
    public ConsumerSettings WithHeartbeatInterval(TimeSpan interval) => this with { HeartbeatInterval = interval };
    public ConsumerSettings WithAssignor(string assignor) => this with { Assignor = assignor };
    public ConsumerSettings WithAutoCommit(bool enabled) => this with { AutoCommit = enabled };
    public ConsumerSettings WithRequestTimeout(TimeSpan timeout) => this with { RequestTimeout = timeout };
    public ConsumerSettings WithStopTimeout(TimeSpan timeout) => this with { StopTimeout = timeout };
    public ConsumerSettings WithCommitTimeout(TimeSpan timeout) => this with { CommitTimeout = timeout };
    public ConsumerSettings WithRetries(int retries) => this with { Retries = retries >= 0 ? retries : throw new ArgumentOutOfRangeException(nameof(retries)) };
    public ConsumerSettings WithRetryBackoff(TimeSpan backoff) => this with { RetryBackoff = backoff };

    /// <summary>The plain consumer's settings these stand for: its buffer is the source's prefetch.</summary>
    internal ClientSettings ToClientSettings() => ClientSettings.Create(string.Join(",", BootstrapServers), ConnectionConfig()) with
    {
        FetchMaxWait = FetchMaxWait,
        MaxPartitionFetchBytes = MaxPartitionFetchBytes,
        BufferedRecords = MaxPollRecords,
    };

    /// <summary>The group settings of a source; <paramref name="autoCommit"/> is off for committable sources.</summary>
    internal ConsumerGroupSettings ToGroupSettings(bool autoCommit) =>
        new(GroupId ?? throw new InvalidOperationException("This source needs a group id: ConsumerSettings.WithGroupId(...)"),
            ClientId, GroupInstanceId, SessionTimeout, RebalanceTimeout, HeartbeatInterval, Assignor, autoCommit, AutoCommitInterval, MetadataRefresh);

    /// <summary>The configuration a connection of these settings is opened with (request-timeout as set here).</summary>
    internal Config ConnectionConfig() => ConfigurationFactory.ParseString(string.Create(CultureInfo.InvariantCulture,
        $"platform.client.request-timeout = {(long)RequestTimeout.TotalMilliseconds}ms")).WithFallback(Config);
}
