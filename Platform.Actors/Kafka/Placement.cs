using System.Collections.Immutable;
using Akka.Actor;
using Akka.Cluster.Sharding;
using Akka.Event;
using Platform.Actors.Configuration;

namespace Platform.Actors.Kafka;

/// <summary>
/// Which member hosts each shard of the partition and group regions, as last seen: the leader Kafka's
/// Metadata names for a partition and the coordinator FindCoordinator names for a group. Read by every
/// connection, written by one <see cref="PlacementTracker"/>; a stale entry only costs a forwarded hop,
/// because every node forwards any request through sharding.
/// </summary>
internal sealed class Placement
{
    private volatile ImmutableDictionary<string, Address> _partitionShards = ImmutableDictionary<string, Address>.Empty;
    private volatile ImmutableDictionary<string, Address> _groupShards = ImmutableDictionary<string, Address>.Empty;
    // Partition shards that have had a home once: one of them without a live home now has partitions nobody
    // serves (its node died or left and nothing has touched them since), unlike a shard never allocated yet.
    private volatile ImmutableHashSet<string> _placedBefore = ImmutableHashSet<string>.Empty;
    private volatile ImmutableDictionary<Address, int> _groupCoordinators = ImmutableDictionary<Address, int>.Empty;

    public Address? PartitionShardHome(string shardId) => _partitionShards.GetValueOrDefault(shardId);

    public Address? GroupShardHome(string shardId) => _groupShards.GetValueOrDefault(shardId);

    public bool PartitionShardPlacedBefore(string shardId) => _placedBefore.Contains(shardId);

    /// <summary>How many group coordinators run on <paramref name="member"/>, as last seen (0 when it did not answer).</summary>
    public int GroupCoordinatorsOn(Address member) => _groupCoordinators.GetValueOrDefault(member);

    internal void Update(bool partitions, ClusterShardingStats stats)
    {
        var map = ImmutableDictionary.CreateBuilder<string, Address>();
        // Sharding's answer is partial: a region that did not answer in time (its member unreachable or busy)
        // is missing, not empty. Its shards keep the home last seen, so that a request for one of them is known
        // to go to that member (MemberLoss fails it at once when the member is lost) and under-served partitions
        // stay counted, until another region reports the shard.
        foreach (var (shard, home) in partitions ? _partitionShards : _groupShards)
            if (!stats.Regions.ContainsKey(home)) map[shard] = home;
        foreach (var (address, region) in stats.Regions)
        foreach (var shard in region.Stats.Keys)
            map[shard] = address;
        if (partitions)
        {
            _partitionShards = map.ToImmutable();
            _placedBefore = _placedBefore.Union(map.Keys);
            return;
        }
        _groupShards = map.ToImmutable();
        _groupCoordinators = stats.Regions.ToImmutableDictionary(r => r.Key, r => r.Value.Stats.Values.Sum());
    }
}

/// <summary>Refreshes <see cref="Placement"/> from the shard regions' cluster-wide statistics.</summary>
internal sealed class PlacementTracker : ReceiveActor, IWithTimers
{
    private sealed class Refresh
    {
        public static readonly Refresh Instance = new();
    }

    private sealed record Stats(bool Partitions, ClusterShardingStats Value);

    /// <param name="interval">How often to refresh (<see cref="KafkaSettings.PlacementRefresh"/>).</param>
    /// <param name="minTimeout">The least each refresh waits for the regions' statistics.</param>
    /// <param name="grace">How much longer than that the ask waits for sharding's (partial) answer.</param>
    public PlacementTracker(Placement placement, IActorRef partitions, IActorRef groups, TimeSpan interval, TimeSpan minTimeout, TimeSpan grace)
    {
        var timeout = interval > minTimeout ? interval : minTimeout;
        Receive<Refresh>(_ =>
        {
            partitions.Ask<ClusterShardingStats>(new GetClusterShardingStats(timeout), timeout + grace)
                .PipeTo(Self, success: s => new Stats(true, s), failure: e => new Status.Failure(e));
            groups.Ask<ClusterShardingStats>(new GetClusterShardingStats(timeout), timeout + grace)
                .PipeTo(Self, success: s => new Stats(false, s), failure: e => new Status.Failure(e));
        });
        Receive<Stats>(s => placement.Update(s.Partitions, s.Value));
        Receive<Status.Failure>(_ => Context.GetLogger().Debug("Shard placement refresh timed out; keeping the last one"));
        _interval = interval;
    }

    private readonly TimeSpan _interval;

    protected override void PreStart()
    {
        Self.Tell(Refresh.Instance);
        Timers.StartPeriodicTimer("refresh", Refresh.Instance, _interval);
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(Placement placement, IActorRef partitions, IActorRef groups, KafkaSettings kafka, NodeSettings node) =>
        Akka.Actor.Props.Create(() => new PlacementTracker(placement, partitions, groups, kafka.PlacementRefresh, kafka.PlacementRefreshMinTimeout,
            node.ShardStatsGrace));
}
