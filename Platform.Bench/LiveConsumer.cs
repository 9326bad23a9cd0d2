namespace Platform.Bench;

/// <summary>
/// The live consumer a paced run starts beside its producers (it measures end-to-end latency). When producing fails,
/// the consumer is this run's task too: it is awaited, briefly, and its own failure printed before the producing
/// error goes up, so that no task a benchmark started ends unobserved (issue #16: a bench must report every failure).
/// </summary>
internal static class LiveConsumer
{
    /// <summary>How long a failed run waits for its live consumer before reporting the producing error.</summary>
    private static readonly TimeSpan Grace = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Runs <paramref name="produce"/>; if it throws, awaits <paramref name="live"/>, reports its failure on
    /// <paramref name="errors"/> (standard error when null), and rethrows.
    /// </summary>
    public static async Task ProduceBesideAsync(Task live, Func<Task> produce, TextWriter? errors = null)
    {
        try
        {
            await produce();
        }
        catch
        {
            try { await live.WaitAsync(Grace); }
            catch (Exception e) { (errors ?? Console.Error).WriteLine($"bench: the live consumer failed too: {e.Message}"); }
            throw;
        }
    }
}
