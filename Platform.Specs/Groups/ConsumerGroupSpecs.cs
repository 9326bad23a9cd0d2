using System.Collections.Concurrent;
using System.Diagnostics;
using Akka.Configuration;
using Platform.Actors;
using Platform.Actors.Hosting;
using Platform.Client;
using Platform.Specs.Support;

namespace Platform.Specs.Groups;

/// <summary>
/// Consumer groups end to end: a real node, and each consumer in an ActorSystem of its own talking to it
/// over remoting on 127.0.0.1, as separate processes would.
/// </summary>
public sealed class ConsumerGroupSpecs : IAsyncLifetime
{
    private const string NodeHocon = """
        platform.group.initial-rebalance-delay = 200ms
        platform.group.min-session-timeout = 500ms
        platform.group.max-size = 5
        """;

    private static readonly Config ClientHocon = ConfigurationFactory.ParseString("""
        platform.client.consumer.fetch-max-wait = 200ms
        platform.client.consumer.group.heartbeat-interval = 200ms
        platform.client.consumer.group.auto-commit-interval = 200ms
        platform.client.consumer.group.session-timeout = 5s
        platform.client.consumer.group.rebalance-timeout = 5s
        """);

    private readonly string _dataDir = TestNode.NewDataDir();
    private PlatformNode _node = null!;
    private PlatformConnection _admin = null!;

    public async Task InitializeAsync()
    {
        _node = await TestNode.StartAsync(_dataDir, NodeHocon);
        _admin = await PlatformConnection.ConnectAsync(_node.KafkaEndpoint, ClientHocon);
    }

    public async Task DisposeAsync()
    {
        await _admin.DisposeAsync();
        await _node.StopAsync();
    }

    /// <summary>A consumer in its own ActorSystem, consuming in the background and keeping what it got.</summary>
    private sealed class Member : IAsyncDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private Task _loop = Task.CompletedTask;

        public required PlatformConnection Connection { get; init; }
        public required PlatformConsumer Consumer { get; init; }
        public ConcurrentQueue<ConsumeResult> Received { get; } = new();

        /// <summary>Every assignment this member got, with its generation.</summary>
        public ConcurrentQueue<(int Generation, IReadOnlyList<TopicPartition> Partitions)> Assignments { get; } = new();

        public static async Task<Member> StartAsync(string endpoint, string group, string topic, string? instance = null)
        {
            var connection = await PlatformConnection.ConnectAsync(endpoint, ClientHocon);
            var settings = ConsumerGroupSettings.Create(group, ClientHocon).WithGroupInstanceId(instance);
            var member = new Member { Connection = connection, Consumer = new PlatformConsumer(connection, settings, AutoOffsetReset.Earliest) };
            member.Consumer.PartitionsAssigned += partitions => member.Assignments.Enqueue((member.Consumer.GenerationId ?? -1, partitions));
            member.Consumer.Subscribe([topic]);
            member._loop = Task.Run(async () =>
            {
                try
                {
                    while (!member._stop.IsCancellationRequested)
                        if (await member.Consumer.ConsumeAsync(TimeSpan.FromMilliseconds(100), member._stop.Token) is { } r) member.Received.Enqueue(r);
                }
                catch (OperationCanceledException)
                {
                }
            });
            return member;
        }

        /// <summary>Stops consuming and leaves cleanly: commits, then LeaveGroup.</summary>
        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            await _loop;
            await Consumer.DisposeAsync();
            await Connection.DisposeAsync();
        }

        /// <summary>Like a killed process: the ActorSystem goes away without leaving the group or committing.</summary>
        public async Task CrashAsync()
        {
            await _stop.CancelAsync();
            await Connection.DisposeAsync();
        }
    }

    private async Task Produce(string topic, int from, int count)
    {
        await using var producer = new PlatformProducer(_admin);
        await Task.WhenAll(Enumerable.Range(from, count).Select(i => producer.ProduceAsync(topic, $"key-{i}", $"{i}")));
    }

    /// <summary>How often the specs ask whether the group has settled.</summary>
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(50);

    private async Task<Dictionary<string, List<int>>> Assignments(string group)
    {
        var description = await new PlatformAdmin(_admin).DescribeGroupAsync(group);
        return description.State == "Stable"
            ? description.Members.ToDictionary(m => m.MemberId, m => m.Assignment.Select(tp => tp.Partition).ToList())
            : new Dictionary<string, List<int>>();
    }

    private async Task<bool> StableWith(string group, int members, int partitions)
    {
        var assignments = await Assignments(group);
        var all = assignments.Values.SelectMany(p => p).ToList();
        return assignments.Count == members && all.Count == partitions && all.Distinct().Count() == partitions;
    }

    [Fact]
    public async Task Three_members_share_the_partitions_and_a_crashed_members_partitions_move_to_the_others()
    {
        await new PlatformAdmin(_admin).CreateTopicAsync("orders", 6);
        await Produce("orders", 0, 600);
        var members = new List<Member>();
        for (var i = 0; i < 3; i++) members.Add(await Member.StartAsync(_node.KafkaEndpoint, "g1", "orders"));

        await Eventually.TrueAsync(() => StableWith("g1", 3, 6), "three members with two partitions each", TimeSpan.FromSeconds(20), Poll);
        Assert.All((await Assignments("g1")).Values, p => Assert.Equal(2, p.Count));
        await Eventually.TrueAsync(() => members.Sum(m => m.Received.Count) >= 600, "the first 600 records", TimeSpan.FromSeconds(20), Poll);

        var crashed = members[2];
        var watch = Stopwatch.StartNew();
        await crashed.CrashAsync();
        await Eventually.TrueAsync(() => StableWith("g1", 2, 6), "the survivors take the crashed member's partitions", TimeSpan.FromSeconds(10), Poll);
        var moved = watch.Elapsed;
        Assert.True(moved < TimeSpan.FromSeconds(5), $"DeathWatch should move partitions well before the 5 s session timeout; took {moved}");

        await Produce("orders", 600, 600);
        // Every record seen by someone (the survivors may see again what the crashed member had not committed).
        await Eventually.TrueAsync(() => members.SelectMany(m => m.Received).Select(r => System.Text.Encoding.UTF8.GetString(r.Value!))
            .Distinct().Count() >= 1200, "all 1200 records", TimeSpan.FromSeconds(20), Poll);
        var values = members.SelectMany(m => m.Received).Select(r => int.Parse(System.Text.Encoding.UTF8.GetString(r.Value!))).ToHashSet();
        Assert.Equal(Enumerable.Range(0, 1200).ToHashSet(), values);

        // A clean hand-over: member 1 leaves; member 0 continues exactly after member 1's last commit.
        var leaving = members[1];
        await leaving.DisposeAsync();
        await Eventually.TrueAsync(() => StableWith("g1", 1, 6), "one member with all partitions", TimeSpan.FromSeconds(10), Poll);
        var before = members[0].Received.Count;
        await Produce("orders", 1200, 300);
        await Eventually.TrueAsync(() => members[0].Received.Count >= before + 300, "the last 300 records", TimeSpan.FromSeconds(20), Poll);
        var afterHandOver = members.Take(2).SelectMany(m => m.Received).GroupBy(r => (r.Partition, r.Offset)).Where(g => g.Count() > 1)
            .Where(g => g.Key.Offset >= 0 && leaving.Received.Any(r => r.Partition == g.Key.Partition && r.Offset == g.Key.Offset)).ToList();
        Assert.Empty(afterHandOver); // nothing member 1 consumed (and committed on leaving) was consumed again

        // No partition was ever held by two members in the same generation.
        var held = members.SelectMany(m => m.Assignments.SelectMany(a => a.Partitions.Select(p => (a.Generation, p)))).ToList();
        Assert.All(held, h => Assert.True(h.Generation > 0));
        Assert.Equal(held.Count, held.Distinct().Count());
        await members[0].DisposeAsync();
    }

    [Fact]
    public async Task Committed_offsets_survive_a_restart_of_the_node_and_show_as_lag()
    {
        var admin = new PlatformAdmin(_admin);
        await admin.CreateTopicAsync("kept", 2);
        await Produce("kept", 0, 100);
        await using (var member = await Member.StartAsync(_node.KafkaEndpoint, "g2", "kept"))
            await Eventually.TrueAsync(() => member.Received.Count >= 100, "100 records", TimeSpan.FromSeconds(20), Poll);
        await Produce("kept", 100, 10);

        var port = int.Parse(_node.Endpoint.Split(':')[1]);
        await _admin.DisposeAsync();
        await _node.StopAsync();
        _node = await TestNode.StartAsync(_dataDir, NodeHocon, port);
        _admin = await PlatformConnection.ConnectAsync(_node.KafkaEndpoint, ClientHocon);
        admin = new PlatformAdmin(_admin);

        var lag = await admin.GroupLagAsync("g2");
        Assert.Equal(100, lag.Sum(r => r.CurrentOffset));
        Assert.Equal(110, lag.Sum(r => r.LogEndOffset));
        Assert.Equal(10, lag.Sum(r => r.Lag));
        Assert.Contains("g2", await admin.ListGroupsAsync());

        await using var again = await Member.StartAsync(_node.KafkaEndpoint, "g2", "kept");
        await Eventually.TrueAsync(() => again.Received.Count >= 10, "the 10 new records", TimeSpan.FromSeconds(20), Poll);
        Assert.Equal(Enumerable.Range(100, 10).ToHashSet(), again.Received.Select(r => int.Parse(System.Text.Encoding.UTF8.GetString(r.Value!))).ToHashSet());
    }

    [Fact]
    public async Task Bad_group_requests_get_specific_errors()
    {
        var admin = new PlatformAdmin(_admin);
        await admin.CreateTopicAsync("t", 1);
        await Produce("t", 0, 1);

        // Commit to an unknown topic or partition.
        var unknown = await Assert.ThrowsAsync<PlatformException>(() => admin.CommitOffsetsAsync("g3", [new TopicPartitionOffset("nope", 0, 1)]));
        Assert.Equal(ErrorCode.UnknownTopicOrPartition, unknown.Code);
        var badPartition = await Assert.ThrowsAsync<PlatformException>(() => admin.CommitOffsetsAsync("g3", [new TopicPartitionOffset("t", 5, 1)]));
        Assert.Equal(ErrorCode.UnknownTopicOrPartition, badPartition.Code);

        // A session timeout outside the node's bounds fails the consumer with InvalidSessionTimeout.
        await using (var connection = await PlatformConnection.ConnectAsync(_node.KafkaEndpoint, ClientHocon))
        {
            var settings = ConsumerGroupSettings.Create("g3", ClientHocon).WithSessionTimeout(TimeSpan.FromMilliseconds(100));
            await using var consumer = new PlatformConsumer(connection, settings);
            consumer.Subscribe(["t"]);
            var e = await Assert.ThrowsAsync<PlatformException>(() => consumer.ConsumeAsync(TimeSpan.FromSeconds(10)));
            Assert.Equal(ErrorCode.InvalidSessionTimeout, e.Code);
        }

        // Deleting or describing a group that does not exist; deleting one with members.
        Assert.Equal(ErrorCode.GroupIdNotFound, (await Assert.ThrowsAsync<PlatformException>(() => admin.DeleteGroupAsync("never"))).Code);
        await using var member = await Member.StartAsync(_node.KafkaEndpoint, "busy", "t");
        await Eventually.TrueAsync(() => StableWith("busy", 1, 1), "a member in group busy", TimeSpan.FromSeconds(10), Poll);
        Assert.Equal(ErrorCode.NonEmptyGroup, (await Assert.ThrowsAsync<PlatformException>(() => admin.DeleteGroupAsync("busy"))).Code);
        // Standalone commits are refused while the group has active members.
        Assert.Equal(ErrorCode.UnknownMemberId, (await Assert.ThrowsAsync<PlatformException>(() =>
            admin.CommitOffsetsAsync("busy", [new TopicPartitionOffset("t", 0, 0)]))).Code);
    }

    [Fact]
    public async Task An_oversized_group_refuses_the_extra_member_with_GroupMaxSizeReached()
    {
        await new PlatformAdmin(_admin).CreateTopicAsync("wide", 8);
        var members = new List<Member>();
        for (var i = 0; i < 5; i++) members.Add(await Member.StartAsync(_node.KafkaEndpoint, "g4", "wide"));
        await Eventually.TrueAsync(() => StableWith("g4", 5, 8), "five members", TimeSpan.FromSeconds(20), Poll);
        await using (var connection = await PlatformConnection.ConnectAsync(_node.KafkaEndpoint, ClientHocon))
        {
            await using var sixth = new PlatformConsumer(connection, ConsumerGroupSettings.Create("g4", ClientHocon));
            sixth.Subscribe(["wide"]);
            var e = await Assert.ThrowsAsync<PlatformException>(() => sixth.ConsumeAsync(TimeSpan.FromSeconds(10)));
            Assert.Equal(ErrorCode.GroupMaxSizeReached, e.Code);
        }
        Assert.True(await StableWith("g4", 5, 8));
        foreach (var m in members) await m.DisposeAsync();
    }

    [Fact]
    public async Task A_pattern_subscription_follows_topics_as_they_are_created_grow_and_are_deleted()
    {
        var admin = new PlatformAdmin(_admin);
        await admin.CreateTopicAsync("orders-eu", 2);
        await admin.CreateTopicAsync("payments", 2);
        await using var connection = await PlatformConnection.ConnectAsync(_node.KafkaEndpoint, ClientHocon);
        var settings = ConsumerGroupSettings.Create("patterns", ClientHocon.WithFallback(
            ConfigurationFactory.ParseString("platform.client.consumer.group.metadata-refresh = 300ms")));
        await using var consumer = new PlatformConsumer(connection, settings, AutoOffsetReset.Earliest);
        consumer.Subscribe(new System.Text.RegularExpressions.Regex("^orders-.*$"));
        async Task<bool> Owns(params string[] expected)
        {
            await consumer.ConsumeAsync(TimeSpan.FromMilliseconds(50));
            return consumer.Assignment.Select(tp => tp.ToString()).Order().SequenceEqual(expected.Order());
        }
        await Eventually.TrueAsync(() => Owns("orders-eu-0", "orders-eu-1"), "the matching topic only", TimeSpan.FromSeconds(15), Poll);
        await admin.CreateTopicAsync("orders-us", 1);
        await Eventually.TrueAsync(() => Owns("orders-eu-0", "orders-eu-1", "orders-us-0"), "a new matching topic", TimeSpan.FromSeconds(15), Poll);
        await admin.CreatePartitionsAsync("orders-us", 2);
        await Eventually.TrueAsync(() => Owns("orders-eu-0", "orders-eu-1", "orders-us-0", "orders-us-1"), "the new partition", TimeSpan.FromSeconds(15), Poll);
        await admin.DeleteTopicAsync("orders-eu");
        await Eventually.TrueAsync(() => Owns("orders-us-0", "orders-us-1"), "the deleted topic gone", TimeSpan.FromSeconds(15), Poll);
    }

    [Fact]
    public async Task With_auto_offset_reset_none_a_partition_without_a_committed_offset_is_an_error()
    {
        await new PlatformAdmin(_admin).CreateTopicAsync("strict", 1);
        await using var connection = await PlatformConnection.ConnectAsync(_node.KafkaEndpoint, ClientHocon);
        await using var consumer = new PlatformConsumer(connection, ConsumerGroupSettings.Create("strict-group", ClientHocon), AutoOffsetReset.None);
        consumer.Subscribe(["strict"]);
        var e = await Assert.ThrowsAsync<PlatformException>(() => consumer.ConsumeAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(ErrorCode.OffsetOutOfRange, e.Code);
    }

    [Fact]
    public async Task A_static_member_that_restarts_gets_its_partitions_back_without_a_rebalance()
    {
        await new PlatformAdmin(_admin).CreateTopicAsync("static", 4);
        var a = await Member.StartAsync(_node.KafkaEndpoint, "static-group", "static", instance: "worker-a");
        await using var b = await Member.StartAsync(_node.KafkaEndpoint, "static-group", "static", instance: "worker-b");
        await Eventually.TrueAsync(() => StableWith("static-group", 2, 4), "two static members", TimeSpan.FromSeconds(15), Poll);
        var generation = b.Consumer.GenerationId; // Kafka's DescribeGroups does not report the generation: the other member's tells it
        var before = (await new PlatformAdmin(_admin).DescribeGroupAsync("static-group")).Members.Single(m => m.GroupInstanceId == "worker-a").Assignment;

        await a.DisposeAsync(); // a static member does not leave the group on close
        await using var again = await Member.StartAsync(_node.KafkaEndpoint, "static-group", "static", instance: "worker-a");
        await Eventually.TrueAsync(async () => (await new PlatformAdmin(_admin).DescribeGroupAsync("static-group")).Members
            .Any(m => m.GroupInstanceId == "worker-a" && m.MemberId == again.Consumer.MemberId), "worker-a back", TimeSpan.FromSeconds(15), Poll);
        var after = await new PlatformAdmin(_admin).DescribeGroupAsync("static-group");
        Assert.Equal(generation, b.Consumer.GenerationId);
        Assert.Equal(before, after.Members.Single(m => m.GroupInstanceId == "worker-a").Assignment);
        // A member's client id is its group settings' (Kafka's client.id in its JoinGroup), not its connection's.
        Assert.All(after.Members, m => Assert.Equal("platform-consumer", m.ClientId));
    }
}
