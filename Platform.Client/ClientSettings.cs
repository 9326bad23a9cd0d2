using Akka.Configuration;
using Platform.Protocol.Records;

namespace Platform.Client;

/// <summary>
/// Client settings read once from <c>platform.client</c> (defaults in hocon/client.conf, embedded), in
/// the immutable With... style that the Akka.Streams ProducerSettings and ConsumerSettings build on.
/// </summary>
public sealed record ClientSettings(
    IReadOnlyList<string> BootstrapServers,
    TimeSpan RequestTimeout,
    int BatchSize,
    TimeSpan Linger,
    int MaxInFlight,
    long MaxBufferedBytes,
    TimeSpan FetchMaxWait,
    int MaxPartitionFetchBytes,
    int BufferedRecords)
{
    /// <summary>The embedded hocon/client.conf: every key the client reads, with its default.</summary>
    public static Config DefaultConfig { get; } = LoadDefaults();

    private static Config LoadDefaults()
    {
        using var stream = typeof(ClientSettings).Assembly.GetManifestResourceStream("Platform.Client.client.conf")
            ?? throw new InvalidOperationException("Embedded resource Platform.Client.client.conf is missing");
        using var reader = new StreamReader(stream);
        return ConfigurationFactory.ParseString(reader.ReadToEnd());
    }

    public static ClientSettings Create(string bootstrapServers, Config? config = null) =>
        Read(config) with { BootstrapServers = ParseServers(bootstrapServers) };

    /// <summary>
    /// Every <c>platform.client</c> key the client and the Streams settings share, read here and only here (the
    /// Streams settings wrap these); no servers yet.
    /// </summary>
    internal static ClientSettings Read(Config? config)
    {
        var c = (config ?? Config.Empty).WithFallback(DefaultConfig).GetConfig("platform.client");
        return new ClientSettings(
            [],
            c.GetTimeSpan("request-timeout"),
            c.GetInt("producer.batch-size"),
            c.GetTimeSpan("producer.linger"),
            c.GetInt("producer.max-in-flight"),
            c.GetByteSize("producer.max-buffered-bytes") ?? throw new ConfigurationException("platform.client.producer.max-buffered-bytes is missing"),
            c.GetTimeSpan("consumer.fetch-max-wait"),
            c.GetInt("consumer.max-partition-fetch-bytes"),
            c.GetInt("consumer.buffered-records"))
        {
            RetryBackoff = c.GetTimeSpan("retry-backoff"),
            RetryBackoffMax = c.GetTimeSpan("retry-backoff-max"),
            Retries = c.GetInt("producer.retries"),
            DeliveryTimeout = c.GetTimeSpan("producer.delivery-timeout"),
            StorageErrorTimeout = c.GetTimeSpan("producer.storage-error-timeout", allowInfinite: true),
            EnableIdempotence = c.GetBoolean("producer.enable-idempotence"),
            ProduceTimeout = c.GetTimeSpan("producer.request-timeout"),
            FetchTimeout = c.GetTimeSpan("consumer.request-timeout"),
            ClientId = c.GetString("client-id"),
            Compression = ParseCompression(c.GetString("producer.compression")),
            MaxRequestSize = c.GetByteSize("producer.max-request-size") is { } max and > 0 and <= int.MaxValue
                ? (int)max
                : throw new ConfigurationException("platform.client.producer.max-request-size must be a size of 1 byte to 2 GiB"),
        };
    }

    /// <summary>
    /// How long a batch may wait for its acknowledgement before it is sent again. Shorter than
    /// <see cref="RequestTimeout"/> because a message routed to a member that has just died is dropped
    /// without an answer, and re-sending is safe: idempotence turns a batch that did arrive into its
    /// original acknowledgement.
    /// </summary>
    public TimeSpan ProduceTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>How long a fetch may take beyond its long-poll wait before it is asked again (fetches are safe to repeat).</summary>
    public TimeSpan FetchTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Pause before a retriable request is tried again the first time (Kafka's retry.backoff.ms).</summary>
    public TimeSpan RetryBackoff { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>The pause doubles with each failure in a row up to this (Kafka's retry.backoff.max.ms).</summary>
    public TimeSpan RetryBackoffMax { get; init; } = TimeSpan.FromMilliseconds(250);

    /// <summary>The one retry rule of every request this client sends, from the backoff settings.</summary>
    internal RetryPolicy Retry => new(RetryBackoff, RetryBackoffMax) { StorageErrorTimeout = StorageErrorTimeout };

    /// <summary>How often a batch may be re-sent after a retriable error (Kafka's retries).</summary>
    public int Retries { get; init; } = int.MaxValue;

    /// <summary>The longest a record may wait for its acknowledgement, retries included (Kafka's delivery.timeout.ms).</summary>
    public TimeSpan DeliveryTimeout { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>
    /// How long a batch keeps being re-sent while its partition answers KAFKA_STORAGE_ERROR in a row: infinite
    /// (the default, Kafka's behaviour) leaves it to <see cref="DeliveryTimeout"/>. Kafka has no non-retriable
    /// storage error, so a node cannot say "this will not heal soon" (a full disk, a read-only database); a caller
    /// that would rather hear of it in seconds, as <c>platform produce</c> does, sets this.
    /// </summary>
    public TimeSpan StorageErrorTimeout { get; init; } = Timeout.InfiniteTimeSpan;

    /// <summary>
    /// Kafka's enable.idempotence: batches carry a producer id and sequence numbers, so a partition
    /// recognises a retried batch it already stored and acknowledges it again instead of appending it twice.
    /// </summary>
    public bool EnableIdempotence { get; init; } = true;

    /// <summary>Kafka's client.id: sent with every request, shown by <c>groups describe</c>.</summary>
    public string ClientId { get; init; } = "platform-client";

    /// <summary>
    /// Kafka's max.request.size: the largest record the producer sends, checked when it is produced, so a record no
    /// node would take fails at once with MessageTooLarge instead of after a round trip (or a delivery timeout).
    /// </summary>
    public int MaxRequestSize { get; init; } = 1048576;

    /// <summary>Kafka's compression.type for produced batches: none, gzip, snappy, lz4 or zstd.</summary>
    public CompressionType Compression { get; init; } = CompressionType.None;

    /// <summary>Kafka's compression.type names.</summary>
    public static CompressionType ParseCompression(string? name) => name?.Trim().ToLowerInvariant() switch
    {
        null or "" or "none" => CompressionType.None,
        "gzip" => CompressionType.Gzip,
        "snappy" => CompressionType.Snappy,
        "lz4" => CompressionType.Lz4,
        "zstd" => CompressionType.Zstd,
        _ => throw new ArgumentException($"Unknown compression '{name}' (expected none, gzip, snappy, lz4 or zstd)"),
    };

    /// <summary>Kafka's form: comma-separated host:port pairs.</summary>
    public static IReadOnlyList<string> ParseServers(string servers)
    {
        var list = servers.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (list.Length == 0) throw new ArgumentException("No bootstrap server given (expected host:port)");
        foreach (var server in list)
        {
            var colon = server.LastIndexOf(':');
            if (colon <= 0 || !int.TryParse(server[(colon + 1)..], out var port) || port is <= 0 or > 65535)
                throw new ArgumentException($"Invalid bootstrap server '{server}' (expected host:port)");
        }
        return list;
    }

    public ClientSettings WithBatchSize(int bytes) => this with { BatchSize = bytes };
    public ClientSettings WithLinger(TimeSpan linger) => this with { Linger = linger };
    public ClientSettings WithMaxInFlight(int count) => this with { MaxInFlight = count };
    public ClientSettings WithRequestTimeout(TimeSpan timeout) => this with { RequestTimeout = timeout };
    public ClientSettings WithRetryBackoff(TimeSpan backoff) => this with { RetryBackoff = backoff };
    public ClientSettings WithRetryBackoffMax(TimeSpan backoff) => this with { RetryBackoffMax = backoff };
    public ClientSettings WithProduceTimeout(TimeSpan timeout) => this with { ProduceTimeout = timeout };
    public ClientSettings WithFetchTimeout(TimeSpan timeout) => this with { FetchTimeout = timeout };
    public ClientSettings WithRetries(int retries) => this with { Retries = retries };
    public ClientSettings WithDeliveryTimeout(TimeSpan timeout) => this with { DeliveryTimeout = timeout };
    public ClientSettings WithStorageErrorTimeout(TimeSpan timeout) => this with { StorageErrorTimeout = timeout };
    public ClientSettings WithIdempotence(bool enabled) => this with { EnableIdempotence = enabled };
    public ClientSettings WithFetchMaxWait(TimeSpan wait) => this with { FetchMaxWait = wait };
    public ClientSettings WithMaxPartitionFetchBytes(int bytes) => this with { MaxPartitionFetchBytes = bytes };
    public ClientSettings WithClientId(string clientId) => this with { ClientId = clientId };
    public ClientSettings WithCompression(CompressionType compression) => this with { Compression = compression };
    public ClientSettings WithMaxRequestSize(int bytes) => this with { MaxRequestSize = bytes };
}
