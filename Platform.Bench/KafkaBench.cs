using System.Diagnostics;
using System.Globalization;
using Confluent.Kafka;
using Confluent.Kafka.Admin;

namespace Platform.Bench;

/// <summary>
/// <c>platform bench --kafka</c>: the same workload as <c>bench</c>, through an unmodified Kafka client
/// (Confluent.Kafka, librdkafka inside) against a node's Kafka listener: acks=all, idempotent, linger 5 ms.
/// It shows what the listener costs next to the native client, and what any Kafka application gets.
/// </summary>
public static class KafkaBench
{
    /// <summary>Whether <paramref name="compression"/> names a codec of Kafka's (none, gzip, snappy, lz4, zstd; any case).</summary>
    public static bool IsCompression(string compression) => Enum.TryParse<CompressionType>(compression, ignoreCase: true, out _);

    public static async Task<int> RunAsync(KafkaBenchOptions options)
    {
        var (records, recordSize, partitions, rate, lingerMs, batchSize) =
            (options.Records, options.RecordSize, options.Partitions, options.Rate, options.LingerMs, options.BatchSize);
        var (idempotent, compression, warmup, keep, bootstrap) =
            (options.Idempotent, options.Compression, options.WarmupRecords, options.Keep, options.BootstrapServer);
        if (!Enum.TryParse<CompressionType>(compression, ignoreCase: true, out var codec))
            throw new ArgumentException($"Compression takes none, gzip, snappy, lz4 or zstd, got '{compression}'", nameof(options));

        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = bootstrap }).Build();
        var topic = $"kbench-{Guid.NewGuid():N}"[..15];
        await admin.CreateTopicsAsync([new TopicSpecification { Name = topic, NumPartitions = partitions, ReplicationFactor = 1 }]);
        var producerConfig = new ProducerConfig
        {
            BootstrapServers = bootstrap,
            Acks = Acks.All,
            EnableIdempotence = idempotent,
            LingerMs = lingerMs,
            BatchSize = batchSize,
            CompressionType = codec,
            QueueBufferingMaxMessages = 1_000_000,
        };
        if (warmup > 0)
        {
            var warm = topic + "-w";
            await admin.CreateTopicsAsync([new TopicSpecification { Name = warm, NumPartitions = partitions, ReplicationFactor = 1 }]);
            Produce(producerConfig, warm, warmup, recordSize, null, new long[warmup]);
            Consume(bootstrap, warm, partitions, warmup, null);
        }
        Console.WriteLine($"bench --kafka: {records:N0} records of {recordSize} B into {partitions} partitions of {topic} through Confluent.Kafka " +
                          $"{Library.VersionString} at {bootstrap}, acks=all, idempotence {(idempotent ? "on" : "off")}, linger {lingerMs} ms, " +
                          $"batch {batchSize} B, compression {compression}{(rate is null ? "" : $", {rate:N0} records/s")}");

        var report = new BenchReport("confluent-kafka", options.NodePid);
        report.Set("record_size", recordSize);
        report.Set("partitions", partitions);
        report.Set("rate", rate);
        report.Set("linger_ms", lingerMs);
        var e2e = new long[records];
        var live = rate is null ? Task.FromResult(0L) : Task.Run(() => Consume(bootstrap, topic, partitions, records, (i, ts) =>
            e2e[i] = (DateTimeOffset.UtcNow - ts).Ticks));
        var acks = new long[records];
        var watch = Stopwatch.StartNew();
        // Produce blocks this thread (librdkafka's own pacing and flush); a failure still waits for the live consumer.
        await LiveConsumer.ProduceBesideAsync(live, () =>
        {
            Produce(producerConfig, topic, records, recordSize, rate, acks);
            return Task.CompletedTask;
        });
        report.Throughput("produce", records, recordSize, watch.Elapsed.TotalSeconds);
        report.Latency("ack", "ack latency ms", acks);
        if (rate is not null)
        {
            var seen = await live.WaitAsync(TimeSpan.FromMinutes(5));
            report.Latency("e2e", $"end-to-end latency ms ({seen:N0} records seen live)", e2e);
        }

        watch.Restart();
        var consumed = Consume(bootstrap, topic, partitions, records, null);
        report.Throughput("consume", consumed, recordSize, watch.Elapsed.TotalSeconds);
        report.Finish();
        if (!keep)
        {
            var topics = warmup > 0 ? new[] { topic, topic + "-w" } : [topic];
            await admin.DeleteTopicsAsync(topics);
        }
        return consumed == records ? 0 : 1;
    }

    private static void Produce(ProducerConfig config, string topic, long records, int recordSize, long? rate, long[] latencies)
    {
        using var producer = new ProducerBuilder<Null, byte[]>(config).Build();
        var value = new byte[recordSize];
        Random.Shared.NextBytes(value);
        var pacer = rate is { } r ? new Pacer(r) : null;
        Error? failure = null;
        for (long i = 0; i < records; i++)
        {
            pacer?.WaitFor(i);
            var slot = i;
            var started = Stopwatch.GetTimestamp();
            while (true)
            {
                try
                {
                    producer.Produce(topic, new Message<Null, byte[]> { Value = value }, report =>
                    {
                        if (report.Error.IsError) failure = report.Error;
                        else latencies[slot] = Stopwatch.GetElapsedTime(started).Ticks;
                    });
                    break;
                }
                catch (ProduceException<Null, byte[]> e) when (e.Error.Code == Confluent.Kafka.ErrorCode.Local_QueueFull)
                {
                    producer.Poll(TimeSpan.FromMilliseconds(10));
                }
            }
        }
        producer.Flush(TimeSpan.FromMinutes(5));
        if (failure is not null) throw new InvalidOperationException($"A record was not acknowledged: {failure.Code}: {failure.Reason}");
    }

    private static long Consume(string bootstrap, string topic, int partitions, long records, Action<long, DateTimeOffset>? onRecord)
    {
        var config = new ConsumerConfig
        {
            BootstrapServers = bootstrap,
            GroupId = "kbench",
            EnableAutoCommit = false,
            FetchMaxBytes = 52428800,
            MaxPartitionFetchBytes = 1048576,
            // Marshal only what is measured: headers and topic names per record cost the .NET binding more than
            // the broker spends serving them.
            ConsumeResultFields = onRecord is null ? "none" : "timestamp",
        };
        using var consumer = new ConsumerBuilder<Ignore, byte[]>(config).Build();
        consumer.Assign(Enumerable.Range(0, partitions).Select(p => new TopicPartitionOffset(topic, p, Offset.Beginning)));
        long count = 0;
        var idle = Stopwatch.StartNew();
        while (count < records && idle.Elapsed < TimeSpan.FromSeconds(30))
        {
            var result = consumer.Consume(TimeSpan.FromMilliseconds(100));
            if (result is null || result.IsPartitionEOF) continue;
            onRecord?.Invoke(count, result.Message.Timestamp.UtcDateTime);
            count++;
            idle.Restart();
        }
        return count;
    }
}
