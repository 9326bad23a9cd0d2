using Akka.Configuration;
using Platform.Actors.Configuration;
using Platform.Actors.Hosting;

namespace Platform.Specs.Support;

/// <summary>
/// A real node for specs: the production wiring (cluster of one, sharding, SQLite journal in WAL mode)
/// on a fresh temporary data directory and a free loopback port.
/// </summary>
public static class TestNode
{
    public static string NewDataDir() => Directory.CreateTempSubdirectory("platform-spec-").FullName;

    /// <param name="postgres">A PostgreSQL connection string for the journal (nodes of one cluster share it); SQLite when null.</param>
    public static Task<PlatformNode> StartAsync(string? dataDir = null, string? extraHocon = null, int port = 0, IReadOnlyList<string>? seeds = null,
        TlsOptions? tls = null, string host = "127.0.0.1", string? postgres = null)
    {
        var extra = ConfigurationFactory.ParseString(extraHocon ?? "")
            .WithFallback(ConfigurationFactory.ParseString("""
                akka.loglevel = WARNING
                platform.partition.retention-check-interval = 60s
                """));
        return PlatformNode.StartAsync(PlatformConfig.ForNode(new NodeOptions(dataDir ?? NewDataDir(), host, port, extra, seeds,
            postgres is null ? StorageKind.Sqlite : StorageKind.Postgres, postgres, KafkaPort: 0, Tls: tls, HttpPort: 0)));
    }
}
