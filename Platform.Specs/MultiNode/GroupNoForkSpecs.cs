using Akka.Actor;
using Akka.Cluster.Sharding;
using Akka.TestKit;
using Platform.Actors;
using Platform.Actors.Configuration;
using Platform.Actors.Groups;
using Platform.Actors.Hosting;
using Platform.Actors.Storage;
using Platform.Actors.Topics;
using Platform.Client;
using Platform.Specs.Support;

namespace Platform.Specs.MultiNode;

/// <summary>
/// Two incarnations of one group's coordinator on one journal, as after a node was downed but ran on (the nemesis's
/// "reads below a commit", issue #13): the sharded one plays the old incarnation, one started beside it outside
/// sharding the new one. The old one's commits after the new one recovered must never be acknowledged (the new
/// one's fence takes the sequence number first), a commit the old one wrote first must not be missed by the new one
/// (its fence is refused and it recovers again), and an incarnation that only answers OffsetFetch must stop once
/// another has written. Each of these answered a wrong offset before the fence.
/// </summary>
public sealed class GroupNoForkSpecs
{
    private const string Group = "ledger-readers";
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    [Fact]
    [Trait("Category", "Postgres")]
    public async Task A_stale_coordinators_commit_after_a_new_incarnation_recovered_is_refused_on_PostgreSQL_and_never_acknowledged() =>
        await StaleCommitIsRefused(StorageKind.Postgres, await TestPostgres.NewDatabaseAsync());

    [Fact]
    public async Task A_stale_coordinators_commit_after_a_new_incarnation_recovered_is_refused_and_never_acknowledged() =>
        await StaleCommitIsRefused(StorageKind.Sqlite, null);

    /// <summary>
    /// The nemesis's case: the new incarnation has recovered (and answered) but the group has no new commit yet; the
    /// old one, on the downed node, commits. Before, that write took the next sequence number, was acknowledged, and
    /// the new incarnation answered OffsetFetch with the older offset. Then, the other way round: once the old side
    /// writes again (its retry restarts it through sharding), the new one, asked only for offsets, stops.
    /// </summary>
    private static async Task StaleCommitIsRefused(StorageKind storage, string? connectionString)
    {
        await using var scene = await Scene.StartAsync(storage, connectionString);
        var (node, kit, probe, old) = (scene.Node, scene.Kit, scene.Probe, scene.Old);

        var fresh = StartIncarnation(node, kit.CreateTestProbe().Ref, node.Registry);
        probe.Watch(fresh);
        Assert.Equal(5, Fetch(fresh, probe).Offsets.Single().Offset);

        // The old incarnation's commit: its sequence number is the new one's fence now.
        var refused = Commit(old, 10, probe);
        Assert.Equal(ErrorCode.NotCoordinator, refused.Error);
        Assert.All(refused.Partitions, p => Assert.Equal(ErrorCode.NotCoordinator, p.Error));
        // Never acknowledged, so the new incarnation's 5 is right; it checked the journal before saying so.
        Assert.Equal(5, Fetch(fresh, probe).Offsets.Single().Offset);

        // The client's retry starts the group again through sharding: recovered past the fence, it writes.
        await Eventually.TrueAsync(() => Commit(old, 10, probe).Error == ErrorCode.None, "the retried commit is acknowledged");
        // The incarnation started beside it is stale now, and only read: it finds out, and stops.
        var stale = Fetch(fresh, probe);
        Assert.Equal(ErrorCode.NotCoordinator, stale.Error);
        probe.ExpectTerminated(fresh, Wait);
        Assert.Equal(10, Fetch(old, probe).Offsets.Single().Offset);
    }

    [Fact]
    [Trait("Category", "Postgres")]
    public async Task A_new_incarnation_whose_fence_a_stale_commit_beat_answers_nothing_wrong_on_PostgreSQL_and_recovers_it() =>
        await FenceRefusedRecoversAgain(StorageKind.Postgres, await TestPostgres.NewDatabaseAsync());

    [Fact]
    public async Task A_new_incarnation_whose_fence_a_stale_commit_beat_answers_nothing_wrong_and_the_next_one_recovers_it() =>
        await FenceRefusedRecoversAgain(StorageKind.Sqlite, null);

    /// <summary>
    /// The old incarnation commits after the new one recovered but before its fence (held here by holding back the
    /// topic list it waits for): the commit is acknowledged, so the new one must not answer from what it recovered.
    /// Its fence is refused, it answers the fetch it held with NOT_COORDINATOR and stops; the next one recovers the commit.
    /// </summary>
    private static async Task FenceRefusedRecoversAgain(StorageKind storage, string? connectionString)
    {
        await using var scene = await Scene.StartAsync(storage, connectionString);
        var (node, kit, probe, old) = (scene.Node, scene.Kit, scene.Probe, scene.Old);
        node.Registry.Tell(SubscribeTopics.Instance, probe.Ref);
        var topics = probe.ExpectMsg<TopicsChanged>(Wait);

        var directory = kit.CreateTestProbe();
        var fresh = StartIncarnation(node, directory.Ref, kit.CreateTestProbe().Ref);
        probe.Watch(fresh);
        // A coordinator with offsets registers its group once recovered: that is the signal here.
        directory.ExpectMsg<RegisterGroup>(Wait);
        fresh.Tell(new OffsetFetch(Group, null), probe.Ref);
        probe.ExpectNoMsg(TimeSpan.FromMilliseconds(200));

        Assert.Equal(ErrorCode.None, Commit(old, 10, probe).Error);
        fresh.Tell(topics);
        var held = probe.ExpectMsg<OffsetFetchResult>(Wait);
        Assert.Equal(ErrorCode.NotCoordinator, held.Error);
        probe.ExpectTerminated(fresh, Wait);

        var next = StartIncarnation(node, kit.CreateTestProbe().Ref, node.Registry);
        var recovered = Fetch(next, probe);
        Assert.Equal((ErrorCode.None, 10L), (recovered.Error, recovered.Offsets.Single().Offset));
    }

    /// <summary>A node with topic "ledger" whose group has offset 5 committed through sharding's incarnation (<see cref="Old"/>).</summary>
    private sealed class Scene(PlatformNode node, Akka.TestKit.Xunit2.TestKit kit) : IAsyncDisposable
    {
        public PlatformNode Node => node;
        public Akka.TestKit.Xunit2.TestKit Kit => kit;
        public TestProbe Probe { get; } = kit.CreateTestProbe();
        public IActorRef Old { get; } = ClusterSharding.Get(node.System).ShardRegion(GroupEntity.TypeName);

        public static async Task<Scene> StartAsync(StorageKind storage, string? connectionString)
        {
            var node = await NoForkSpecs.StartNodeAsync(storage, connectionString);
            var scene = new Scene(node, new Akka.TestKit.Xunit2.TestKit(node.System));
            await using (var connection = await PlatformConnection.ConnectAsync(node.KafkaEndpoint))
                await new PlatformAdmin(connection).CreateTopicAsync("ledger", 1);
            Assert.Equal(ErrorCode.None, Commit(scene.Old, 5, scene.Probe).Error);
            return scene;
        }

        public async ValueTask DisposeAsync()
        {
            kit.Dispose();
            await node.DisposeAsync();
        }
    }

    /// <summary>A second incarnation of the group's coordinator, outside sharding, on the node's journal.</summary>
    private static IActorRef StartIncarnation(PlatformNode node, IActorRef directory, IActorRef registry)
    {
        var config = node.System.Settings.Config;
        return node.System.ActorOf(GroupCoordinator.Props(Group, GroupSettings.Create(config), registry, directory, JournalErrors.ForJournal(config)));
    }

    /// <summary>A standalone consumer's commit (no member, no generation), as the nemesis's consumers commit between rebalances.</summary>
    private static OffsetCommitResult Commit(IActorRef to, long offset, TestProbe probe)
    {
        to.Tell(new OffsetCommit(Group, "", -1, null, [new OffsetCommitEntry("ledger", 0, offset, null)]), probe.Ref);
        return probe.ExpectMsg<OffsetCommitResult>(Wait);
    }

    private static OffsetFetchResult Fetch(IActorRef to, TestProbe probe)
    {
        to.Tell(new OffsetFetch(Group, [new TopicPartition("ledger", 0)]), probe.Ref);
        return probe.ExpectMsg<OffsetFetchResult>(Wait);
    }
}
