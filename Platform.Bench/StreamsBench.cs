using System.Diagnostics;
using System.Globalization;
using Akka.Actor;
using Akka.Streams;
using Akka.Streams.Dsl;
using Platform.Client;
using Platform.Client.Streams;

namespace Platform.Bench;

/// <summary>
/// <c>platform bench --streams</c>: what the Akka.Streams stages cost over the plain client. In one process
/// and one ActorSystem, each round produces N records with the plain producer and N through PlainSink (the
/// same records in flight: the stage's parallelism), then reads each topic back with the plain consumer and
/// through PlainSource (the same buffer: max-poll-records), alternating which goes first; it prints every
/// figure and the ratio of the medians. Measures a running node; it is a command, never a test.
/// </summary>
public static class StreamsBench
{
    private sealed record Figures(List<double> PlainProduce, List<double> StreamProduce, List<double> PlainConsume, List<double> StreamConsume);

    public static async Task<int> RunAsync(StreamsBenchOptions options)
    {
        var (records, recordSize, partitions, batchSize, lingerMs) = (options.Records, options.RecordSize, options.Partitions, options.BatchSize, options.LingerMs);
        var (warmup, rounds, parallelism, keep) = (options.WarmupRecords, options.Rounds, options.Parallelism, options.Keep);
        var server = options.BootstrapServer;
        var system = ActorSystem.Create("platform-streams-bench", options.ClientConfig.WithFallback(ClientSettings.DefaultConfig));
        try
        {
            var materializer = system.Materializer();
            await using var connection = await PlatformConnection.ConnectAsync(server, options.ClientConfig);
            var admin = new PlatformAdmin(connection);
            var producer = ProducerSettings.Create(system).WithBootstrapServers(server)
                .WithBatchSize(batchSize).WithLinger(TimeSpan.FromMilliseconds(lingerMs));
            if (parallelism is { } inFlight) producer = producer.WithParallelism(inFlight);
            var consumer = ConsumerSettings.Create(system).WithBootstrapServers(server);
            var value = new byte[recordSize];
            Random.Shared.NextBytes(value);
            var run = new Run(connection, producer, consumer, materializer, partitions, value);

            var prefix = $"sbench-{Guid.NewGuid():N}"[..15];
            var topics = new List<string>();
            async Task<string> Topic(string suffix)
            {
                var topic = prefix + suffix;
                await admin.CreateTopicAsync(topic, partitions);
                await admin.DescribeTopicAsync(topic); // partitions up before the clock runs
                topics.Add(topic);
                return topic;
            }
            if (warmup > 0)
            {
                var warm = await Topic("-w");
                await run.PlainProduce(warm, warmup);
                await run.StreamProduce(warm, warmup);
                await run.PlainConsume(warm, warmup);
                await run.StreamConsume(warm, warmup);
            }
            Console.WriteLine($"bench --streams: {rounds} round(s) of {records:N0} records of {recordSize} B into {partitions} partitions, " +
                              $"batch {batchSize} B, linger {lingerMs} ms, {producer.Parallelism:N0} records in flight, {consumer.MaxPollRecords:N0} buffered");
            var figures = new Figures([], [], [], []);
            var ok = true;
            for (var round = 0; round < rounds; round++)
            {
                var (plainTopic, streamTopic) = (await Topic($"-p{round}"), await Topic($"-s{round}"));
                var plainFirst = round % 2 == 0;
                foreach (var plain in plainFirst ? new[] { true, false } : [false, true])
                    (plain ? figures.PlainProduce : figures.StreamProduce).Add(await Measure(plain ? "produce, plain producer" : "produce, PlainSink", records, recordSize,
                        async () => { await (plain ? run.PlainProduce(plainTopic, records) : run.StreamProduce(streamTopic, records)); return records; }));
                foreach (var plain in plainFirst ? new[] { true, false } : [false, true])
                    (plain ? figures.PlainConsume : figures.StreamConsume).Add(await Measure(plain ? "consume, plain consumer" : "consume, PlainSource", records, recordSize,
                        async () =>
                        {
                            var consumed = await (plain ? run.PlainConsume(plainTopic, records) : run.StreamConsume(streamTopic, records));
                            ok &= consumed == records;
                            return consumed;
                        }));
            }
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"medians: produce {Median(figures.PlainProduce):N0} plain, {Median(figures.StreamProduce):N0} PlainSink = {Median(figures.StreamProduce) / Median(figures.PlainProduce):P0}; " +
                $"consume {Median(figures.PlainConsume):N0} plain, {Median(figures.StreamConsume):N0} PlainSource = {Median(figures.StreamConsume) / Median(figures.PlainConsume):P0}"));
            // Deleting a topic deletes its rows, which holds SQLite's single writer for a while: only after measuring.
            if (!keep)
                foreach (var topic in topics) await admin.DeleteTopicAsync(topic);
            return ok ? 0 : 1;
        }
        finally
        {
            await system.Terminate();
        }
    }

    /// <summary>The two clients under the same settings: the plain producer's window is the stage's parallelism,
    /// the plain consumer's buffer is the source's max-poll-records.</summary>
    private sealed class Run(PlatformConnection connection, ProducerSettings producer, ConsumerSettings consumer, IMaterializer materializer,
        int partitions, byte[] value)
    {
        public async Task PlainProduce(string topic, long records)
        {
            await using var plain = new PlatformProducer(connection, connection.Settings with { BatchSize = producer.BatchSize, Linger = producer.Linger });
            var window = new List<Task<DeliveryResult>>(producer.Parallelism);
            for (long i = 0; i < records; i++)
            {
                window.Add(plain.ProduceAsync(topic, new Message(null, value)));
                if (window.Count < producer.Parallelism) continue;
                await Task.WhenAll(window);
                window.Clear();
            }
            await Task.WhenAll(window);
        }

        public Task StreamProduce(string topic, long records) =>
            Source.From(Count(records))
                .Select(_ => new ProducerRecord(topic, null, value))
                .RunWith(PlatformProducer.PlainSink(producer), materializer);

        public async Task<long> PlainConsume(string topic, long records)
        {
            await using var plain = new PlatformConsumer(connection, AutoOffsetReset.Earliest, connection.Settings with { BufferedRecords = consumer.MaxPollRecords });
            plain.Assign(Positions(topic));
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(10));
            long count = 0;
            while (count < records)
            {
                await plain.ConsumeAsync(timeout.Token);
                count++;
            }
            return count;
        }

        public Task<long> StreamConsume(string topic, long records) =>
            PlatformConsumer.PlainSource(consumer, Subscriptions.AssignmentWithOffset(Positions(topic)))
                .Take(records)
                .RunAggregate(0L, (count, _) => count + 1, materializer)
                .WaitAsync(TimeSpan.FromMinutes(10));

        private TopicPartitionOffset[] Positions(string topic) =>
            Enumerable.Range(0, partitions).Select(p => new TopicPartitionOffset(topic, p, TopicPartitionOffset.Beginning)).ToArray();
    }

    private static async Task<double> Measure(string phase, long records, int recordSize, Func<Task<long>> run)
    {
        var watch = Stopwatch.StartNew();
        var done = await run();
        var seconds = watch.Elapsed.TotalSeconds;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{phase}: {done:N0} records in {seconds:N2} s = {done / seconds:N0} records/s, {done * (double)recordSize / seconds / 1048576:N1} MiB/s"));
        return done / seconds;
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
    }

    private static IEnumerable<long> Count(long records)
    {
        for (long i = 0; i < records; i++) yield return i;
    }
}
