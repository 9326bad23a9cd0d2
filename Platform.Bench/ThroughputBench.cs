using System.Diagnostics;
using System.Globalization;
using Akka.Configuration;
using Platform.Client;

namespace Platform.Bench;

/// <summary>
/// <c>platform bench</c>: creates a topic, produces N records (acknowledged after persist), reads them back,
/// and prints throughput, acknowledgement latency percentiles and (with --rate) end-to-end latency, all over
/// Kafka's protocol, with the node's peak memory when --node-pid names it (<see cref="BenchReport"/>).
/// Measures a running node; it is a command, never a test.
/// </summary>
public static class ThroughputBench
{
    public static async Task<int> RunAsync(BenchOptions options) => (await RunStepAsync(options)).ExitCode;

    /// <summary>One run; its figures (the JSON line's) too, for a curve's table.</summary>
    internal static async Task<(int ExitCode, IReadOnlyDictionary<string, object?> Figures)> RunStepAsync(BenchOptions options)
    {
        var (records, recordSize, partitions, producers, rate) = (options.Records, options.RecordSize, options.Partitions, options.Producers, options.Rate);
        var (batchSize, lingerMs, keep, warmup) = (options.BatchSize, options.LingerMs, options.Keep, options.WarmupRecords);
        var clientConfig = ConfigurationFactory.ParseString(string.Create(CultureInfo.InvariantCulture, $"""
            platform.client.producer.batch-size = {batchSize}
            platform.client.producer.linger = {lingerMs}ms
            """));
        Task<PlatformConnection> Connect() => PlatformConnection.ConnectAsync(options.BootstrapServer, clientConfig.WithFallback(options.ClientConfig));
        await using var connection = await Connect();
        var admin = new PlatformAdmin(connection);

        var topic = $"bench-{Guid.NewGuid():N}"[..14];
        await admin.CreateTopicAsync(topic, partitions);
        // Every partition started and recovered before the clock runs: the figures are the steady state,
        // not the time to bring a new topic's actors up.
        var described = await admin.DescribeTopicAsync(topic);
        if (warmup > 0)
        {
            // JIT and connection pools, on both sides, through a topic of its own.
            var warm = topic + "-w";
            await admin.CreateTopicAsync(warm, partitions);
            await Produce(connection, warm, 0, 1, warmup, recordSize, null, new long[warmup]);
            await ConsumeAll(connection, warm, partitions, warmup, TopicPartitionOffset.Beginning, null);
        }
        Console.WriteLine($"bench: {records:N0} records of {recordSize} B into {partitions} partitions of {topic}, " +
                          $"{producers} producer(s), batch {batchSize} B, linger {lingerMs} ms{(rate is null ? "" : $", {rate:N0} records/s")}");
        var report = new BenchReport("platform-client", options.NodePid, options.ResetPeak);
        report.Set("topic", topic);
        report.Set("record_size", recordSize);
        report.Set("partitions", partitions);
        // What the node answered for the new topic, beside what was asked: a curve step stands for what it claims.
        report.Set("partitions_described", described.Partitions.Count);
        report.Set("producers", producers);
        report.Set("rate", rate);
        report.Set("linger_ms", lingerMs);

        // With --rate, a live consumer during production measures end-to-end latency (record timestamp to
        // consumer). Without it the run measures raw throughput, and a live consumer would only take CPU.
        var e2e = new long[records];
        var live = rate is null
            ? Task.FromResult(0L)
            : ConsumeAll(connection, topic, partitions, records, TopicPartitionOffset.Beginning, (i, r) =>
                e2e[i] = (DateTimeOffset.UtcNow - r.Timestamp).Ticks);

        // Connected before the clock runs, as the topic is created: a step measures producing, not connecting.
        var own = options.ConnectionPerProducer ? await Task.WhenAll(Enumerable.Range(0, producers).Select(_ => Connect())) : [];
        report.Set("producer_connections", options.ConnectionPerProducer ? producers : 1);
        var ackLatencies = new long[records];
        var produceWatch = Stopwatch.StartNew();
        var producing = new TerminalProgress("produced");
        try
        {
            await LiveConsumer.ProduceBesideAsync(live, () => Task.WhenAll(Enumerable.Range(0, producers).Select(p =>
                Produce(own.Length > 0 ? own[p] : connection, topic, p, producers, records, recordSize, rate, ackLatencies, producing))));
        }
        finally
        {
            producing.Dispose();
            foreach (var c in own) await c.DisposeAsync();
        }
        report.Throughput("produce", records, recordSize, produceWatch.Elapsed.TotalSeconds);
        report.Latency("ack", "ack latency ms", ackLatencies);

        if (rate is not null)
        {
            var liveCount = await live.WaitAsync(TimeSpan.FromMinutes(5));
            report.Latency("e2e", $"end-to-end latency ms ({liveCount:N0} records seen live)", e2e);
        }

        var consumeWatch = Stopwatch.StartNew();
        long consumed;
        using (var consuming = new TerminalProgress("consumed"))
            consumed = await ConsumeAll(connection, topic, partitions, records, TopicPartitionOffset.Beginning, (_, _) => consuming.Add(1, recordSize));
        report.Throughput("consume", consumed, recordSize, consumeWatch.Elapsed.TotalSeconds);
        report.Finish();

        // Deleting a topic deletes its rows, which holds SQLite's single writer for a while: only after measuring.
        if (!keep) await admin.DeleteTopicAsync(topic);
        if (!keep && warmup > 0) await admin.DeleteTopicAsync(topic + "-w");
        return (consumed == records ? 0 : 1, report.Figures);
    }

    /// <summary>
    /// One producer's share of the records. Paced runs produce from a thread of their own (see <see cref="Pacer"/>);
    /// the producer's own work still runs on the thread pool, as in an application.
    /// </summary>
    internal static async Task Produce(PlatformConnection connection, string topic, int index, int producers, long records,
        int recordSize, long? rate, long[] latencies, TerminalProgress? progress = null)
    {
        await using var producer = new PlatformProducer(connection);
        var value = new byte[recordSize];
        Random.Shared.NextBytes(value);
        var pacer = rate is null ? null : new Pacer((double)rate / producers);
        var loop = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try
            {
                var window = new List<Task>();
                long n = 0;
                for (var i = (long)index; i < records; i += producers, n++)
                {
                    pacer?.WaitFor(n);
                    var slot = i;
                    var started = Stopwatch.GetTimestamp();
                    window.Add(producer.ProduceAsync(topic, new Message(null, value)).ContinueWith(t =>
                    {
                        if (!t.IsCompletedSuccessfully) throw t.Exception!.InnerException!;
                        latencies[slot] = Stopwatch.GetElapsedTime(started).Ticks;
                        progress?.Add(1, recordSize);
                    }, TaskContinuationOptions.ExecuteSynchronously));
                    if (window.Count < 50_000) continue;
                    Task.WhenAll(window).GetAwaiter().GetResult(); // this thread is the benchmark's own, never the pool's
                    window.Clear();
                }
                Task.WhenAll(window).GetAwaiter().GetResult();
                loop.SetResult();
            }
            catch (Exception e)
            {
                loop.SetException(e);
            }
        }) { IsBackground = true, Name = $"bench-producer-{index}" };
        thread.Start();
        await loop.Task;
        await producer.FlushAsync();
    }

    private static async Task<long> ConsumeAll(PlatformConnection connection, string topic, int partitions, long records,
        long start, Action<long, ConsumeResult>? onRecord)
    {
        await using var consumer = new PlatformConsumer(connection, AutoOffsetReset.Earliest);
        consumer.Assign(Enumerable.Range(0, partitions).Select(p => new TopicPartitionOffset(topic, p, start)));
        long count = 0;
        while (count < records)
        {
            var record = await consumer.ConsumeAsync(TimeSpan.FromSeconds(30));
            if (record is null) break;
            onRecord?.Invoke(count, record);
            count++;
        }
        return count;
    }
}
