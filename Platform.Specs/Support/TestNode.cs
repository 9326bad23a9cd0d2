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
    private const string Prefix = "platform-spec-";

    /// <summary>
    /// A fresh data directory named after the test process (<c>platform-spec-PID-…</c>): removed once the process has
    /// exited (<see cref="SpecLeftovers"/>), or else with the next run's first data directory.
    /// </summary>
    public static string NewDataDir()
    {
        SpecLeftovers.WatchThisProcess();
        Remove(name => SpecLeftovers.OfEndedProcess(name, '-'));
        return Directory.CreateTempSubdirectory($"{Prefix}{Environment.ProcessId}-").FullName;
    }

    private static void Remove(Func<string, bool> which)
    {
        foreach (var dir in Directory.EnumerateDirectories(Path.GetTempPath(), Prefix + "*"))
        {
            if (!which(Path.GetFileName(dir)[Prefix.Length..])) continue;
            try
            {
                Directory.Delete(dir, recursive: true);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Still in use, or removed by another run at the same moment: the next run tries again.
            }
        }
    }

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
