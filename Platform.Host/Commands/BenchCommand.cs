using System.CommandLine;
using Platform.Bench;
using Platform.Host.Cli;

namespace Platform.Host.Commands;

/// <summary>
/// <c>platform bench</c>: parses the switches of the benchmark asked for (<c>--groups</c>, <c>--streams</c>,
/// <c>--kafka</c>, or produce and consume by default), rejects those that benchmark does not read, and runs it
/// from Platform.Bench, where the benchmarks live. Measures a running node; it is a command, never a test.
/// </summary>
internal static class BenchCommand
{
    public static Command Create()
    {
        var groups = CliOptions.Flag("--groups", "Time until a group of --members is assigned, and until a crashed member's partitions are consumed again");
        var streams = CliOptions.Flag("--streams", "The plain client against the Akka.Streams PlainSink/PlainSource, --rounds times");
        var kafka = CliOptions.Flag("--kafka", "Produce and consume through Confluent.Kafka (librdkafka) instead of Platform.Client");
        var scenario = CliOptions.Text("--scenario", "A preset: throughput (1,000,000 x 100 B), paced (100,000 x 100 B at 10,000/s, linger 0) or large (200,000 x 1 KiB)",
            string.Join('|', BenchScenario.All.Keys));
        scenario.OneOf(StringComparer.Ordinal, [.. BenchScenario.All.Keys]);
        var records = CliOptions.Number<long>("--records", "Records to produce (default: the scenario's; 1,000,000 with --streams)", min: 1);
        var recordSize = CliOptions.Number<int>("--record-size", "Bytes per record value (default: the scenario's; 100 with --streams)", min: 0, helpName: "B");
        var partitions = CliOptions.Number<int>("--partitions", "Partitions of the benchmark's topic (default: 6; 100 with --groups)", min: 1, helpName: "P");
        var producers = CliOptions.Number<int>("--producers", "Producers sharing the records", min: 1, defaultValue: 1, helpName: "K");
        var rate = CliOptions.Number<long>("--rate", "Records per second, paced; a live consumer then measures end-to-end latency (default: the scenario's, unpaced)", min: 1, helpName: "R");
        var batchSize = CliOptions.Number<int>("--batch-size", "The producer's batch size in bytes", min: 1, defaultValue: 262144, helpName: "B");
        var lingerMs = CliOptions.Number<int>("--linger-ms", "The producer's linger (default: the scenario's; 5 with --streams)", min: 0);
        var warmup = CliOptions.Number<long>("--warmup-records", "Records produced to a topic of its own first", min: 0, defaultValue: 100_000);
        var nodePid = CliOptions.Number<int>("--node-pid", "A local node's PID, to report its memory (RSS and peak) from /proc", min: 1, helpName: "PID");
        var keep = CliOptions.Flag("--keep", "Keep the benchmark's topics afterwards");
        var members = CliOptions.Number<int>("--members", "With --groups: the group's members", min: 2, defaultValue: 10);
        var rebalanceDelay = CliOptions.Number<int>("--initial-rebalance-delay-ms", "With --groups: the group's initial rebalance delay", min: 0, defaultValue: 3000);
        var rounds = CliOptions.Number<int>("--rounds", "With --streams: rounds of plain and stream runs", min: 1, defaultValue: 3);
        var parallelism = CliOptions.Number<int>("--parallelism", "With --streams: records the producer stage keeps in flight (default: platform.client.producer.parallelism)", min: 1);
        var idempotence = CliOptions.Choice("--idempotence", "With --kafka: the Kafka producer's enable.idempotence", "true", "false");
        var compression = CliOptions.Choice("--compression", "With --kafka: the Kafka producer's compression.type", "none", "gzip", "snappy", "lz4", "zstd");
        var curve = CliOptions.Text("--curve", "Run bench once per step: partitions (1, 10, 100, 1,000) or producers (1, 10, 100, each its own connection); a table closes the run",
            string.Join('|', CurveBench.Curves.Keys));
        curve.OneOf(StringComparer.Ordinal, [.. CurveBench.Curves.Keys]);
        var steps = CliOptions.Text("--steps", "With --curve: its steps, comma-separated (default: the curve's)", "N,N,...");
        var recovery = CliOptions.Number<long>("--recovery", "Start a node of its own, fill one partition with N records, kill -9 it, restart it and time until the partition answers a produce and a fetch of its last offset", min: 1);
        var bootstrap = ClientCommand.BootstrapOption();

        var command = new Command("bench", """
            Measure a running node: create a topic, produce, consume it back, and print throughput and latency figures,
            the load average (and the node's peak memory with --node-pid), then one JSON line with every figure.
            A progress line on standard error while it produces, when that is a terminal.
            """).With(groups, streams, kafka, scenario, records, recordSize, partitions, producers, rate, batchSize, lingerMs, warmup,
            nodePid, keep, members, rebalanceDelay, rounds, parallelism, idempotence, compression, curve, steps, recovery, bootstrap);

        // Which options each benchmark reads: any other given is a mistake, as the hand-written parser had it.
        Option[] shared = [records, recordSize, partitions, batchSize, lingerMs, warmup, keep, bootstrap];
        Option[] throughput = [.. shared, scenario, producers, rate, nodePid];
        var readBy = new Dictionary<Option, Option[]>
        {
            [groups] = [groups, partitions, members, rebalanceDelay, bootstrap],
            [streams] = [.. shared, streams, rounds, parallelism],
            [kafka] = [.. throughput.Except([producers]), kafka, idempotence, compression],
            [curve] = [.. throughput, curve, steps],
            // The recovery bench starts its own node: on the port of --bootstrap-server when given, else a free one.
            [recovery] = [recovery, recordSize, batchSize, lingerMs, bootstrap],
        };
        command.Validators.Add(result =>
        {
            var modes = readBy.Keys.Where(m => result.GetResult(m) is { Implicit: false }).ToList();
            if (modes.Count > 1)
            {
                result.AddError($"{string.Join(" and ", modes.Select(m => m.Name))} exclude each other: one benchmark at a time");
                return;
            }
            var allowed = modes.Count == 1 ? readBy[modes[0]] : throughput;
            if (result.GetResult(steps) is { Implicit: false } && ParseSteps(result.GetValue(steps)) is null)
                result.AddError($"--steps takes positive numbers separated by commas, got '{result.GetValue(steps)}'");
            if (command.Options.FirstOrDefault(o => !allowed.Contains(o) && result.GetResult(o) is { Implicit: false }) is { } stray)
                result.AddError($"{stray.Name} does not apply to bench{(modes.Count == 1 ? " " + modes[0].Name : "")}");
        });

        command.SetAction(parse =>
        {
            var servers = ClientCommand.BootstrapServer(parse, bootstrap);
            if (parse.GetValue(groups))
                return GroupBench.RunAsync(new GroupBenchOptions(servers, ClientCommand.QuietConfig, Platform(),
                    Members: parse.GetValue(members)!.Value,
                    Partitions: parse.GetValue(partitions) ?? 100,
                    InitialRebalanceDelayMs: parse.GetValue(rebalanceDelay)!.Value));
            if (parse.GetValue(streams))
                return StreamsBench.RunAsync(new StreamsBenchOptions(servers, ClientCommand.QuietConfig,
                    Records: parse.GetValue(records) ?? 1_000_000,
                    RecordSize: parse.GetValue(recordSize) ?? 100,
                    Partitions: parse.GetValue(partitions) ?? 6,
                    BatchSize: parse.GetValue(batchSize)!.Value,
                    LingerMs: parse.GetValue(lingerMs) ?? 5,
                    WarmupRecords: parse.GetValue(warmup)!.Value,
                    Rounds: parse.GetValue(rounds)!.Value,
                    Parallelism: parse.GetValue(parallelism),
                    Keep: parse.GetValue(keep)));
            if (parse.GetValue(recovery) is { } filled)
                return RunRecoveryAsync(new RecoveryBenchOptions(ClientCommand.QuietConfig, Platform(),
                    Records: filled,
                    RecordSize: parse.GetValue(recordSize) ?? 100,
                    BatchSize: parse.GetValue(batchSize)!.Value,
                    LingerMs: parse.GetValue(lingerMs) ?? 5,
                    DataDir: Path.Combine(Path.GetTempPath(), $"platform-recovery-{Guid.NewGuid():N}"),
                    KafkaPort: parse.GetValue(bootstrap) is null ? FreePort() : PortOf(servers.Split(',')[0])));
            var preset = parse.GetValue(scenario) is { } name ? BenchScenario.All[name] : BenchScenario.Default;
            if (parse.GetValue(kafka))
                return KafkaBench.RunAsync(new KafkaBenchOptions(
                    // An unmodified Kafka client: its own variable, not checked by Platform.Client's parser.
                    parse.GetValue(bootstrap) ?? Environment.GetEnvironmentVariable("PLATFORM_KAFKA_BOOTSTRAP_SERVER") ?? ClientCommand.DefaultBootstrapServer,
                    Records: parse.GetValue(records) ?? preset.Records,
                    RecordSize: parse.GetValue(recordSize) ?? preset.RecordSize,
                    Partitions: parse.GetValue(partitions) ?? 6,
                    Rate: parse.GetValue(rate) ?? preset.Rate,
                    LingerMs: parse.GetValue(lingerMs) ?? preset.LingerMs,
                    BatchSize: parse.GetValue(batchSize)!.Value,
                    Idempotent: parse.GetValue(idempotence) != "false",
                    Compression: parse.GetValue(compression)!,
                    WarmupRecords: parse.GetValue(warmup)!.Value,
                    Keep: parse.GetValue(keep),
                    NodePid: parse.GetValue(nodePid)));
            var run = new BenchOptions(servers, ClientCommand.QuietConfig,
                Records: parse.GetValue(records) ?? preset.Records,
                RecordSize: parse.GetValue(recordSize) ?? preset.RecordSize,
                Partitions: parse.GetValue(partitions) ?? 6,
                Producers: parse.GetValue(producers)!.Value,
                Rate: parse.GetValue(rate) ?? preset.Rate,
                BatchSize: parse.GetValue(batchSize)!.Value,
                LingerMs: parse.GetValue(lingerMs) ?? preset.LingerMs,
                WarmupRecords: parse.GetValue(warmup)!.Value,
                Keep: parse.GetValue(keep),
                NodePid: parse.GetValue(nodePid));
            return parse.GetValue(curve) is { } over
                ? CurveBench.RunAsync(new CurveBenchOptions(run, over, ParseSteps(parse.GetValue(steps)) ?? CurveBench.Curves[over]))
                : ThroughputBench.RunAsync(run);
        });
        return command;
    }

    /// <summary>"1,10,100" as numbers; null unless every one is a positive integer.</summary>
    private static IReadOnlyList<int>? ParseSteps(string? text)
    {
        var parts = (text ?? "").Split(',', StringSplitOptions.TrimEntries);
        var numbers = parts.Select(p => int.TryParse(p, System.Globalization.CultureInfo.InvariantCulture, out var n) && n > 0 ? n : 0).ToList();
        return numbers.Count > 0 && numbers.All(n => n > 0) ? numbers : null;
    }

    /// <summary>The recovery bench's node lives in a directory of the bench's own, removed afterwards.</summary>
    private static async Task<int> RunRecoveryAsync(RecoveryBenchOptions options)
    {
        try
        {
            return await RecoveryBench.RunAsync(options);
        }
        finally
        {
            if (Directory.Exists(options.DataDir)) Directory.Delete(options.DataDir, recursive: true);
        }
    }

    /// <summary>The port of a HOST:PORT that <see cref="ClientCommand.BootstrapServer"/> has checked.</summary>
    private static int PortOf(string server) => int.Parse(server[(server.LastIndexOf(':') + 1)..], System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>A port free now, for the recovery bench's node: it must keep one port across its restart.</summary>
    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>The command that runs this executable: itself, or `dotnet platform.dll` when run as a dll.</summary>
    private static string[] Platform()
    {
        var self = Environment.ProcessPath!;
        return Path.GetFileNameWithoutExtension(self) == "dotnet" ? [self, typeof(BenchCommand).Assembly.Location] : [self];
    }
}
