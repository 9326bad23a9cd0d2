using System.Reflection;
using Akka.Configuration;
using Akka.Persistence.Sql;

namespace Platform.Actors.Configuration;

/// <summary>
/// Builds a node's HOCON in one place, in this order of precedence: the operator's switches, the operator's
/// --config file, a profile (hocon/single-node.conf or cluster.conf), the defaults embedded from
/// hocon/platform.conf, then the reference configs of the Akka modules.
/// </summary>
public static class PlatformConfig
{
    /// <summary>The embedded hocon/platform.conf.</summary>
    public static Config Defaults { get; } = Load(typeof(PlatformConfig).Assembly, "Platform.Actors.platform.conf");

    internal static Config Load(Assembly assembly, string resource)
    {
        using var stream = assembly.GetManifestResourceStream(resource)
            ?? throw new InvalidOperationException($"Embedded resource {resource} is missing");
        using var reader = new StreamReader(stream);
        return ConfigurationFactory.ParseString(reader.ReadToEnd());
    }

    /// <summary>The whole configuration of a node started with <paramref name="options"/>.</summary>
    public static Config ForNode(NodeOptions options, Config? profile = null)
    {
        var postgres = options.Storage == StorageKind.Postgres;
        if (postgres && string.IsNullOrWhiteSpace(options.ConnectionString))
            throw new ArgumentException("PostgreSQL storage needs a connection string (--connection-string or PLATFORM_CONNECTION_STRING)");
        var connection = postgres ? options.ConnectionString! : SqliteConnectionString(options.DataDir, "platform.db");
        // On SQLite the snapshot store has a file of its own: a file is one write lock, and a snapshot save that held
        // the journal file's lock made the journal's commits behind it wait in SQLite's busy handler, whose sleeps
        // (1, 2, 5 ms ...) were the paced run's slowest acknowledgements (issue #16; SqliteStorage.Prepare moves an
        // older node's snapshots over).
        var snapshotConnection = postgres ? connection : SqliteConnectionString(options.DataDir, "snapshots.db");
        // PostgreSQL takes concurrent writers; SQLite has one (platform.conf keeps parallelism = 1 for it).
        var storage = postgres
            ? """
              akka.persistence.journal.sql { provider-name = "PostgreSQL.15", parallelism = 3 }
              akka.persistence.snapshot-store.sql.provider-name = "PostgreSQL.15"
              """
            : "";
        var seeds = string.Join(", ", (options.Seeds ?? []).Select(seed => Quote($"akka.tcp://{Hosting.PlatformNode.SystemName}@{seed}")));
        var kafka = (options.KafkaPort is { } kafkaPort ? $"platform.kafka.port = {kafkaPort}\n" : "")
            + (options.KafkaAdvertised is { } advertised ? AdvertisedHocon(advertised) : "")
            + (options.HttpPort is { } httpPort ? $"platform.http.port = {httpPort}\n" : "");
        var tls = (options.Tls is { } t
                ? $"platform.tls {{ certificate = {Quote(Path.GetFullPath(t.Certificate))}, certificate-password = {Quote(t.Password ?? "")}, ca = {Quote(Path.GetFullPath(t.Ca))} }}\n"
                : "")
            + (options.RequireTls ? "platform.tls.require = on\n" : "");
        var overrides = ConfigurationFactory.ParseString($$"""
            akka.cluster.seed-nodes = [{{seeds}}]
            akka.remote.dot-netty.tcp.hostname = {{Quote(options.Host)}}
            akka.remote.dot-netty.tcp.port = {{options.Port}}
            akka.persistence.journal.sql.connection-string = {{Quote(connection)}}
            akka.persistence.snapshot-store.sql.connection-string = {{Quote(snapshotConnection)}}
            {{storage}}
            {{kafka}}
            {{tls}}
            """);
        var config = overrides;
        if (options.Extra is not null) config = config.WithFallback(options.Extra);
        if (profile is not null) config = config.WithFallback(profile);
        return config.WithFallback(Defaults).WithFallback(SqlPersistence.DefaultConfiguration);
    }

    private static string SqliteConnectionString(string dataDir, string file) =>
        $"Data Source={Path.GetFullPath(Path.Combine(dataDir, file))};Default Timeout=60;Pooling=True";

    /// <summary>host:port (or host alone) that Kafka clients are told to connect to.</summary>
    private static string AdvertisedHocon(string advertised)
    {
        var colon = advertised.LastIndexOf(':');
        if (colon < 0) return $"platform.kafka.advertised-host = {Quote(advertised)}\n";
        if (!int.TryParse(advertised[(colon + 1)..], System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var port) || port is <= 0 or > 65535)
            throw new ArgumentException($"The Kafka advertised address '{advertised}' is not host:port");
        return $"platform.kafka.advertised-host = {Quote(advertised[..colon])}\nplatform.kafka.advertised-port = {port}\n";
    }

    internal static string Quote(string value) => "\"" + value.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"";
}

/// <summary>What an operator changes when starting a node (switches and environment variables).</summary>
/// <param name="Seeds">host:port of cluster members to join; none means a cluster of one (the node joins itself).</param>
/// <param name="Extra">The --config file (or a spec's settings): wins over the profile and the defaults, never over a switch.</param>
/// <param name="KafkaPort">The Kafka listener's port; null keeps <c>platform.kafka.port</c> (9092), 0 takes a free one.</param>
/// <param name="KafkaAdvertised">host[:port] Kafka clients are told to connect to, when not the bound one.</param>
/// <param name="Tls">The node's certificate and the cluster's CA: remoting over mutual TLS (<c>platform.tls</c>).</param>
/// <param name="HttpPort">The operator HTTP endpoint's port; null keeps <c>platform.http.port</c> (8080), 0 takes a free one.</param>
/// <param name="RequireTls">Refuse to start with seeds but without <paramref name="Tls"/> (<c>platform.tls.require</c>).</param>
public sealed record NodeOptions(string DataDir, string Host, int Port, Config? Extra = null, IReadOnlyList<string>? Seeds = null,
    StorageKind Storage = StorageKind.Sqlite, string? ConnectionString = null, int? KafkaPort = null, string? KafkaAdvertised = null,
    TlsOptions? Tls = null, bool RequireTls = false, int? HttpPort = null);

/// <summary>The files of a node's mutual TLS: its PKCS#12 certificate with key, and the cluster CA's certificate.</summary>
public sealed record TlsOptions(string Certificate, string? Password, string Ca);

/// <summary>Where journal and snapshots live: the embedded SQLite file (one node) or PostgreSQL (shared by a cluster).</summary>
public enum StorageKind
{
    Sqlite,
    Postgres,
}
