using Platform.Bench;

namespace Platform.Host.Commands;

/// <summary>
/// <c>platform bench</c>: parses the switches of the benchmark asked for (<c>--groups</c>, <c>--streams</c>,
/// <c>--kafka</c>, or produce and consume by default), rejects what it does not know, and runs it from
/// Platform.Bench, where the benchmarks live. Measures a running node; it is a command, never a test.
/// </summary>
internal static class BenchCommand
{
    public static Task<int> RunAsync(string[] args)
    {
        var line = new CommandLine(args, new HashSet<string> { "keep", "groups", "streams", "kafka" });
        if (line.Flag("groups")) return Groups(line);
        if (line.Flag("streams")) return Streams(line);
        if (line.Flag("kafka")) return Kafka(line);
        var scenario = Scenario(line);
        var options = new BenchOptions(
            ClientCommand.BootstrapServer(line),
            ClientCommand.QuietConfig,
            Records: line.Long("records", 1) ?? scenario.Records,
            RecordSize: line.Int("record-size", 0) ?? scenario.RecordSize,
            Partitions: line.Int("partitions", 1) ?? 6,
            Producers: line.Int("producers", 1) ?? 1,
            Rate: line.Long("rate", 1) ?? scenario.Rate,
            BatchSize: line.Int("batch-size", 1) ?? 262144,
            LingerMs: line.Int("linger-ms", 0) ?? scenario.LingerMs,
            WarmupRecords: line.Long("warmup-records", 0) ?? 100_000,
            Keep: line.Flag("keep"),
            NodePid: line.Int("node-pid", 1));
        line.RejectUnknown();
        return ThroughputBench.RunAsync(options);
    }

    private static Task<int> Groups(CommandLine line)
    {
        var options = new GroupBenchOptions(
            ClientCommand.BootstrapServer(line),
            ClientCommand.QuietConfig,
            Platform(),
            Members: line.Int("members", 2) ?? 10,
            Partitions: line.Int("partitions", 1) ?? 100,
            InitialRebalanceDelayMs: line.Int("initial-rebalance-delay-ms", 0) ?? 3000);
        line.RejectUnknown();
        return GroupBench.RunAsync(options);
    }

    private static Task<int> Streams(CommandLine line)
    {
        var options = new StreamsBenchOptions(
            ClientCommand.BootstrapServer(line),
            ClientCommand.QuietConfig,
            Records: line.Long("records", 1) ?? 1_000_000,
            RecordSize: line.Int("record-size", 0) ?? 100,
            Partitions: line.Int("partitions", 1) ?? 6,
            BatchSize: line.Int("batch-size", 1) ?? 262144,
            LingerMs: line.Int("linger-ms", 0) ?? 5,
            WarmupRecords: line.Long("warmup-records", 0) ?? 100_000,
            Rounds: line.Int("rounds", 1) ?? 3,
            Parallelism: line.Int("parallelism", 1),
            Keep: line.Flag("keep"));
        line.RejectUnknown();
        return StreamsBench.RunAsync(options);
    }

    private static Task<int> Kafka(CommandLine line)
    {
        var scenario = Scenario(line);
        var options = new KafkaBenchOptions(
            // An unmodified Kafka client: its own variable, not checked by Platform.Client's parser.
            line.Option("bootstrap-server") ?? Environment.GetEnvironmentVariable("PLATFORM_KAFKA_BOOTSTRAP_SERVER") ?? ClientCommand.DefaultBootstrapServer,
            Records: line.Long("records", 1) ?? scenario.Records,
            RecordSize: line.Int("record-size", 0) ?? scenario.RecordSize,
            Partitions: line.Int("partitions", 1) ?? 6,
            Rate: line.Long("rate", 1) ?? scenario.Rate,
            LingerMs: line.Int("linger-ms", 0) ?? scenario.LingerMs,
            BatchSize: line.Int("batch-size", 1) ?? 262144,
            Idempotent: (line.Option("idempotence") ?? "true") != "false",
            Compression: line.Option("compression") ?? "none",
            WarmupRecords: line.Long("warmup-records", 0) ?? 100_000,
            Keep: line.Flag("keep"),
            NodePid: line.Int("node-pid", 1));
        line.RejectUnknown();
        if (!KafkaBench.IsCompression(options.Compression))
            throw new UsageException($"--compression takes none, gzip, snappy, lz4 or zstd, got '{options.Compression}'");
        return KafkaBench.RunAsync(options);
    }

    /// <summary>The command that runs this executable: itself, or `dotnet platform.dll` when run as a dll.</summary>
    private static string[] Platform()
    {
        var self = Environment.ProcessPath!;
        return Path.GetFileNameWithoutExtension(self) == "dotnet" ? [self, typeof(BenchCommand).Assembly.Location] : [self];
    }

    /// <summary>The <c>--scenario</c> preset (throughput, paced or large), or the throughput run when none is named.</summary>
    private static BenchScenario Scenario(CommandLine line)
    {
        if (line.Option("scenario") is not { } name) return BenchScenario.Default;
        return BenchScenario.All.TryGetValue(name, out var scenario)
            ? scenario
            : throw new UsageException($"--scenario takes {string.Join(", ", BenchScenario.All.Keys)}, got '{name}'");
    }
}
