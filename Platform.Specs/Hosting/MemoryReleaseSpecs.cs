using Platform.Actors.Hosting;
using Platform.Specs.Support;

namespace Platform.Specs.Hosting;

/// <summary>
/// A node's process gives memory back to the OS when the node is quiet (issue #16's idle-memory target): one
/// compacting full collection and glibc's free native heap pages, after a quiet window once enough was allocated since
/// the last release (start-up included), never in a busy window. The memory it saves is a benchmark figure (README); these specs check the
/// mechanism: what runs, when it runs, and that the loop ends with the node.
/// </summary>
public sealed class MemoryReleaseSpecs
{
    private const long Quiet = 1024 * 1024;

    [Fact]
    public void A_release_runs_one_compacting_full_blocking_collection_and_trims_glibcs_native_heap()
    {
        var before = GC.GetGCMemoryInfo(GCKind.FullBlocking).Index;
        var report = MemoryRelease.Run();
        Assert.True(report.CollectionIndex > before, $"no full blocking collection after #{before}");
        Assert.True(report.Compacted);
        Assert.True(report.CommittedBytes > 0 && report.RssBefore > 0 && report.RssAfter > 0);
        // This machine and CI run Debian: glibc. Elsewhere Trim says it did nothing instead of failing.
        Assert.Equal(OperatingSystem.IsLinux(), report.NativeHeapTrimmed);
    }

    private const long Reclaimable = 8 * Quiet;

    [Fact]
    public void Start_up_s_allocation_counts_so_the_first_quiet_window_releases_and_the_next_ones_wait_for_enough_allocation()
    {
        var watch = new QuietWatch(Quiet, Reclaimable, allocatedBefore: 40 * Quiet);
        Assert.True(watch.ReleaseAfter(200 * 1024));
        Assert.False(watch.ReleaseAfter(Quiet));
        for (var window = 0; window < 6; window++) Assert.False(watch.ReleaseAfter(Quiet));
        Assert.True(watch.ReleaseAfter(Quiet)); // the eighth quiet MiB since the release
        Assert.False(watch.ReleaseAfter(0));
    }

    [Fact]
    public void A_busy_window_never_releases_and_the_quiet_one_after_it_does()
    {
        var watch = new QuietWatch(Quiet, Reclaimable, allocatedBefore: 0);
        Assert.False(watch.ReleaseAfter(Quiet + 1));
        Assert.False(watch.ReleaseAfter(50 * Quiet));
        Assert.True(watch.ReleaseAfter(0));
        Assert.False(watch.ReleaseAfter(0));
    }

    [Fact]
    public void A_node_quiet_from_the_start_without_enough_allocated_does_not_release()
    {
        var watch = new QuietWatch(Quiet, Reclaimable, allocatedBefore: Quiet);
        Assert.False(watch.ReleaseAfter(0));
        Assert.False(watch.ReleaseAfter(Quiet));
    }

    [Fact]
    public async Task The_watch_ends_when_the_node_stops()
    {
        var node = await TestNode.StartAsync(extraHocon: "platform.node.release-memory-when-quiet.window = 1h");
        var releasing = node.ReleaseMemoryWhenQuietAsync();
        Assert.False(releasing.IsCompleted);
        await node.StopAsync();
        await node.WhenTerminated;
        await releasing.WaitAsync(TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task Turned_off_it_returns_at_once()
    {
        await using var node = await TestNode.StartAsync(extraHocon: "platform.node.release-memory-when-quiet.enabled = off");
        Assert.True(node.ReleaseMemoryWhenQuietAsync().IsCompletedSuccessfully);
    }
}
