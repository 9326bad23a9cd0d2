using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Akka.Configuration;
using Platform.Client;

namespace Platform.Bench;

/// <summary>
/// <c>platform bench --recovery N</c>: what a node's restart costs once a partition is large. It starts a node of its
/// own (a child process, on a data directory of its own), fills one partition with N records, kills the node with
/// SIGKILL (no final snapshot, the worst case a crash leaves), starts it again and times, from the second start:
/// the node up, the partition answering a produce (its recovery), and a fetch of the last record filled before the
/// kill (a journal read: the tail cache is empty after a restart). It reports the node's RSS after recovery and the
/// partition's own recovery time, which the node logs at DEBUG. The node is a child so that the bench kills exactly
/// the process it started, never another.
/// </summary>
public static partial class RecoveryBench
{
    private const string NodeUp = "Platform node up";

    public static async Task<int> RunAsync(RecoveryBenchOptions options)
    {
        var (records, recordSize) = (options.Records, options.RecordSize);
        var bootstrap = $"127.0.0.1:{options.KafkaPort.ToString(CultureInfo.InvariantCulture)}";
        var clientConfig = ConfigurationFactory.ParseString(string.Create(CultureInfo.InvariantCulture, $"""
            platform.client.producer.batch-size = {options.BatchSize}
            platform.client.producer.linger = {options.LingerMs}ms
            """)).WithFallback(options.ClientConfig);
        const string topic = "recovery";
        Console.WriteLine($"bench --recovery: {records:N0} records of {recordSize} B into one partition, node in {options.DataDir}, Kafka port {options.KafkaPort}");

        var report = new BenchReport("recovery", null);
        report.Set("records", records);
        report.Set("record_size", recordSize);
        var first = await NodeProcess.StartAsync(options, debug: false);
        try
        {
            await using (var connection = await PlatformConnection.ConnectAsync(bootstrap, clientConfig))
            {
                await new PlatformAdmin(connection).CreateTopicAsync(topic, 1);
                var fill = Stopwatch.StartNew();
                using (var progress = new TerminalProgress("filled"))
                    await ThroughputBench.Produce(connection, topic, 0, 1, records, recordSize, null, new long[records], progress);
                report.Throughput("fill", records, recordSize, fill.Elapsed.TotalSeconds);
            }
            report.Set("rss_before_kill_mib", first.RssMib());
        }
        finally
        {
            first.Kill();
        }

        // The partition's own recovery is logged at DEBUG by its actor: the restarted node logs at that level.
        var second = await NodeProcess.StartAsync(options, debug: true);
        try
        {
            report.Set("node_up_ms", second.UpMs);
            Console.WriteLine($"restart: node up in {second.UpMs:N0} ms");
            await using var connection = await PlatformConnection.ConnectAsync(bootstrap, clientConfig);
            await using (var producer = new PlatformProducer(connection))
            {
                var delivered = await producer.ProduceAsync(topic, new Message(null, new byte[recordSize]));
                var produceMs = second.Since.ElapsedMilliseconds;
                Console.WriteLine($"restart: first produce acknowledged at offset {delivered.Offset:N0} after {produceMs:N0} ms");
                report.Set("produce_answered_ms", produceMs);
                report.Set("produce_offset", delivered.Offset);
            }
            await using (var consumer = new PlatformConsumer(connection, AutoOffsetReset.Earliest))
            {
                consumer.Assign([new TopicPartitionOffset(topic, 0, records - 1)]);
                var last = await consumer.ConsumeAsync(TimeSpan.FromSeconds(60));
                var fetchMs = second.Since.ElapsedMilliseconds;
                Console.WriteLine($"restart: fetch of offset {last?.Offset:N0} (the last filled) answered after {fetchMs:N0} ms");
                report.Set("fetch_answered_ms", fetchMs);
                report.Set("fetch_offset", last?.Offset);
            }
            if (await second.RecoveryMsAsync(TimeSpan.FromSeconds(5)) is { } recoveryMs)
            {
                Console.WriteLine($"restart: the partition's actor recovered in {recoveryMs:N0} ms (its own log)");
                report.Set("partition_recovery_ms", recoveryMs);
            }
            var rss = second.RssMib();
            Console.WriteLine($"restart: node RSS after recovery {rss:N0} MiB");
            report.Set("rss_after_recovery_mib", rss);
            report.Finish();
            return report.Figures["produce_offset"] is long offset && offset == records && report.Figures["fetch_offset"] is long fetched && fetched == records - 1 ? 0 : 1;
        }
        finally
        {
            second.Kill();
        }
    }

    [GeneratedRegex(@"recovered at offset \d+ in (\d+) ms")]
    private static partial Regex RecoveredLine();

    /// <summary>The node this bench starts and kills: its process, when it started, and what it logged.</summary>
    private sealed class NodeProcess
    {
        private readonly Process _process;
        private readonly TaskCompletionSource _up = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource<long> _recovered = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly System.Text.StringBuilder _output = new();

        private NodeProcess(Process process) => _process = process;

        /// <summary>Started when the process was: every time of a restart is counted from here.</summary>
        public Stopwatch Since { get; } = new();

        public long UpMs { get; private set; }

        public static async Task<NodeProcess> StartAsync(RecoveryBenchOptions options, bool debug)
        {
            var start = new ProcessStartInfo(options.Platform[0])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (var arg in options.Platform.Skip(1)) start.ArgumentList.Add(arg);
            foreach (var arg in new[] { "node", "--data-dir", options.DataDir, "--host", "127.0.0.1", "--port", "0",
                         "--kafka-port", options.KafkaPort.ToString(CultureInfo.InvariantCulture), "--http-port", "0" })
                start.ArgumentList.Add(arg);
            if (debug) foreach (var arg in new[] { "--log-level", "DEBUG" }) start.ArgumentList.Add(arg);
            var node = new NodeProcess(new Process { StartInfo = start });
            node._process.OutputDataReceived += (_, e) => node.Line(e.Data);
            node._process.ErrorDataReceived += (_, e) => node.Line(e.Data);
            node.Since.Start();
            node._process.Start();
            node._process.BeginOutputReadLine();
            node._process.BeginErrorReadLine();
            var exited = node._process.WaitForExitAsync();
            if (await Task.WhenAny(node._up.Task, exited, Task.Delay(TimeSpan.FromMinutes(5))) != node._up.Task)
            {
                node.Kill();
                lock (node._output) throw new InvalidOperationException($"The node did not start:\n{node._output}");
            }
            node.UpMs = node.Since.ElapsedMilliseconds;
            return node;
        }

        private void Line(string? line)
        {
            if (line is null) return;
            lock (_output) if (_output.Length < 64 * 1024) _output.AppendLine(line);
            if (line.Contains(NodeUp, StringComparison.Ordinal)) _up.TrySetResult();
            if (RecoveredLine().Match(line) is { Success: true } m) _recovered.TrySetResult(long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture));
        }

        /// <summary>The partition actor's own recovery time from its DEBUG line; null when not seen in time.</summary>
        public async Task<long?> RecoveryMsAsync(TimeSpan timeout) =>
            await Task.WhenAny(_recovered.Task, Task.Delay(timeout)) == _recovered.Task ? await _recovered.Task : null;

        public long RssMib() => BenchReport.NodeMemory(_process.Id).Rss / 1024;

        /// <summary>SIGKILL to this child, and waits until it is gone.</summary>
        public void Kill()
        {
            if (!_process.HasExited) _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }
    }
}
