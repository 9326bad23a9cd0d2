using System.CommandLine;
using System.Globalization;
using System.Runtime.InteropServices;
using Akka.Configuration;
using Platform.Actors.Configuration;
using Platform.Actors.Hosting;
using Platform.Actors.Remoting;
using Platform.Host.Cli;

namespace Platform.Host.Commands;

/// <summary><c>platform node</c>: runs a node until Ctrl-C or SIGTERM, then shuts down gracefully.</summary>
internal static class NodeCommand
{
    /// <summary>Log levels as Akka names them (akka.loglevel).</summary>
    private static readonly string[] LogLevels = ["DEBUG", "INFO", "WARNING", "ERROR", "OFF"];

    public static Command Create()
    {
        var dataDirOption = CliOptions.Text("--data-dir", "Where the SQLite store lives (default: PLATFORM_DATA_DIR or ./data); unused with --storage postgres", "DIR");
        var hostOption = CliOptions.Text("--host", "The address the node binds and advertises (default: PLATFORM_HOST or 127.0.0.1)", "HOST");
        var portOption = CliOptions.Number<int>("--port", "Remoting port, for cluster members only (default: PLATFORM_PORT or 9192)", min: 0, helpName: "P");
        var kafkaPortOption = CliOptions.Number<int>("--kafka-port", "The Kafka listener's port, what clients connect to (default: PLATFORM_KAFKA_PORT or platform.kafka.port, 9092; 0 takes a free port)", min: 0);
        var kafkaAdvertisedOption = CliOptions.Text("--kafka-advertised", "The address clients are told to connect to, when they reach the node through another name (default: PLATFORM_KAFKA_ADVERTISED)", "HOST:PORT");
        var httpPortOption = CliOptions.Number<int>("--http-port", "The web console (/), health checks and Prometheus metrics: /health/live, /health/ready, /metrics (default: PLATFORM_HTTP_PORT or platform.http.port, 8080; 0 takes a free port)", min: 0);
        var configOption = CliOptions.Text("--config", "A HOCON file layered over hocon/'s defaults; the switches win over it", "FILE");
        var seedOption = new Option<string[]>("--seed") { Description = "A cluster member's remoting address to join through, repeatable (default: PLATFORM_SEEDS, comma-separated)", HelpName = "HOST:PORT" };
        var storageOption = CliOptions.Text("--storage", "sqlite (embedded, one node) or postgres (shared by a cluster) (default: PLATFORM_STORAGE or sqlite)", "sqlite|postgres");
        storageOption.OneOf(StringComparer.Ordinal, "sqlite", "postgres", "postgresql");
        var connectionStringOption = CliOptions.Text("--connection-string", "PostgreSQL's Npgsql connection string, with --storage postgres (default: PLATFORM_CONNECTION_STRING)", "CS");
        var tlsCertOption = CliOptions.Text("--tls-cert", "The node's PKCS#12 certificate for mutual TLS between nodes (default: PLATFORM_TLS_CERT)", "FILE.p12");
        var tlsPasswordOption = CliOptions.Text("--tls-cert-password", "Its password (default: PLATFORM_TLS_CERT_PASSWORD)", "PW");
        var tlsCaOption = CliOptions.Text("--tls-ca", "The cluster CA's certificate; only peers it issued are accepted (default: PLATFORM_TLS_CA)", "CA.crt");
        var requireTlsOption = CliOptions.Flag("--require-tls", "Refuse to start with seeds but without mutual TLS (default: PLATFORM_REQUIRE_TLS=true)");
        var logLevelOption = CliOptions.Text("--log-level", "The node's log level, akka.loglevel (default: as HOCON says, INFO)", "DEBUG|INFO|WARNING|ERROR|OFF");
        logLevelOption.OneOf(StringComparer.OrdinalIgnoreCase, LogLevels);
        var logFormatOption = CliOptions.Text("--log-format", "Log lines as text or as one JSON object each, platform.log.format (default: as HOCON says)", "text|json");
        logFormatOption.OneOf(StringComparer.Ordinal, "text", "json");
        var command = new Command("node", """
            Run a node: a cluster of one on the embedded SQLite store, or a member of the cluster its seeds belong to.
            Remoting between nodes runs over mutual TLS with certificates of the cluster's CA; without them a node alone
            binds remoting to 127.0.0.1, and a node with seeds warns (or, with --require-tls, refuses to start).
            It prints its PID when it is up; Ctrl-C or SIGTERM stop it gracefully (leave the cluster, hand shards off).
            """).With(dataDirOption, hostOption, portOption, kafkaPortOption, kafkaAdvertisedOption, httpPortOption, configOption, seedOption,
            storageOption, connectionStringOption, tlsCertOption, tlsPasswordOption, tlsCaOption, requireTlsOption, logLevelOption, logFormatOption);
        command.SetAction(async (parse, _) =>
        {
            var seeds = (parse.GetValue(seedOption) ?? []).ToList();
            if (Environment.GetEnvironmentVariable("PLATFORM_SEEDS") is { Length: > 0 } envSeeds && seeds.Count == 0)
                seeds.AddRange(envSeeds.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
            var overrides = new List<string>();
            if (parse.GetValue(logLevelOption) is { } level) overrides.Add($"akka.loglevel = {level.ToUpperInvariant()}");
            if (parse.GetValue(logFormatOption) is { } format) overrides.Add($"platform.log.format = {format}");
            return await RunAsync(
                parse.GetValue(dataDirOption) ?? Environment.GetEnvironmentVariable("PLATFORM_DATA_DIR") ?? "data",
                parse.GetValue(hostOption) ?? Environment.GetEnvironmentVariable("PLATFORM_HOST") ?? "127.0.0.1",
                parse.GetValue(portOption) ?? EnvInt("PLATFORM_PORT") ?? 9192,
                parse.GetValue(kafkaPortOption) ?? EnvInt("PLATFORM_KAFKA_PORT"),
                parse.GetValue(httpPortOption) ?? EnvInt("PLATFORM_HTTP_PORT"),
                parse.GetValue(kafkaAdvertisedOption) ?? Environment.GetEnvironmentVariable("PLATFORM_KAFKA_ADVERTISED"),
                parse.GetValue(configOption), seeds, string.Join('\n', overrides),
                parse.GetValue(storageOption) ?? Environment.GetEnvironmentVariable("PLATFORM_STORAGE") ?? "sqlite",
                parse.GetValue(connectionStringOption) ?? Environment.GetEnvironmentVariable("PLATFORM_CONNECTION_STRING"),
                parse.GetValue(tlsCertOption) ?? Environment.GetEnvironmentVariable("PLATFORM_TLS_CERT"),
                parse.GetValue(tlsPasswordOption) ?? Environment.GetEnvironmentVariable("PLATFORM_TLS_CERT_PASSWORD"),
                parse.GetValue(tlsCaOption) ?? Environment.GetEnvironmentVariable("PLATFORM_TLS_CA"),
                parse.GetValue(requireTlsOption) || Environment.GetEnvironmentVariable("PLATFORM_REQUIRE_TLS") is "true" or "1" or "on");
        });
        return command;
    }

    private static int? EnvInt(string name) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) ? value : null;

    private static async Task<int> RunAsync(string dataDir, string host, int port, int? kafkaPort, int? httpPort, string? kafkaAdvertised,
        string? configFile, List<string> seeds, string overrides, string storageName, string? connectionString, string? tlsCert, string? tlsPassword,
        string? tlsCa, bool requireTls)
    {
        var storage = storageName switch
        {
            "sqlite" => StorageKind.Sqlite,
            "postgres" or "postgresql" => StorageKind.Postgres,
            _ => throw new UsageException($"--storage takes sqlite or postgres, got '{storageName}'"),
        };
        if (storage == StorageKind.Postgres && string.IsNullOrWhiteSpace(connectionString))
            throw new UsageException("--storage postgres needs --connection-string (or PLATFORM_CONNECTION_STRING), e.g. \"Host=db;Username=platform;Password=...;Database=platform\"");
        if (string.IsNullOrEmpty(tlsCert) != string.IsNullOrEmpty(tlsCa))
            throw new UsageException("--tls-cert and --tls-ca go together: the node's PKCS#12 certificate and the cluster CA's certificate (platform certs create makes both)");
        var tls = string.IsNullOrEmpty(tlsCert) ? null : new TlsOptions(tlsCert, tlsPassword, tlsCa!);

        // --log-level and --log-format are HOCON keys like any other: over the --config file, under nothing.
        Config? extra = overrides.Length > 0 ? ConfigurationFactory.ParseString(overrides) : null;
        if (configFile is not null)
        {
            if (!File.Exists(configFile)) throw new UsageException($"Config file '{configFile}' does not exist");
            var file = ConfigurationFactory.ParseString(await File.ReadAllTextAsync(configFile));
            extra = extra is null ? file : extra.WithFallback(file);
        }
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
        // The PID, so that an operator (and the README) can stop or kill this very process, whatever started it.
        Console.Error.WriteLine($"Platform node up (PID {Environment.ProcessId}) at {node.Endpoint} ({remoting}), Kafka listener at {node.KafkaEndpoint} ({where}). Web console: {node.HttpEndpoint}/ (health and metrics at {node.HttpEndpoint}). Ctrl-C stops it.");
        // This process is the node's alone: memory the node no longer needs goes back to the OS whenever it is quiet.
        var released = node.ReleaseMemoryWhenQuietAsync();
        await node.WhenTerminated;
        await released;
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
