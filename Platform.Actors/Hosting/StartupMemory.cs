using System.Diagnostics;

namespace Platform.Actors.Hosting;

/// <summary>
/// Gives back, once, the memory a node's start-up used and no longer needs (issue #16). Start-up allocates far more
/// than it keeps (JIT compilation, type loading, HOCON, Akka's and linq2db's set-up), and both heaps hold on to the space:
/// the GC keeps its first gen-0 budget committed (sized from the L3 cache: ~20 MiB committed for ~4 MiB live on an idle
/// node), which an idle node, allocating a few KiB a second, does not fill for many minutes; glibc keeps the blocks the
/// JIT and the type loader freed in its arenas (~10 MiB). A compacting collection in
/// <see cref="GCCollectionMode.Aggressive"/> returns the GC's free regions to the OS, and <c>malloc_trim</c> the free
/// pages of every arena. Both are process-wide, so only a process that runs a node and nothing else calls this
/// (<see cref="PlatformNode.ReleaseStartupMemoryAsync"/>).
/// </summary>
internal static class StartupMemory
{
    public static StartupMemoryReport Release()
    {
        var rssBefore = Environment.WorkingSet;
        var watch = Stopwatch.StartNew();
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        var collection = GC.GetGCMemoryInfo(GCKind.FullBlocking);
        var trimmed = NativeHeap.Trim();
        return new StartupMemoryReport(rssBefore, Environment.WorkingSet, collection.Index, collection.Compacted, collection.HeapSizeBytes,
            collection.TotalCommittedBytes, trimmed, watch.Elapsed);
    }
}

/// <summary>What <see cref="StartupMemory.Release"/> did: the process's RSS around it and the collection it ran.</summary>
/// <param name="CollectionIndex">The GC's index of the full blocking collection (<see cref="GCMemoryInfo.Index"/>).</param>
/// <param name="HeapBytes">The managed heap after it, live objects and fragmentation.</param>
/// <param name="CommittedBytes">What the GC kept committed after it.</param>
/// <param name="NativeHeapTrimmed">Whether glibc's <c>malloc_trim</c> ran (not on other C libraries or systems).</param>
internal sealed record StartupMemoryReport(long RssBefore, long RssAfter, long CollectionIndex, bool Compacted, long HeapBytes, long CommittedBytes,
    bool NativeHeapTrimmed, TimeSpan Elapsed);
