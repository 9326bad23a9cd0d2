using System.Globalization;
using System.Text.Json;

namespace Platform.Bench;

/// <summary>
/// What a produce-and-consume run prints: a line per figure as it is measured, then the machine's load average
/// (a figure means little without it on a shared machine) and the node's peak memory when its pid is known, and
/// last one JSON line with every figure, for scripts (<c>platform bench ... | tail -n 1</c>).
/// With <paramref name="resetPeak"/> the node's peak is reset first (Linux clear_refs), so that each step of a curve
/// reports its own peak rather than the highest of every step before it.
/// </summary>
internal sealed class BenchReport
{
    private readonly Dictionary<string, object?> _figures;
    private readonly int? _nodePid;

    public BenchReport(string bench, int? nodePid, bool resetPeak = false)
    {
        _nodePid = nodePid;
        if (resetPeak && nodePid is { } pid) ResetPeak(pid);
        _figures = new() { ["bench"] = bench, ["load_average_start"] = LoadAverage() };
    }

    /// <summary>Every figure so far, as the JSON line has them.</summary>
    public IReadOnlyDictionary<string, object?> Figures => _figures;

    public void Set(string key, object? value) => _figures[key] = value;

    /// <summary>Records/s and MiB/s of a phase ("produce", "consume").</summary>
    public void Throughput(string phase, long records, int recordSize, double seconds)
    {
        var perSecond = records / seconds;
        var mib = records * (double)recordSize / seconds / 1048576;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{phase}: {records:N0} records in {seconds:N2} s = {perSecond:N0} records/s, {mib:N1} MiB/s"));
        _figures[$"{phase}_records"] = records;
        _figures[$"{phase}_records_per_s"] = Math.Round(perSecond);
        _figures[$"{phase}_mib_per_s"] = Math.Round(mib, 1);
    }

    /// <summary>Percentiles of latencies given in TimeSpan ticks (0 = not measured, left out).</summary>
    public void Latency(string name, string label, long[] ticks)
    {
        var sorted = ticks.Where(t => t > 0).Order().ToArray();
        if (sorted.Length == 0)
        {
            Console.WriteLine($"  {label}: n/a");
            return;
        }
        double At(double q) => Math.Round(TimeSpan.FromTicks(sorted[Math.Min(sorted.Length - 1, (int)(q * sorted.Length))]).TotalMilliseconds, 2);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  {label}: p50 {At(0.50):N2}, p99 {At(0.99):N2}, p99.9 {At(0.999):N2}, max {At(1.0):N2}"));
        foreach (var (suffix, q) in new[] { ("p50", 0.5), ("p99", 0.99), ("p99_9", 0.999), ("max", 1.0) })
            _figures[$"{name}_{suffix}_ms"] = At(q);
    }

    /// <summary>Prints the closing lines: load average, the node's memory, and the JSON line.</summary>
    public void Finish()
    {
        var load = LoadAverage();
        _figures["load_average_end"] = load;
        Console.WriteLine($"machine: {Environment.ProcessorCount} cores, load average {load ?? "n/a"} (at start {_figures["load_average_start"] ?? "n/a"})");
        if (_nodePid is { } pid && NodeMemory(pid) is var (rss, peak) && peak > 0)
        {
            Console.WriteLine($"node (pid {pid}): RSS {rss / 1024:N0} MiB, peak RSS {peak / 1024:N0} MiB");
            _figures["node_rss_mib"] = rss / 1024;
            _figures["node_peak_rss_mib"] = peak / 1024;
        }
        Console.WriteLine(JsonSerializer.Serialize(_figures));
    }

    /// <summary>The 1, 5 and 15 minute load averages (Linux); null elsewhere.</summary>
    public static string? LoadAverage()
    {
        try
        {
            return string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>
    /// Resets a local process's VmHWM to its current RSS (writing 5 to /proc/PID/clear_refs, Linux 4.0 on; only for a
    /// process of the same user). Where that is refused the peak stays the process's lifetime peak, as without it.
    /// </summary>
    private static void ResetPeak(int pid)
    {
        try
        {
            File.WriteAllText($"/proc/{pid}/clear_refs", "5");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"bench: could not reset the peak RSS of pid {pid} ({e.Message}); peaks are since the node started");
        }
    }

    /// <summary>VmRSS and VmHWM (peak) of a local process in KiB, from /proc; zeros when unreadable.</summary>
    internal static (long Rss, long Peak) NodeMemory(int pid)
    {
        try
        {
            long Field(string[] lines, string name) =>
                lines.FirstOrDefault(l => l.StartsWith(name, StringComparison.Ordinal)) is { } line
                    ? long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture)
                    : 0;
            var status = File.ReadAllLines($"/proc/{pid}/status");
            return (Field(status, "VmRSS:"), Field(status, "VmHWM:"));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            return (0, 0);
        }
    }
}
