using Platform.Specs.Support;

namespace Platform.Specs.EndToEnd;

/// <summary>
/// `platform node`, the process that runs a node and nothing else, gives memory back to the OS once the node is up and
/// quiet (issue #16; the mechanism's parts in Hosting/MemoryReleaseSpecs), and serves on after it.
/// </summary>
[Trait("Category", "Process")]
public sealed class MemoryReleaseProcessSpecs
{
    [Fact]
    public async Task Platform_node_releases_memory_once_it_is_up_and_quiet_and_serves_on()
    {
        var dataDir = TestNode.NewDataDir();
        var config = Path.Combine(dataDir, "short-windows.conf");
        await File.WriteAllTextAsync(config, "platform.node.release-memory-when-quiet.window = 1s");
        var kafkaPort = HostProcess.FreePort();
        await using var node = await HostProcess.StartNodeAsync(dataDir, HostProcess.FreePort(), ["--config", config], kafkaPort: kafkaPort);

        var released = await Eventually.ValueAsync(() => node.Stdout.Split('\n').FirstOrDefault(l => l.Contains("released memory", StringComparison.Ordinal)),
            line => line is not null, "the release logged");
        Assert.Contains("native heap trimmed: True", released);

        var created = await HostProcess.RunAsync(null, "topics", "create", "after-release", "--partitions", "1", "--bootstrap-server", $"127.0.0.1:{kafkaPort}");
        Assert.True(created.ExitCode == 0, created.Stderr);
    }
}
