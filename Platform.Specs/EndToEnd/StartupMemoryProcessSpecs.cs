using Platform.Specs.Support;

namespace Platform.Specs.EndToEnd;

/// <summary>
/// `platform node`, the process that runs a node and nothing else, gives back what its start-up no longer needs once
/// the node is up (issue #16; the mechanism's parts in Hosting/StartupMemorySpecs), and serves on after it.
/// </summary>
[Trait("Category", "Process")]
public sealed class StartupMemoryProcessSpecs
{
    [Fact]
    public async Task Platform_node_releases_start_up_memory_once_after_it_is_up_and_serves_on()
    {
        var dataDir = TestNode.NewDataDir();
        var config = Path.Combine(dataDir, "release-at-once.conf");
        await File.WriteAllTextAsync(config, "platform.node.release-startup-memory-after = 0s");
        var kafkaPort = HostProcess.FreePort();
        await using var node = await HostProcess.StartNodeAsync(dataDir, HostProcess.FreePort(), ["--config", config], kafkaPort: kafkaPort);

        var released = await Eventually.ValueAsync(() => node.Stdout.Split('\n').Where(l => l.Contains("Released start-up memory", StringComparison.Ordinal)).ToList(),
            lines => lines.Count > 0, "the release logged");
        Assert.Single(released);
        Assert.Contains("native heap trimmed: True", released[0]);

        var created = await HostProcess.RunAsync(null, "topics", "create", "after-release", "--partitions", "1", "--bootstrap-server", $"127.0.0.1:{kafkaPort}");
        Assert.True(created.ExitCode == 0, created.Stderr);
        Assert.Single(node.Stdout.Split('\n'), l => l.Contains("Released start-up memory", StringComparison.Ordinal));
    }
}
