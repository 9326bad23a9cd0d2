using Akka.Configuration;
using Platform.Actors;
using Platform.Actors.Configuration;
using Platform.Actors.Hosting;
using Platform.Actors.Partitions;
using Platform.Actors.Storage;
using Platform.Client;
using Platform.Specs.Support;

namespace Platform.Specs.MultiNode;

/// <summary>
/// Two incarnations of one partition must never both append. Sharding keeps one alive in a healthy
/// cluster; when that fails (a network partition before the split-brain resolver acts), the journal's
/// unique key on (persistence id, sequence number) refuses the stale incarnation's write, and the
/// producer hears a retriable error instead of an acknowledgement. Each store's
/// <see cref="Platform.Actors.Storage.IJournalErrors"/> must recognise its journal's real refusal.
/// </summary>
public sealed class NoForkSpecs
{
    [Fact]
    [Trait("Category", "Postgres")]
    public async Task A_stale_incarnations_write_fails_on_the_journals_unique_key_and_is_never_acknowledged() =>
        await StaleIncarnationIsRefused(StorageKind.Postgres, await TestPostgres.NewDatabaseAsync());

    [Fact]
    public async Task A_stale_incarnations_write_fails_on_the_SQLite_journals_unique_key_and_is_never_acknowledged() =>
        await StaleIncarnationIsRefused(StorageKind.Sqlite, null);

    private static async Task StaleIncarnationIsRefused(StorageKind storage, string? connectionString)
    {
        await using var node = await StartNodeAsync(storage, connectionString);
        using var kit = new Akka.TestKit.Xunit2.TestKit(node.System);
        await using var connection = await PlatformConnection.ConnectAsync(node.KafkaEndpoint);
        var topic = await new PlatformAdmin(connection).CreateTopicAsync("ledger", 1);
        await using var producer = new PlatformProducer(connection);
        await producer.ProduceAsync("ledger", null, "a");

        var probe = kit.CreateTestProbe();
        var stale = StartStale(node, topic.TopicId, probe);

        // The live incarnation appends sequence number 2; then the stale one tries to append its own 2.
        Assert.Equal(1, (await producer.ProduceAsync("ledger", null, "b")).Offset);
        stale.Tell(new Produce(topic.TopicId, 0, NodeFixture.Batch("forked"), 99), probe.Ref);
        var refused = probe.ExpectMsg<ProduceResult>(TimeSpan.FromSeconds(10));
        Assert.Equal((ErrorCode.NotLeaderOrFollower, 99L), (refused.Error, refused.CorrelationId));
        Assert.Contains("Another incarnation", refused.ErrorMessage);
        probe.ExpectTerminated(stale, TimeSpan.FromSeconds(10));

        // The log is the live incarnation's, and it goes on.
        Assert.Equal(2, (await producer.ProduceAsync("ledger", null, "c")).Offset);
        await using var consumer = new PlatformConsumer(connection, AutoOffsetReset.Earliest);
        consumer.Assign([new TopicPartition("ledger", 0)]);
        var values = new List<string>();
        while (await consumer.ConsumeAsync(TimeSpan.FromSeconds(2)) is { } r) values.Add(System.Text.Encoding.UTF8.GetString(r.Value!));
        Assert.Equal(["a", "b", "c"], values);
    }

    /// <summary>
    /// The nemesis's duplicates and its records "not read back": a stale incarnation whose producer's batches all
    /// come after ones it never saw refuses them as out of order, so it never writes and the unique key never stops
    /// it. It answered stale log ends for as long as it lived, and its refusals made the client start the partition
    /// afresh under a new producer id, re-sending batches the live incarnation had stored. Now a gap makes it ask
    /// the journal: it finds itself stale, answers NOT_LEADER_OR_FOLLOWER (the client retries elsewhere) and stops.
    /// </summary>
    [Fact]
    public async Task A_stale_incarnation_that_only_refuses_out_of_order_batches_finds_itself_stale_and_stops()
    {
        await using var node = await StartNodeAsync(StorageKind.Sqlite, null);
        using var kit = new Akka.TestKit.Xunit2.TestKit(node.System);
        await using var connection = await PlatformConnection.ConnectAsync(node.KafkaEndpoint);
        var topic = await new PlatformAdmin(connection).CreateTopicAsync("ledger", 1);
        var probe = kit.CreateTestProbe();
        ProduceResult Send(Akka.Actor.IActorRef to, int sequence, string value)
        {
            var batch = NodeFixture.Batch(value);
            Platform.Protocol.Records.RecordBatch.SetProducer(batch, 7000, 0, sequence);
            to.Tell(new Produce(topic.TopicId, 0, batch, sequence), probe.Ref);
            return probe.ExpectMsg<ProduceResult>(TimeSpan.FromSeconds(10));
        }
        var a = Send(node.Partitions, 0, "a");
        Assert.Equal((ErrorCode.None, 0L), (a.Error, a.BaseOffset));
        var stale = StartStale(node, topic.TopicId, probe);

        // The live incarnation stores sequence 1; the producer's next batch (sequence 2) reaches the stale one.
        var b = Send(node.Partitions, 1, "b");
        Assert.Equal((ErrorCode.None, 1L), (b.Error, b.BaseOffset));
        var refused = Send(stale, 2, "c");
        Assert.Equal(ErrorCode.NotLeaderOrFollower, refused.Error);
        probe.ExpectTerminated(stale, TimeSpan.FromSeconds(10));

        // The retry at the live incarnation follows on; a gap that is real is still refused as out of order.
        var c = Send(node.Partitions, 2, "c");
        Assert.Equal((ErrorCode.None, 2L), (c.Error, c.BaseOffset));
        Assert.Equal(ErrorCode.OutOfOrderSequenceNumber, Send(node.Partitions, 9, "z").Error);
    }

    /// <summary>
    /// The nemesis's 6,300 records "not read back": after a network partition downed two nodes at once, a stale
    /// incarnation lived on, never written to, and answered the final read's ListOffsets and fetches with the log
    /// end it had recovered, while the producers' acknowledgements came from the live incarnation. A fetch parked
    /// at its end after a while without writing now makes it ask the journal; it finds itself stale and stops.
    /// </summary>
    [Fact]
    public async Task A_stale_incarnation_read_at_its_log_end_finds_itself_stale_and_stops_instead_of_answering_a_stale_log_end()
    {
        await using var node = await StartNodeAsync(StorageKind.Sqlite, null);
        using var kit = new Akka.TestKit.Xunit2.TestKit(node.System);
        await using var connection = await PlatformConnection.ConnectAsync(node.KafkaEndpoint);
        var topic = await new PlatformAdmin(connection).CreateTopicAsync("ledger", 1);
        await using var producer = new PlatformProducer(connection);
        await producer.ProduceAsync("ledger", null, "a");
        var probe = kit.CreateTestProbe();
        var stale = StartStale(node, topic.TopicId, probe, s => s with { IdleJournalCheck = TimeSpan.Zero });

        Assert.Equal(1, (await producer.ProduceAsync("ledger", null, "b")).Offset);
        // A reader at the stale incarnation's log end: it used to wait there and answer nothing, high watermark 1.
        stale.Tell(new Fetch(topic.TopicId, 0, 1, 1 << 20, 5000, 42), probe.Ref);
        var answer = probe.ExpectMsg<FetchResult>(TimeSpan.FromSeconds(10));
        Assert.Equal((ErrorCode.NotLeaderOrFollower, 42L), (answer.Error, answer.CorrelationId));
        probe.ExpectTerminated(stale, TimeSpan.FromSeconds(10));
    }

    /// <summary>One node on <paramref name="storage"/>, quiet, on ports of its own (<see cref="GroupNoForkSpecs"/> starts its nodes here too).</summary>
    internal static Task<PlatformNode> StartNodeAsync(StorageKind storage, string? connectionString) =>
        PlatformNode.StartAsync(PlatformConfig.ForNode(new NodeOptions(TestNode.NewDataDir(), "127.0.0.1", 0,
            ConfigurationFactory.ParseString("akka.loglevel = OFF"), null, storage, connectionString, KafkaPort: 0, HttpPort: 0)));

    /// <summary>A second incarnation of partition 0, outside sharding, that recovers the same log (one record: HW 1), watched by <paramref name="probe"/>.</summary>
    private static Akka.Actor.IActorRef StartStale(PlatformNode node, Guid topicId, Akka.TestKit.TestProbe probe, Func<PartitionSettings, PartitionSettings>? adjust = null)
    {
        var config = node.System.Settings.Config;
        var settings = PartitionSettings.Create(config);
        var stale = node.System.ActorOf(PartitionActor.Props(topicId, 0, node.Registry, adjust?.Invoke(settings) ?? settings, JournalErrors.ForJournal(config)));
        stale.Tell(new GetPartitionStatus(topicId, 0), probe.Ref);
        Assert.Equal(1, probe.ExpectMsg<PartitionStatus>(TimeSpan.FromSeconds(10)).HighWatermark);
        probe.Watch(stale);
        return stale;
    }
}
