using Akka.Actor;
using Akka.TestKit;
using Platform.Actors;
using Platform.Actors.Hosting;
using Platform.Actors.Log;
using Platform.Protocol.Records;
using Platform.Actors.Partitions;
using Platform.Actors.Topics;
using Record = Platform.Protocol.Records.Record;

namespace Platform.Specs.Support;

/// <summary>
/// One real node shared by a spec class (starting a cluster member takes seconds), tuned so that the
/// interesting paths happen on small data: 512-byte segments, a 4 KiB tail per partition (older reads go
/// to the journal), a snapshot every 10 batches, a retention check every 200 ms, and at most
/// <see cref="MaxParkedFetches"/> parked fetches and <see cref="MaxJournalReaders"/> journal readers per partition.
/// </summary>
public sealed class NodeFixture : IAsyncLifetime
{
    public PlatformNode Node { get; private set; } = null!;

    public Akka.TestKit.Xunit2.TestKit Kit { get; private set; } = null!;

    public string DataDir { get; } = TestNode.NewDataDir();

    public const string Hocon = """
        platform.partition.index-interval-bytes = 512
        platform.partition.snapshot-every = 10
        platform.partition.retention-check-interval = 200ms
        platform.tail-cache.max-bytes-per-partition = 4KiB
        platform.partition.max-parked-fetches = 8
        platform.partition.max-journal-readers = 2
        """;

    public const int MaxParkedFetches = 8;

    public const int MaxJournalReaders = 2;

    public async Task InitializeAsync()
    {
        Node = await TestNode.StartAsync(DataDir, Hocon);
        Kit = new Akka.TestKit.Xunit2.TestKit(Node.System);
    }

    public async Task DisposeAsync() => await Node.StopAsync();

    public TestProbe Probe() => Kit.CreateTestProbe();

    internal TopicInfo CreateTopic(string name, int partitions = 1, Dictionary<string, string>? configs = null)
    {
        var probe = Probe();
        Node.Gateway.Tell(new CreateTopic(name, partitions, configs ?? new Dictionary<string, string>()), probe.Ref);
        var result = probe.ExpectMsg<TopicCommandResult>(TimeSpan.FromSeconds(10));
        Assert.Equal(ErrorCode.None, result.Error);
        return result.Topic!;
    }

    public static byte[] Batch(params string[] values)
    {
        var builder = new RecordBatchBuilder();
        foreach (var value in values) builder.Add(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), null, System.Text.Encoding.UTF8.GetBytes(value));
        return builder.Build();
    }

    internal ProduceResult Produce(TopicInfo topic, int partition, params string[] values)
    {
        var probe = Probe();
        Node.Gateway.Tell(new Produce(topic.TopicId, partition, Batch(values), 1), probe.Ref);
        return probe.ExpectMsg<ProduceResult>(TimeSpan.FromSeconds(10));
    }

    internal FetchResult Fetch(TopicInfo topic, int partition, long offset, int maxBytes = 1 << 20, int maxWaitMs = 0)
    {
        var probe = Probe();
        Node.Gateway.Tell(new Fetch(topic.TopicId, partition, offset, maxBytes, maxWaitMs, 1), probe.Ref);
        return probe.ExpectMsg<FetchResult>(TimeSpan.FromSeconds(10) + TimeSpan.FromMilliseconds(maxWaitMs));
    }

    internal PartitionStatus Status(TopicInfo topic, int partition)
    {
        var probe = Probe();
        Node.Gateway.Tell(new GetPartitionStatus(topic.TopicId, partition), probe.Ref);
        return probe.ExpectMsg<PartitionStatus>(TimeSpan.FromSeconds(10));
    }

    /// <summary>All records from <paramref name="from"/> to the high watermark, fetching as a consumer does.</summary>
    internal List<Record> ReadAll(TopicInfo topic, int partition, long from = 0, int maxBytes = 1 << 20)
    {
        var records = new List<Record>();
        var offset = from;
        while (true)
        {
            var result = Fetch(topic, partition, offset, maxBytes);
            Assert.Equal(ErrorCode.None, result.Error);
            if (offset >= result.HighWatermark) return records;
            foreach (var batch in result.Batches)
            foreach (var record in RecordBatch.Decode(batch).Where(r => r.Offset >= offset))
            {
                records.Add(record);
                offset = record.Offset + 1;
            }
        }
    }

    public static string Text(Record record) => System.Text.Encoding.UTF8.GetString(record.Value!);
}
