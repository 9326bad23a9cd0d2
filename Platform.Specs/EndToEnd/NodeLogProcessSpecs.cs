using System.Diagnostics;
using System.Net.Sockets;
using System.Text.Json;
using Platform.Protocol.Messages;
using Platform.Specs.Kafka;
using Platform.Specs.Support;

namespace Platform.Specs.EndToEnd;

/// <summary>
/// What a `platform node` process logs (issue #17 item 6, #14 item 5): nothing at WARNING on a healthy start (it
/// logged 2-4 ClusterSingletonProxy warnings), one line per event, JSON on request, and under a produce workload
/// less than a line a second (no line per record or request).
/// </summary>
[Trait("Category", "Process")]
public sealed class NodeLogProcessSpecs
{
    private static string[] Lines(string output) => output.Split('\n', StringSplitOptions.RemoveEmptyEntries);

    [Fact]
    public async Task A_healthy_node_logs_no_warning_and_under_a_produce_workload_less_than_a_line_a_second()
    {
        var kafkaPort = HostProcess.FreePort();
        await using var node = await HostProcess.StartNodeAsync(TestNode.NewDataDir(), HostProcess.FreePort(), kafkaPort: kafkaPort);
        var server = $"127.0.0.1:{kafkaPort}";
        var created = await HostProcess.RunAsync(null, "topics", "create", "load", "--partitions", "3", "--bootstrap-server", server);
        Assert.True(created.ExitCode == 0, created.Stderr);
        // The registry, allocator and group directory proxies have found their singletons by now.
        await Eventually.TrueAsync(() => Lines(node.Stdout).Count(l => l.Contains("recovered", StringComparison.Ordinal)) >= 2, "the singletons recovered");

        var before = Lines(node.Stdout).Length;
        var watch = Stopwatch.StartNew();
        for (var run = 0; run < 3; run++)
        {
            var records = string.Join('\n', Enumerable.Range(0, 20_000).Select(i => $"k{i % 97}:record-{run}-{i}")) + "\n";
            var produced = await HostProcess.RunAsync(records, "produce", "load", "--key-separator", ":", "--bootstrap-server", server);
            Assert.True(produced.ExitCode == 0, produced.Stderr);
            var consumed = await HostProcess.RunAsync(null, "consume", "load", "--from-beginning", "--max-messages", "1000", "--bootstrap-server", server);
            Assert.True(consumed.ExitCode == 0, consumed.Stderr);
        }
        var seconds = watch.Elapsed.TotalSeconds;
        var during = Lines(node.Stdout)[before..];
        Assert.True(during.Length < seconds, $"{during.Length} lines in {seconds:F1} s of produce and consume:\n{string.Join('\n', during)}");

        var all = Lines(node.Stdout);
        Assert.DoesNotContain(all, l => l.Contains("warn:", StringComparison.Ordinal) || l.Contains("fail:", StringComparison.Ordinal)
            || l.Contains("crit:", StringComparison.Ordinal));
        // One line per event: each starts with its timestamp and level.
        Assert.All(all, l => Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (dbug|info|warn|fail|crit): ", l));
    }

    [Fact]
    public async Task With_log_format_json_every_line_is_a_JSON_object_with_the_template_values_as_fields()
    {
        var kafkaPort = HostProcess.FreePort();
        await using var node = await HostProcess.StartNodeAsync(TestNode.NewDataDir(), HostProcess.FreePort(), ["--log-format", "json"], kafkaPort: kafkaPort);
        var created = await HostProcess.RunAsync(null, "topics", "create", "json-topic", "--partitions", "2", "--bootstrap-server", $"127.0.0.1:{kafkaPort}");
        Assert.True(created.ExitCode == 0, created.Stderr);

        var line = await Eventually.ValueAsync(() => Lines(node.Stdout).FirstOrDefault(l => l.Contains("Created topic", StringComparison.Ordinal)),
            l => l is not null, "the topic's creation logged");
        using var created_ = JsonDocument.Parse(line!);
        var state = created_.RootElement.GetProperty("State");
        Assert.Equal("json-topic", state.GetProperty("Topic").GetString());
        Assert.Equal("2", state.GetProperty("PartitionCount").ToString());
        Assert.Equal("Information", created_.RootElement.GetProperty("LogLevel").GetString());
        foreach (var each in Lines(node.Stdout))
            using (JsonDocument.Parse(each)) { }
    }

    [Fact]
    public async Task A_Kafka_client_at_the_remoting_port_is_one_warning_line_naming_it_and_the_node_runs_on()
    {
        var port = HostProcess.FreePort();
        var kafkaPort = HostProcess.FreePort();
        await using var node = await HostProcess.StartNodeAsync(TestNode.NewDataDir(), port, kafkaPort: kafkaPort);
        // Three Kafka ApiVersions requests at the remoting port, as kcat -b <remoting port> sends them: DotNetty reads the
        // big-endian size as a frame of hundreds of megabytes and refuses it.
        var frame = RawKafkaConnection.Frame(ApiKey.ApiVersions, 3, 1, new ApiVersionsRequest { ClientSoftwareName = "kcat", ClientSoftwareVersion = "1.7" });
        var clients = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            using var client = new TcpClient();
            await client.ConnectAsync("127.0.0.1", port);
            clients.Add($"127.0.0.1:{((System.Net.IPEndPoint)client.Client.LocalEndPoint!).Port}");
            await client.GetStream().WriteAsync(frame);
            // The node closes the connection: the read ends with 0 bytes (or a reset).
            await Eventually.TrueAsync(async () =>
            {
                try
                {
                    return await client.GetStream().ReadAsync(new byte[16]) == 0;
                }
                catch (IOException)
                {
                    return true;
                }
            }, "the node closing the remoting connection");
        }

        var refused = await Eventually.ValueAsync(() => Lines(node.Stdout).Where(l => l.Contains("Remoting refused", StringComparison.Ordinal)).ToList(),
            lines => lines.Count > 0, "the refusal logged");
        // One line, a warning naming the first client; the other two are counted for the repeat line, not written.
        var line = Assert.Single(refused);
        Assert.Contains(" warn: ", line);
        Assert.True(line.Contains(clients[0], StringComparison.Ordinal), $"not naming the first client {clients[0]}: {line}");
        Assert.DoesNotContain(Lines(node.Stdout), l => l.Contains("fail:", StringComparison.Ordinal) || l.TrimStart().StartsWith("at ", StringComparison.Ordinal));

        // The node runs on: its Kafka listener still creates a topic.
        var created = await HostProcess.RunAsync(null, "topics", "create", "after-refusal", "--partitions", "1", "--bootstrap-server", $"127.0.0.1:{kafkaPort}");
        Assert.True(created.ExitCode == 0, created.Stderr);
    }

    [Fact]
    public async Task With_log_level_WARNING_a_healthy_node_logs_nothing()
    {
        await using var node = await HostProcess.StartNodeAsync(TestNode.NewDataDir(), HostProcess.FreePort(), ["--log-level", "warning"]);
        Assert.Contains("Platform node up", node.Stderr);
        Assert.Equal("", node.Stdout.Trim());
    }
}
