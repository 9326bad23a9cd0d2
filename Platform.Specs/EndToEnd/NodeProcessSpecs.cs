using Platform.Specs.Support;

namespace Platform.Specs.EndToEnd;

/// <summary>
/// The user's path end to end, with real processes: `platform node` on SQLite, the operator commands from
/// a shell, `kill -9` of the node, a restart on the same data directory, and every acknowledged record
/// read back in order per partition.
/// </summary>
[Trait("Category", "Process")]
public sealed class NodeProcessSpecs
{
    [Fact]
    public async Task Acknowledged_records_survive_kill_9_and_a_restart()
    {
        var dataDir = TestNode.NewDataDir();
        var port = HostProcess.FreePort();
        var kafkaPort = HostProcess.FreePort();
        var server = $"127.0.0.1:{kafkaPort}";
        var node = await HostProcess.StartNodeAsync(dataDir, port, kafkaPort: kafkaPort);
        try
        {
            var created = await HostProcess.RunAsync(null, "topics", "create", "events", "--partitions", "3", "--config", "retention.ms=-1", "--bootstrap-server", server);
            Assert.True(created.ExitCode == 0, created.Stderr);

            var lines = Enumerable.Range(0, 3000).Select(i => $"k{i % 7}:value-{i}").ToList();
            var produced = await HostProcess.RunAsync(string.Join('\n', lines) + "\n", "produce", "events", "--key-separator", ":", "--bootstrap-server", server);
            Assert.True(produced.ExitCode == 0, produced.Stderr);
            Assert.Contains("produced 3000 records", produced.Stderr);

            node.Kill();
            await node.DisposeAsync();
            node = await HostProcess.StartNodeAsync(dataDir, port, kafkaPort: kafkaPort);

            var consumed = await HostProcess.RunAsync(null, "consume", "events", "--from-beginning", "--print-key", "--print-offset",
                "--timeout-ms", "3000", "--bootstrap-server", server);
            Assert.True(consumed.ExitCode == 0, consumed.Stderr);
            var rows = consumed.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split('\t')).ToList();
            Assert.Equal(3000, rows.Count);
            // Every record exactly once, and per partition in offset order with each key's values in produce order.
            Assert.Equal(lines.Select(l => l.Split(':')[1]).Order(), rows.Select(r => r[2]).Order());
            foreach (var partition in rows.GroupBy(r => r[0].Split(':')[0]))
            {
                var offsets = partition.Select(r => long.Parse(r[0].Split(':')[1])).ToList();
                Assert.Equal(Enumerable.Range(0, offsets.Count).Select(i => (long)i), offsets);
            }
            foreach (var key in rows.GroupBy(r => r[1]))
                Assert.Equal(key.Select(r => int.Parse(r[2].Split('-')[1])).Order(), key.Select(r => int.Parse(r[2].Split('-')[1])));

            var describe = await HostProcess.RunAsync(null, "topics", "describe", "events", "--bootstrap-server", server);
            Assert.True(describe.ExitCode == 0, describe.Stderr);
            Assert.Contains("PartitionCount: 3", describe.Stdout);

            // SIGTERM: CoordinatedShutdown leaves the cluster and the process exits cleanly.
            Assert.Equal(0, await node.TerminateAsync());
            Assert.Contains("Platform node stopped", node.Stderr);
        }
        finally
        {
            await node.DisposeAsync();
        }
    }

    [Fact]
    public async Task Operator_commands_report_bad_input_in_one_line_with_Kafka_error_names()
    {
        var dataDir = TestNode.NewDataDir();
        var port = HostProcess.FreePort();
        var kafkaPort = HostProcess.FreePort();
        var server = $"127.0.0.1:{kafkaPort}";
        await using var node = await HostProcess.StartNodeAsync(dataDir, port, kafkaPort: kafkaPort);

        async Task ExpectError(string error, string? stdin, params string[] args)
        {
            var result = await HostProcess.RunAsync(stdin, [.. args, "--bootstrap-server", server]);
            Assert.NotEqual(0, result.ExitCode);
            Assert.Contains(error, result.Stderr);
            Assert.DoesNotContain("   at ", result.Stderr); // no stack trace
        }

        await ExpectError("InvalidTopicException", null, "topics", "create", "bad/name", "--partitions", "1");
        await ExpectError("InvalidPartitions", null, "topics", "create", "none", "--partitions", "0");
        await ExpectError("InvalidConfig", null, "topics", "create", "cfg", "--partitions", "1", "--config", "retention.bytes=lots");
        var ok = await HostProcess.RunAsync(null, "topics", "create", "t", "--partitions", "2", "--bootstrap-server", server);
        Assert.Equal(0, ok.ExitCode);
        await ExpectError("TopicAlreadyExists", null, "topics", "create", "t", "--partitions", "2");
        await ExpectError("InvalidPartitions", null, "topics", "alter", "t", "--partitions", "1");
        await ExpectError("UnknownTopicOrPartition", null, "topics", "describe", "missing");
        await ExpectError("UnknownTopicOrPartition", "a\nb\n", "produce", "missing");
        await ExpectError("UnknownTopicOrPartition", null, "consume", "t", "--partition", "9", "--timeout-ms", "100");

        var produced = await HostProcess.RunAsync("one\ntwo\nthree\n", "produce", "t", "--bootstrap-server", server);
        Assert.Equal(0, produced.ExitCode);
        var two = await HostProcess.RunAsync(null, "consume", "t", "--from-beginning", "--max-messages", "2", "--bootstrap-server", server);
        Assert.Equal(0, two.ExitCode);
        Assert.Equal(2, two.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        var partition = (await HostProcess.RunAsync(null, "topics", "describe", "t", "--bootstrap-server", server)).Stdout
            .Split('\n').Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .First(cols => cols.Length == 5 && cols[2] == "3")[0]; // keyless lines share one batch, so one partition
        var fromOffset = await HostProcess.RunAsync(null, "consume", "t", "--partition", partition, "--offset", "1", "--max-messages", "2", "--bootstrap-server", server);
        Assert.Equal(["two", "three"], fromOffset.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        await ExpectError("OffsetOutOfRange", null, "consume", "t", "--partition", partition, "--offset", "99", "--timeout-ms", "1000");

        var list = await HostProcess.RunAsync(null, "topics", "list", "--bootstrap-server", server);
        Assert.Equal("t", list.Stdout.Trim());
        var alter = await HostProcess.RunAsync(null, "topics", "alter", "t", "--partitions", "4", "--bootstrap-server", server);
        Assert.Equal(0, alter.ExitCode);
        var delete = await HostProcess.RunAsync(null, "topics", "delete", "t", "--bootstrap-server", server);
        Assert.Equal(0, delete.ExitCode);

        var unreachable = await HostProcess.RunAsync(null, "topics", "list", "--bootstrap-server", $"127.0.0.1:{HostProcess.FreePort()}");
        Assert.NotEqual(0, unreachable.ExitCode);
        Assert.Contains("Could not reach", unreachable.Stderr);
    }
}
