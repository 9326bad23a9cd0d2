using System.Diagnostics;
using System.Globalization;
using Akka.Actor;
using Akka.Streams;
using Akka.Streams.Dsl;
using Platform.Client;
using Platform.Client.Streams;

namespace Platform.Host.Commands;

/// <summary>
/// <c>platform bench --streams</c>: the same produce-then-consume run as the plain bench, through the
/// Akka.Streams stages (PlainSink, PlainSource) of an ActorSystem that hosts their connections, so the two
/// figures compare the stages' overhead against the plain client on the same parameters.
/// </summary>
public static class StreamsBench
{
    public static async Task<int> RunAsync(CommandLine line)
    {
        var records = line.Long("records", 1) ?? 1_000_000;
        var recordSize = line.Int("record-size", 0) ?? 100;
        var partitions = line.Int("partitions", 1) ?? 6;
        var batchSize = line.Int("batch-size", 1) ?? 262144;
        var lingerMs = line.Int("linger-ms", 0) ?? 5;
        var warmup = line.Long("warmup-records", 0) ?? 100_000;
        var keep = line.Flag("keep");
        var parallelism = line.Int("parallelism", 1);
        var server = ClientCommand.BootstrapServer(line);
        await using var connection = await ClientCommand.ConnectStrictAsync(line);
        var admin = new PlatformAdmin(connection);
        // The stages connect from the stream's own ActorSystem, as an application's would.
        var system = ActorSystem.Create("platform-streams-bench", ClientCommand.QuietConfig.WithFallback(ClientSettings.DefaultConfig));
        try
        {
            var materializer = system.Materializer();
            var producer = ProducerSettings.Create(system).WithBootstrapServers(server)
                .WithBatchSize(batchSize).WithLinger(TimeSpan.FromMilliseconds(lingerMs));
            if (parallelism is { } inFlight) producer = producer.WithParallelism(inFlight);
            var consumer = ConsumerSettings.Create(system).WithBootstrapServers(server);

            var topic = $"sbench-{Guid.NewGuid():N}"[..15];
            await admin.CreateTopicAsync(topic, partitions);
            await admin.DescribeTopicAsync(topic);
            if (warmup > 0)
            {
                await admin.CreateTopicAsync(topic + "-w", partitions);
                await Produce(producer, materializer, topic + "-w", warmup, recordSize);
                await Consume(consumer, materializer, topic + "-w", partitions, warmup);
            }
            Console.WriteLine($"bench --streams: {records:N0} records of {recordSize} B into {partitions} partitions of {topic}, " +
                              $"batch {batchSize} B, linger {lingerMs} ms, stage parallelism {producer.Parallelism:N0}, max-poll-records {consumer.MaxPollRecords:N0}");

            var watch = Stopwatch.StartNew();
            await Produce(producer, materializer, topic, records, recordSize);
            Report("produce (PlainSink)", records, recordSize, watch.Elapsed.TotalSeconds);

            watch.Restart();
            var consumed = await Consume(consumer, materializer, topic, partitions, records);
            Report("consume (PlainSource)", consumed, recordSize, watch.Elapsed.TotalSeconds);

            if (!keep) await admin.DeleteTopicAsync(topic);
            if (!keep && warmup > 0) await admin.DeleteTopicAsync(topic + "-w");
            return consumed == records ? 0 : 1;
        }
        finally
        {
            await system.Terminate();
        }
    }

    private static Task Produce(ProducerSettings settings, IMaterializer materializer, string topic, long records, int recordSize)
    {
        var value = new byte[recordSize];
        Random.Shared.NextBytes(value);
        return Source.From(Count(records))
            .Select(_ => new ProducerRecord(topic, null, value))
            .RunWith(PlatformProducer.PlainSink(settings), materializer);
    }

    private static Task<long> Consume(ConsumerSettings settings, IMaterializer materializer, string topic, int partitions, long records) =>
        PlatformConsumer.PlainSource(settings, Subscriptions.AssignmentWithOffset(Enumerable.Range(0, partitions)
                .Select(p => new TopicPartitionOffset(topic, p, TopicPartitionOffset.Beginning)).ToArray()))
            .Take(records)
            .RunAggregate(0L, (count, _) => count + 1, materializer)
            .WaitAsync(TimeSpan.FromMinutes(10));

    private static IEnumerable<long> Count(long records)
    {
        for (long i = 0; i < records; i++) yield return i;
    }

    private static void Report(string phase, long records, int recordSize, double seconds) =>
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{phase}: {records:N0} records in {seconds:N2} s = {records / seconds:N0} records/s, {records * (double)recordSize / seconds / 1048576:N1} MiB/s"));
}
