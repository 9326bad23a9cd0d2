namespace Platform.Actors.Hosting;

/// <summary>
/// Decides, one window at a time, when a node has gone quiet and its memory should be released
/// (<see cref="MemoryRelease"/>): after a window in which the process allocated at most the quiet allocation, if it
/// was busy since the last release. Start-up counts as busy, so a node that stays idle after it starts releases once,
/// at the end of its first quiet window, and again only after it has been busy (a benchmark, a burst of traffic) and
/// gone quiet again. Never in a busy window: the collection would stop every request in flight for its duration.
/// Allocation, not requests, is the measure, because it is what the collection is about: a consumer long-polling an
/// idle topic sends requests but allocates little.
/// </summary>
internal sealed class QuietWatch(long quietAllocation)
{
    private bool _busySinceRelease = true;

    /// <summary>Whether to release now, after a window in which the process allocated <paramref name="allocatedBytes"/>.</summary>
    public bool ReleaseAfter(long allocatedBytes)
    {
        if (allocatedBytes > quietAllocation)
        {
            _busySinceRelease = true;
            return false;
        }
        if (!_busySinceRelease) return false;
        _busySinceRelease = false;
        return true;
    }
}
