using System.Diagnostics;

namespace Platform.Bench;

/// <summary>
/// Paces a producing loop at a fixed rate on a thread of its own. It sleeps with Thread.Sleep, which wakes within
/// about a tenth of a millisecond on Linux, where Task.Delay and timers run on a coarse clock and fire about 4 ms
/// late (they turned 10,000 records/s into bursts of 40). It never spins, so a benchmark on a small machine leaves
/// the cores to the node it measures. Both client benchmarks use it, so their latencies compare; so does
/// <c>platform produce --rate</c>, through <see cref="WaitForAsync"/>, where a few milliseconds of lateness do not matter.
/// </summary>
public sealed class Pacer(double perSecond)
{
    private readonly long _start = Stopwatch.GetTimestamp();
    private readonly double _ticksPerRecord = Stopwatch.Frequency / perSecond;

    /// <summary>How long until record <paramref name="n"/> (from 0) is due by the clock; zero or less when it is due.</summary>
    private TimeSpan Until(long n) => Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), _start + (long)(n * _ticksPerRecord));

    /// <summary>Waits without holding a thread until record <paramref name="n"/> is due (on the coarse timer clock).</summary>
    public async ValueTask WaitForAsync(long n)
    {
        if (Until(n) is { TotalMilliseconds: >= 1 } wait) await Task.Delay(wait);
    }

    /// <summary>Blocks until record <paramref name="n"/> (from 0) is due; returns at once when it is due already.</summary>
    public void WaitFor(long n)
    {
        while (Until(n) > TimeSpan.Zero) Thread.Sleep(1);
    }
}
