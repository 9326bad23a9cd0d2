using System.Globalization;

namespace Platform.Bench;

/// <summary>
/// <c>platform bench --curve partitions|producers</c>: the produce-and-consume run of <see cref="ThroughputBench"/>
/// once per step of the curve, in one command, so that a scale curve is one run on one machine state. Each step is a
/// full run with its own topic, its own report and JSON line (the node's peak memory of that step alone); the warm-up
/// runs before the first step only. Producers of the producer curve each have their own connection, as separate
/// processes would. A table of every step closes the run.
/// </summary>
public static class CurveBench
{
    /// <summary>The curves and their default steps (issue #16: 1 to 1,000 partitions, 1 to 100 producers).</summary>
    public static readonly IReadOnlyDictionary<string, IReadOnlyList<int>> Curves = new Dictionary<string, IReadOnlyList<int>>
    {
        ["partitions"] = [1, 10, 100, 1000],
        ["producers"] = [1, 10, 100],
    };

    public static async Task<int> RunAsync(CurveBenchOptions options)
    {
        var rows = new List<IReadOnlyDictionary<string, object?>>();
        var exit = 0;
        foreach (var (step, index) in options.Steps.Select((s, i) => (s, i)))
        {
            var run = options.Step with
            {
                Partitions = options.Curve == "partitions" ? step : options.Step.Partitions,
                Producers = options.Curve == "producers" ? step : options.Step.Producers,
                ConnectionPerProducer = options.Curve == "producers",
                WarmupRecords = index == 0 ? options.Step.WarmupRecords : 0,
                ResetPeak = true,
            };
            Console.WriteLine($"--- curve {options.Curve}: step {index + 1} of {options.Steps.Count}, {step} {options.Curve}");
            var (code, figures) = await ThroughputBench.RunStepAsync(run);
            exit = Math.Max(exit, code);
            rows.Add(figures);
        }
        Console.WriteLine($"curve {options.Curve} ({options.Step.Records:N0} records of {options.Step.RecordSize} B a step):");
        Console.WriteLine($"{options.Curve,10} {"produce rec/s",14} {"MiB/s",7} {"ack p50",8} {"ack p99",8} {"consume rec/s",14} {"peak RSS MiB",13}  load average");
        foreach (var row in rows)
        {
            // A figure a step could not measure (no node pid, no acknowledgement) is "n/a", never a missing key.
            object Cell(string key) => row.GetValueOrDefault(key) ?? "n/a";
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{Cell(options.Curve),10} {Cell("produce_records_per_s"),14:N0} {Cell("produce_mib_per_s"),7} {Cell("ack_p50_ms"),8} {Cell("ack_p99_ms"),8} " +
                $"{Cell("consume_records_per_s"),14:N0} {Cell("node_peak_rss_mib"),13}  {Cell("load_average_end")}"));
        }
        return exit;
    }
}
