using Platform.Actors.Hosting;
using Platform.Specs.Support;

namespace Platform.Specs.Hosting;

/// <summary>
/// A node's process gives back once what its start-up no longer needs (issue #16's idle-memory target): one compacting
/// full collection and glibc's free native heap pages. The memory it saves is a benchmark figure (README); these
/// specs check the mechanism: what runs, and that `platform node` runs it after it is up and serves on.
/// </summary>
public sealed class StartupMemorySpecs
{
    [Fact]
    public void Release_runs_one_compacting_full_blocking_collection_and_trims_glibcs_native_heap()
    {
        var before = GC.GetGCMemoryInfo(GCKind.FullBlocking).Index;
        var report = StartupMemory.Release();
        Assert.True(report.CollectionIndex > before, $"no full blocking collection after #{before}");
        Assert.True(report.Compacted);
        Assert.True(report.CommittedBytes > 0 && report.RssBefore > 0 && report.RssAfter > 0);
        // This machine and CI run Debian: glibc. Elsewhere Trim says it did nothing instead of failing.
        Assert.Equal(OperatingSystem.IsLinux(), report.NativeHeapTrimmed);
    }

    [Fact]
    public async Task A_node_stopped_before_the_delay_releases_nothing_and_does_not_hold_up_its_stop()
    {
        var node = await TestNode.StartAsync(extraHocon: "platform.node.release-startup-memory-after = 1h");
        var release = node.ReleaseStartupMemoryAsync();
        Assert.False(release.IsCompleted);
        await node.StopAsync();
        await node.WhenTerminated;
        await release.WaitAsync(TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task Turned_off_it_returns_at_once()
    {
        await using var node = await TestNode.StartAsync(extraHocon: "platform.node.release-startup-memory-after = off");
        Assert.True(node.ReleaseStartupMemoryAsync().IsCompletedSuccessfully);
    }
}
