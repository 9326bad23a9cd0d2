using System.Diagnostics;

namespace Platform.Actors.Hosting;

/// <summary>
/// Gives back to the OS the memory a node used and no longer needs (issue #16). Start-up, and any busy stretch, leave
/// both heaps holding space: the GC keeps its gen-0 budget committed (sized from the L3 cache: ~20 MiB committed for
/// ~4 MiB live on a freshly started node), which an idle node, allocating a few KiB a second, takes many minutes to use
/// again; glibc keeps the blocks the JIT and the type loader freed in its arenas (~10 MiB after start-up). A compacting
/// collection in <see cref="GCCollectionMode.Aggressive"/> returns the GC's free regions, and <c>malloc_trim</c> the
/// free pages of every arena. The collection blocks every thread for its duration and both are process-wide, so only a
/// process that runs a node and nothing else does this, when the node is quiet (<see cref="QuietWatch"/>,
/// <see cref="PlatformNode.ReleaseMemoryWhenQuietAsync"/>).
/// </summary>
internal static class MemoryRelease
{
    public static MemoryReleaseReport Run()
    {
        var rssBefore = Environment.WorkingSet;
        var watch = Stopwatch.StartNew();
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        var collection = GC.GetGCMemoryInfo(GCKind.FullBlocking);
        var trimmed = NativeHeap.Trim();
        return new MemoryReleaseReport(rssBefore, Environment.WorkingSet, collection.Index, collection.Compacted,
            collection.TotalCommittedBytes, trimmed, watch.Elapsed);
    }
}

/// <summary>What <see cref="MemoryRelease.Run"/> did: the process's RSS around it and the collection it ran.</summary>
/// <param name="CollectionIndex">The GC's index of the full blocking collection (<see cref="GCMemoryInfo.Index"/>).</param>
/// <param name="CommittedBytes">What the GC kept committed after it.</param>
/// <param name="NativeHeapTrimmed">Whether glibc's <c>malloc_trim</c> ran (not on other C libraries or systems).</param>
internal sealed record MemoryReleaseReport(long RssBefore, long RssAfter, long CollectionIndex, bool Compacted, long CommittedBytes, bool NativeHeapTrimmed, TimeSpan Elapsed);
