using System.Globalization;
using System.Runtime.InteropServices;
using Akka.Configuration;
using Platform.Actors.Configuration;
using Platform.Actors.Hosting;
using Platform.Actors.Remoting;

namespace Platform.Host.Commands;

/// <summary><c>platform node</c>: runs a node until Ctrl-C or SIGTERM, then shuts down gracefully.</summary>
internal static class NodeCommand
{
    public static async Task<int> RunAsync(string[] args)
    {
        var line = new CommandLine(args, new HashSet<string> { "require-tls" });
        var dataDir = line.Option("data-dir") ?? Environment.GetEnvironmentVariable("PLATFORM_DATA_DIR") ?? "data";
        var host = line.Option("host") ?? Environment.GetEnvironmentVariable("PLATFORM_HOST") ?? "127.0.0.1";
        var port = line.Int("port", 0) ?? (int.TryParse(Environment.GetEnvironmentVariable("PLATFORM_PORT"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var p) ? p : 9192);
        var kafkaPort = line.Int("kafka-port", 0) ?? (int.TryParse(Environment.GetEnvironmentVariable("PLATFORM_KAFKA_PORT"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var kp) ? kp : null);
        var httpPort = line.Int("http-port", 0) ?? (int.TryParse(Environment.GetEnvironmentVariable("PLATFORM_HTTP_PORT"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var hp) ? hp : null);
        var kafkaAdvertised = line.Option("kafka-advertised") ?? Environment.GetEnvironmentVariable("PLATFORM_KAFKA_ADVERTISED");
        var configFile = line.Option("config");
        var seeds = line.Options("seed").ToList();
        var storageName = line.Option("storage") ?? Environment.GetEnvironmentVariable("PLATFORM_STORAGE") ?? "sqlite";
        var storage = storageName switch
        {
            "sqlite" => StorageKind.Sqlite,
            "postgres" or "postgresql" => StorageKind.Postgres,
            _ => throw new UsageException($"--storage takes sqlite or postgres, got '{storageName}'"),
        };
        var connectionString = line.Option("connection-string") ?? Environment.GetEnvironmentVariable("PLATFORM_CONNECTION_STRING");
        if (storage == StorageKind.Postgres && string.IsNullOrWhiteSpace(connectionString))
            throw new UsageException("--storage postgres needs --connection-string (or PLATFORM_CONNECTION_STRING), e.g. \"Host=db;Username=platform;Password=...;Database=platform\"");
        if (Environment.GetEnvironmentVariable("PLATFORM_SEEDS") is { Length: > 0 } envSeeds && seeds.Count == 0)
            seeds.AddRange(envSeeds.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        var tlsCert = line.Option("tls-cert") ?? Environment.GetEnvironmentVariable("PLATFORM_TLS_CERT");
        var tlsPassword = line.Option("tls-cert-password") ?? Environment.GetEnvironmentVariable("PLATFORM_TLS_CERT_PASSWORD");
        var tlsCa = line.Option("tls-ca") ?? Environment.GetEnvironmentVariable("PLATFORM_TLS_CA");
        var requireTls = line.Flag("require-tls") || Environment.GetEnvironmentVariable("PLATFORM_REQUIRE_TLS") is "true" or "1" or "on";
        var logLevel = line.Option("log-level")?.ToUpperInvariant();
        var logFormat = line.Option("log-format");
        line.RejectUnknown();
        if (logLevel is not (null or "DEBUG" or "INFO" or "WARNING" or "ERROR")) throw new UsageException($"--log-level takes DEBUG, INFO, WARNING or ERROR, got '{logLevel}'");
        if (logFormat is not (null or "text" or "json")) throw new UsageException($"--log-format takes text or json, got '{logFormat}'");
        if (string.IsNullOrEmpty(tlsCert) != string.IsNullOrEmpty(tlsCa))
            throw new UsageException("--tls-cert and --tls-ca go together: the node's PKCS#12 certificate and the cluster CA's certificate (platform certs create makes both)");
        var tls = string.IsNullOrEmpty(tlsCert) ? null : new TlsOptions(tlsCert, tlsPassword, tlsCa!);
        if (line.Positionals.Count > 0) throw new UsageException($"Unexpected argument '{line.Positionals[0]}'");

        Config? extra = null;
        if (configFile is not null)
        {
            if (!File.Exists(configFile)) throw new UsageException($"Config file '{configFile}' does not exist");
            extra = ConfigurationFactory.ParseString(await File.ReadAllTextAsync(configFile));
        }
        // akka.loglevel and platform.log.format as switches: over the --config file, as every switch.
        var logging = (logLevel is null ? "" : $"akka.loglevel = {logLevel}\n") + (logFormat is null ? "" : $"platform.log.format = {logFormat}\n");
        if (logging.Length > 0) extra = ConfigurationFactory.ParseString(logging).WithFallback(extra ?? Config.Empty);
        var config = PlatformConfig.ForNode(new NodeOptions(dataDir, host, port, extra, seeds, storage, connectionString, kafkaPort, kafkaAdvertised, tls, requireTls, httpPort),
            Profile(seeds.Count > 0 || storage == StorageKind.Postgres ? "cluster.conf" : "single-node.conf"));
        // Before the node starts, so that it is the first thing an operator sees (and refused at once with --require-tls).
        if (RemotingSecurity.Decide(config) == RemotingExposure.Unprotected) Console.Error.WriteLine($"warning: {RemotingSecurity.UnprotectedWarning}");
        var node = await PlatformNode.StartAsync(config);
        // Ctrl-C and SIGTERM: leave the cluster and hand shards off through CoordinatedShutdown instead of
        // dying mid-write; cancelling the default handling lets this method finish the shutdown itself.
        void Stop(PosixSignalContext context)
        {
            context.Cancel = true;
            _ = node.StopAsync();
        }
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
        var where = storage == StorageKind.Postgres ? "journal on PostgreSQL" : $"data in {Path.GetFullPath(dataDir)}";
        var remoting = node.Remoting switch
        {
            RemotingExposure.MutualTls => "remoting over mutual TLS",
            RemotingExposure.Loopback => "remoting on loopback only",
            _ => "remoting UNPROTECTED",
        };
        Console.Error.WriteLine($"Platform node up at {node.Endpoint} ({remoting}), Kafka listener at {node.KafkaEndpoint} ({where}), health and metrics at {node.HttpEndpoint}. Ctrl-C stops it.");
        await node.WhenTerminated;
        Console.Error.WriteLine("Platform node stopped.");
        return 0;
    }

    /// <summary>A profile from the hocon/ folder next to the executable, if present.</summary>
    public static Config? Profile(string name)
    {
        var path = Path.Combine(AppContext.BaseDirectory, "hocon", name);
        return File.Exists(path) ? ConfigurationFactory.ParseString(File.ReadAllText(path)) : null;
    }
}
