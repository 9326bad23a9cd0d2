namespace Platform.Actors.Hosting;

/// <summary>
/// Decides, one window at a time, when a node's process should give memory back (<see cref="MemoryRelease"/>): after a
/// quiet window (the process allocated at most the quiet allocation in it), once it has allocated at least the
/// reclaimable amount since the last release. What it allocated since then is what the GC holds committed for gen 0
/// until its next collection (up to its budget, ~20 MiB and more here): start-up's tens of MiB, a benchmark's heap, or
/// an idle node's few KiB a second adding up. So a node releases at the end of its first quiet window after start-up,
/// after each busy stretch once it is quiet again, and while idle only every so often (8 MiB at 10-12 KiB/s: every
/// 11-14 minutes). Never in a busy window: the collection stops every request in flight for its duration. Allocation, not
/// requests, is the measure of quiet, because it is what the collection is about: a consumer long-polling an idle
/// topic sends requests but allocates little.
/// </summary>
/// <param name="quietAllocation">The most a quiet window allocates.</param>
/// <param name="reclaimable">The least the process must have allocated since the last release for another one.</param>
/// <param name="allocatedBefore">What it allocated before the first window (start-up), counted as since the last release.</param>
internal sealed class QuietWatch(long quietAllocation, long reclaimable, long allocatedBefore)
{
    private long _sinceRelease = allocatedBefore;

    /// <summary>Whether to release now, after a window in which the process allocated <paramref name="allocatedBytes"/>.</summary>
    public bool ReleaseAfter(long allocatedBytes)
    {
        _sinceRelease += allocatedBytes;
        if (allocatedBytes > quietAllocation || _sinceRelease < reclaimable) return false;
        _sinceRelease = 0;
        return true;
    }
}
