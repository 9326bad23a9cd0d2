using System.Text.Json;
using Platform.Specs.Support;

namespace Platform.Specs.EndToEnd;

/// <summary>
/// `platform bench` as an operator runs it against a node process: a paced scenario through each client ends with
/// every record produced and consumed back, and its last line is JSON a script can read. Figures are not
/// asserted: performance is measured by the command, never by a test.
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
}
