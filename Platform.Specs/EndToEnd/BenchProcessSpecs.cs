using System.Text.Json;
using Platform.Client;
using Platform.Specs.Support;

namespace Platform.Specs.EndToEnd;

/// <summary>
/// `platform bench` as an operator runs it against a node process: a paced scenario through each client ends with
/// every record produced and consumed back, and its last line is JSON a script can read. Figures are not
/// asserted: performance is measured by the command, never by a test. The curve and recovery runs are checked for
/// what their figures stand on: each step on the topic it claims, every record read back, none lost by the restart.
/// </summary>
[Trait("Category", "Process")]
[Trait("Category", "KafkaClients")]
public sealed class BenchProcessSpecs
{
    [Fact]
    public async Task A_paced_run_through_either_client_produces_and_consumes_every_record_and_reports_a_JSON_line()
    {
        var kafkaPort = HostProcess.FreePort();
        await using var node = await HostProcess.StartNodeAsync(TestNode.NewDataDir(), HostProcess.FreePort(), kafkaPort: kafkaPort);
        foreach (var (client, extra) in new[] { ("platform-client", Array.Empty<string>()), ("confluent-kafka", ["--kafka"]) })
        {
            var run = await HostProcess.RunAsync(null, ["bench", "--scenario", "paced", "--records", "3000", "--partitions", "2",
                "--warmup-records", "0", "--node-pid", $"{node.Id}", "--bootstrap-server", $"127.0.0.1:{kafkaPort}", .. extra]);
            Assert.True(run.ExitCode == 0, run.Stderr + run.Stdout);
            using var figures = JsonDocument.Parse(run.Stdout.Trim().Split('\n')[^1]);
            var root = figures.RootElement;
            Assert.Equal(client, root.GetProperty("bench").GetString());
            Assert.Equal(10_000, root.GetProperty("rate").GetInt64());
            Assert.Equal(0, root.GetProperty("linger_ms").GetInt32());
            Assert.Equal(3000, root.GetProperty("produce_records").GetInt64());
            Assert.Equal(3000, root.GetProperty("consume_records").GetInt64());
            Assert.True(root.GetProperty("ack_p50_ms").GetDouble() > 0);
            Assert.True(root.GetProperty("e2e_p99_ms").GetDouble() > 0);
            Assert.True(root.GetProperty("node_peak_rss_mib").GetInt64() > 0);
            Assert.Contains("load average", run.Stdout);
        }
    }

    [Theory]
    [InlineData("partitions", "1,3", "partitions")]
    [InlineData("producers", "1,4", "producer_connections")]
    public async Task Every_step_of_a_curve_runs_on_what_it_claims_and_reads_back_every_record(string curve, string steps, string claimed)
    {
        const int records = 2000;
        var kafkaPort = HostProcess.FreePort();
        await using var node = await HostProcess.StartNodeAsync(TestNode.NewDataDir(), HostProcess.FreePort(), kafkaPort: kafkaPort);
        var run = await HostProcess.RunAsync(null, ["bench", "--curve", curve, "--steps", steps, "--records", $"{records}", "--partitions", "2",
            "--warmup-records", "100", "--keep", "--node-pid", $"{node.Id}", "--bootstrap-server", $"127.0.0.1:{kafkaPort}"]);
        Assert.True(run.ExitCode == 0, run.Stderr + run.Stdout);

        var lines = run.Stdout.Split('\n').Where(l => l.StartsWith('{')).Select(l => JsonDocument.Parse(l)).ToList();
        Assert.Equal(steps.Split(',').Select(int.Parse), lines.Select(l => l.RootElement.GetProperty(curve).GetInt32()));
        await using var connection = await PlatformConnection.ConnectAsync($"127.0.0.1:{kafkaPort}");
        var admin = new PlatformAdmin(connection);
        foreach (var line in lines)
        {
            var step = line.RootElement;
            // The producers of a producer curve each had a connection of their own; a partition curve's topic has that many partitions.
            Assert.Equal(step.GetProperty(curve).GetInt32(), step.GetProperty(claimed).GetInt32());
            Assert.Equal(records, step.GetProperty("consume_records").GetInt64());
            Assert.True(step.GetProperty("node_peak_rss_mib").GetInt64() > 0);
            // The topic kept by --keep, as the node has it: the partitions claimed, holding every record produced.
            var topic = await admin.DescribeTopicAsync(step.GetProperty("topic").GetString()!);
            Assert.Equal(step.GetProperty("partitions").GetInt32(), topic.Partitions.Count);
            Assert.Equal(step.GetProperty("partitions_described").GetInt32(), topic.Partitions.Count);
            Assert.Equal(records, topic.Partitions.Sum(p => p.HighWatermark - p.LogStartOffset));
            line.Dispose();
        }
        Assert.Contains($"curve {curve}", run.Stdout);
    }

    [Fact]
    public async Task A_recovery_run_kills_its_own_node_and_times_the_filled_partition_answering_a_produce_and_a_fetch_of_its_last_record()
    {
        var run = await HostProcess.RunAsync(null, ["bench", "--recovery", "3000", "--bootstrap-server", $"127.0.0.1:{HostProcess.FreePort()}"]);
        Assert.True(run.ExitCode == 0, run.Stderr + run.Stdout);
        using var figures = JsonDocument.Parse(run.Stdout.Trim().Split('\n')[^1]);
        var root = figures.RootElement;
        Assert.Equal("recovery", root.GetProperty("bench").GetString());
        // The produce after the restart lands after every record filled before the kill: none was lost, none replayed twice.
        Assert.Equal(3000, root.GetProperty("produce_offset").GetInt64());
        Assert.Equal(2999, root.GetProperty("fetch_offset").GetInt64());
        Assert.True(root.GetProperty("node_up_ms").GetInt64() <= root.GetProperty("produce_answered_ms").GetInt64());
        Assert.True(root.GetProperty("partition_recovery_ms").GetInt64() >= 0);
        Assert.True(root.GetProperty("rss_after_recovery_mib").GetInt64() > 0);
    }
}
