using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Sharding;

namespace Platform.Actors.Gateway;

/// <summary>
/// Answers one <see cref="GetClusterStatus"/>: cluster membership from the local view plus how many
/// partitions and group coordinators each member hosts, from both shard regions' statistics. A child per
/// request, so the gateway never waits.
/// </summary>
internal sealed class ClusterStatusCollector : ReceiveActor
{
    private ClusterShardingStats? _partitions;
    private ClusterShardingStats? _groups;

    /// <param name="timeout">How long sharding waits for the regions' statistics.</param>
    /// <param name="grace">How much longer this waits for sharding's (partial) answer.</param>
    public ClusterStatusCollector(IActorRef replyTo, IActorRef partitions, IActorRef groups, TimeSpan timeout, TimeSpan grace)
    {
        // One region at a time: the statistics come back from sharding's internals, not from the region
        // itself, so the order of the replies is what tells them apart.
        partitions.Tell(new GetClusterShardingStats(timeout));
        Context.SetReceiveTimeout(timeout + grace);
        Receive<ClusterShardingStats>(stats =>
        {
            if (_partitions is null)
            {
                _partitions = stats;
                groups.Tell(new GetClusterShardingStats(timeout));
                return;
            }
            _groups = stats;
            Reply(replyTo);
        });
        Receive<ReceiveTimeout>(_ => Reply(replyTo));
    }

    public static Props Props(IActorRef replyTo, IActorRef partitions, IActorRef groups, TimeSpan timeout, TimeSpan grace) =>
        Akka.Actor.Props.Create(() => new ClusterStatusCollector(replyTo, partitions, groups, timeout, grace));

    private static int Count(ClusterShardingStats? stats, Address address) =>
        stats is not null && stats.Regions.TryGetValue(address, out var region) ? region.Stats.Values.Sum() : 0;

    private void Reply(IActorRef replyTo)
    {
        var state = Cluster.Get(Context.System).State;
        var unreachable = state.Unreachable.Select(m => m.Address).ToHashSet();
        var members = state.Members.Select(m => new ClusterMemberStatus(
            $"{m.Address.Host}:{m.Address.Port}", m.Status.ToString(), m.Roles.OrderBy(r => r, StringComparer.Ordinal).ToList(),
            !unreachable.Contains(m.Address), Count(_partitions, m.Address), Count(_groups, m.Address))).ToList();
        var leader = state.Leader is { } l ? $"{l.Host}:{l.Port}" : "";
        replyTo.Tell(new ClusterStatus(leader, members));
        Context.Stop(Self);
    }
}
