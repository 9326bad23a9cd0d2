using System.Globalization;
using Akka.Actor;
using Akka.Configuration;

namespace Platform.Client.Streams;

/// <summary>
/// What a producer stage needs (Alpakka's ProducerSettings): the nodes to connect to and the producer's
/// tuning, with defaults from <c>platform.client.producer</c>. Immutable; change it with the With... methods.
/// Every acknowledgement means the batch is in the node's journal (Kafka's acks=all): there is no weaker mode.
/// </summary>
public sealed record ProducerSettings
{
    /// <summary>The nodes to connect to (host:port), tried in order; a stage that owns its connection moves
    /// on to the next one when a node stops answering.</summary>
    public IReadOnlyList<string> BootstrapServers { get; init; } = [];

    public int BatchSize { get; init; }
    public TimeSpan Linger { get; init; }

    /// <summary>Batches in flight per partition (Kafka's max.in.flight.requests.per.connection).</summary>
    public int MaxInFlight { get; init; }

    public long MaxBufferedBytes { get; init; }

    /// <summary>Records a stage keeps in flight before it stops pulling.</summary>
    public int Parallelism { get; init; }

    /// <summary>The producer's retries of a batch after a retriable error (Kafka's retries), in order and
    /// idempotent: a batch that did reach the journal is acknowledged again, not stored twice.</summary>
    public int Retries { get; init; }

    /// <summary>The pause before a retry (Kafka's retry.backoff.ms).</summary>
    public TimeSpan RetryBackoff { get; init; }
    public TimeSpan RequestTimeout { get; init; }

    /// <summary>Whether topics missing on the node may be created by the producer's lookups (if the node allows it).</summary>
    public bool AllowAutoCreateTopics { get; init; } = true;

    /// <summary>The configuration the settings were read from: what a stage's own connection is created with.</summary>
    public Config Config { get; init; } = Config.Empty;

    /// <summary>Defaults from the ActorSystem's configuration over the client's embedded defaults.</summary>
    public static ProducerSettings Create(ActorSystem system) => Create(system.Settings.Config);

    public static ProducerSettings Create(Config? config = null)
    {
        var full = (config ?? Config.Empty).WithFallback(ClientSettings.DefaultConfig);
        var client = ClientSettings.Read(config); // the keys the client shares are read there, once
        return new ProducerSettings
        {
            BatchSize = client.BatchSize,
            Linger = client.Linger,
            MaxInFlight = client.MaxInFlight,
            MaxBufferedBytes = client.MaxBufferedBytes,
            Parallelism = full.GetConfig("platform.client").GetInt("producer.parallelism"),
            Retries = client.Retries,
            RetryBackoff = client.RetryBackoff,
            RequestTimeout = client.RequestTimeout,
            Config = full,
        };
    }

    /// <summary>Kafka's form: comma-separated host:port pairs.</summary>
    public ProducerSettings WithBootstrapServers(string servers) => this with { BootstrapServers = ClientSettings.ParseServers(servers) };

    public ProducerSettings WithBatchSize(int bytes) => this with { BatchSize = Positive(bytes, nameof(BatchSize)) };
    public ProducerSettings WithLinger(TimeSpan linger) => this with { Linger = linger };
    public ProducerSettings WithMaxInFlight(int batches) => this with { MaxInFlight = Positive(batches, nameof(MaxInFlight)) };
    public ProducerSettings WithMaxBufferedBytes(long bytes) => this with { MaxBufferedBytes = bytes > 0 ? bytes : throw new ArgumentOutOfRangeException(nameof(bytes)) };
    public ProducerSettings WithParallelism(int records) => this with { Parallelism = Positive(records, nameof(Parallelism)) };
    public ProducerSettings WithRetries(int retries) => this with { Retries = retries >= 0 ? retries : throw new ArgumentOutOfRangeException(nameof(retries)) };
    public ProducerSettings WithRetryBackoff(TimeSpan backoff) => this with { RetryBackoff = backoff };
    public ProducerSettings WithRequestTimeout(TimeSpan timeout) => this with { RequestTimeout = timeout };
    public ProducerSettings WithAllowAutoCreateTopics(bool allow) => this with { AllowAutoCreateTopics = allow };

    /// <summary>The plain producer's settings these stand for.</summary>
    internal ClientSettings ToClientSettings() => ClientSettings.Create(string.Join(",", BootstrapServers), ConnectionConfig()) with
    {
        BatchSize = BatchSize,
        Linger = Linger,
        MaxInFlight = MaxInFlight,
        MaxBufferedBytes = MaxBufferedBytes,
        Retries = Retries,
        RetryBackoff = RetryBackoff,
    };

    /// <summary>The configuration a connection of these settings is opened with (request-timeout as set here).</summary>
    internal Config ConnectionConfig() => ConfigurationFactory.ParseString(string.Create(CultureInfo.InvariantCulture,
        $"platform.client.request-timeout = {(long)RequestTimeout.TotalMilliseconds}ms")).WithFallback(Config);

    private static int Positive(int value, string name) => value > 0 ? value : throw new ArgumentOutOfRangeException(name, value, "must be positive");
}
