using Platform.Client;
using Platform.Specs.Support;

namespace Platform.Specs.EndToEnd;

/// <summary>
/// Consumer groups as an operator uses them: two `platform consume --group` processes side by side, one
/// killed with SIGKILL, `groups describe` and `groups reset-offsets` from the shell.
/// </summary>
[Trait("Category", "Process")]
public sealed class ConsumerGroupProcessSpecs
{
    private static List<string> Lines(string output) => output.Split('\n', StringSplitOptions.RemoveEmptyEntries).ToList();

    [Fact]
    public async Task Two_group_consumers_split_a_topic_and_the_survivor_of_a_kill_continues_from_committed_offsets()
    {
        var port = HostProcess.FreePort();
        var kafkaPort = HostProcess.FreePort();
        var server = $"127.0.0.1:{kafkaPort}";
        await using var node = await HostProcess.StartNodeAsync(TestNode.NewDataDir(), port, kafkaPort: kafkaPort);
        Assert.Equal(0, (await HostProcess.RunAsync(null, "topics", "create", "jobs", "--partitions", "6", "--bootstrap-server", server)).ExitCode);
        var first = Enumerable.Range(0, 600).Select(i => $"job-{i}").ToList();
        // Keyed, so that the records spread over all six partitions.
        Assert.Equal(0, (await HostProcess.RunAsync(string.Join('\n', first.Select(v => $"{v}:{v}")) + "\n", "produce", "jobs", "--key-separator", ":", "--bootstrap-server", server)).ExitCode);

        var a = HostProcess.Start("consume", "jobs", "--group", "workers", "--from-beginning", "--timeout-ms", "15000", "--bootstrap-server", server);
        var b = HostProcess.Start("consume", "jobs", "--group", "workers", "--from-beginning", "--bootstrap-server", server);
        await using var connection = await PlatformConnection.ConnectAsync(server);
        var admin = new PlatformAdmin(connection);
        await Eventually.TrueAsync(async () => (await admin.DescribeGroupAsync("workers")) is { State: "Stable", Members.Count: 2 }, "both consumers in the group");
        await Eventually.TrueAsync(async () => (await admin.GroupLagAsync("workers")) is { Count: 6 } rows && rows.All(r => r.Lag == 0), "everything consumed and committed");
        var split = (await admin.DescribeGroupAsync("workers")).Members.Select(m => m.Assignment.Count).Order().ToList();

        b.Kill();
        var second = Enumerable.Range(600, 600).Select(i => $"job-{i}").ToList();
        Assert.Equal(0, (await HostProcess.RunAsync(string.Join('\n', second.Select(v => $"{v}:{v}")) + "\n", "produce", "jobs", "--key-separator", ":", "--bootstrap-server", server)).ExitCode);
        Assert.Equal(0, await a.WaitForExitAsync(TimeSpan.FromMinutes(1)));

        var fromA = Lines(a.Stdout);
        var fromB = Lines(b.Stdout);
        Assert.True(fromA.Count + fromB.Count >= 1200, $"A printed {fromA.Count} ({fromA.Count(l => second.Contains(l))} of the second 600), B {fromB.Count}; A said: {a.Stderr}");
        Assert.Empty(fromA.Intersect(fromB)); // disjoint: B committed what it printed before it died
        Assert.Equal(first.Concat(second).Order(), fromA.Concat(fromB).Order());
        Assert.Equal([3, 3], split);
        Assert.NotEmpty(fromB.Intersect(first));

        // describe: the group is empty now, with its offsets and no lag.
        var describe = await HostProcess.RunAsync(null, "groups", "describe", "workers", "--bootstrap-server", server);
        Assert.Equal(0, describe.ExitCode);
        Assert.Contains("STATE Empty", describe.Stdout);
        Assert.Contains("LOG-END-OFFSET", describe.Stdout);
        var rows = Lines(describe.Stdout).Where(l => l.StartsWith("jobs ", StringComparison.Ordinal)).Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)).ToList();
        Assert.Equal(6, rows.Count);
        Assert.All(rows, r => Assert.Equal("0", r[4]));
        Assert.Contains("workers", (await HostProcess.RunAsync(null, "groups", "list", "--bootstrap-server", server)).Stdout);

        // reset-offsets: a preview changes nothing; --execute does.
        var preview = await HostProcess.RunAsync(null, "groups", "reset-offsets", "workers", "--topic", "jobs", "--to-earliest", "--bootstrap-server", server);
        Assert.Equal(0, preview.ExitCode);
        Assert.Contains("NEW-OFFSET", preview.Stdout);
        Assert.Equal(0, (await admin.GroupLagAsync("workers")).Sum(r => r.Lag ?? 0));
        var executed = await HostProcess.RunAsync(null, "groups", "reset-offsets", "workers", "--topic", "jobs", "--to-earliest", "--execute", "--bootstrap-server", server);
        Assert.Equal(0, executed.ExitCode);
        Assert.Equal(1200, (await admin.GroupLagAsync("workers")).Sum(r => r.Lag ?? 0));
        var shifted = await HostProcess.RunAsync(null, "groups", "reset-offsets", "workers", "--topic", "jobs", "--shift-by", "10", "--execute", "--bootstrap-server", server);
        Assert.Equal(0, shifted.ExitCode);
        Assert.Equal(1200 - 60, (await admin.GroupLagAsync("workers")).Sum(r => r.Lag ?? 0));

        var deleted = await HostProcess.RunAsync(null, "groups", "delete", "workers", "--bootstrap-server", server);
        Assert.Equal(0, deleted.ExitCode);
        var gone = await HostProcess.RunAsync(null, "groups", "describe", "workers", "--bootstrap-server", server);
        Assert.NotEqual(0, gone.ExitCode);
        Assert.Contains("GroupIdNotFound", gone.Stderr);
    }

    [Fact]
    public async Task Reset_offsets_is_refused_while_the_group_has_active_members()
    {
        var port = HostProcess.FreePort();
        var kafkaPort = HostProcess.FreePort();
        var server = $"127.0.0.1:{kafkaPort}";
        await using var node = await HostProcess.StartNodeAsync(TestNode.NewDataDir(), port, kafkaPort: kafkaPort);
        Assert.Equal(0, (await HostProcess.RunAsync(null, "topics", "create", "t", "--partitions", "1", "--bootstrap-server", server)).ExitCode);
        await using var consumer = HostProcess.Start("consume", "t", "--group", "live", "--bootstrap-server", server);
        await using var connection = await PlatformConnection.ConnectAsync(server);
        var admin = new PlatformAdmin(connection);
        await Eventually.TrueAsync(async () => (await admin.ListGroupsAsync()).Contains("live") && (await admin.DescribeGroupAsync("live")).Members.Count == 1, "a live member");
        var refused = await HostProcess.RunAsync(null, "groups", "reset-offsets", "live", "--topic", "t", "--to-earliest", "--execute", "--bootstrap-server", server);
        Assert.NotEqual(0, refused.ExitCode);
        Assert.Contains("NonEmptyGroup", refused.Stderr);
        var delete = await HostProcess.RunAsync(null, "groups", "delete", "live", "--bootstrap-server", server);
        Assert.Contains("NonEmptyGroup", delete.Stderr);
    }
}
