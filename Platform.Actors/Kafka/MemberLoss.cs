using System.Collections.Concurrent;
using System.Collections.Immutable;
using Akka.Actor;
using Akka.Cluster;

namespace Platform.Actors.Kafka;

/// <summary>
/// Tells a request handler when the member it sent a request to can no longer answer it: a token per member,
/// cancelled when the member becomes unreachable or leaves the membership.
/// </summary>
/// <remarks>
/// Why: sharding sends a request for a shard whose home is a member that has just died to that member's region,
/// and remoting drops it; the handler then waited its whole ask timeout (the producer's request timeout, 5 s)
/// before the client retried, after the shard had long moved. With the token the handler answers the retriable
/// NOT_LEADER_OR_FOLLOWER as soon as the failure detector has spoken, the client refreshes its metadata and
/// re-sends, and sharding buffers the retry until the shard runs on a survivor. A member that was merely
/// unreachable (a cut link) may still process the request: the idempotent producer's sequence numbers make the
/// retry a recognised duplicate, as after any timeout.
/// </remarks>
internal sealed class MemberLoss
{
    private readonly ConcurrentDictionary<Address, CancellationTokenSource> _watches = new();
    private volatile ImmutableHashSet<Address> _lost = ImmutableHashSet<Address>.Empty;
    private readonly Address _self;

    public MemberLoss(Address self) => _self = self;

    private static readonly CancellationToken Lost = new(canceled: true);

    /// <summary>
    /// A token cancelled once <paramref name="member"/> is lost; already cancelled while it is unreachable;
    /// never for this node or an unknown home (sharding then routes, or buffers, the request itself).
    /// </summary>
    public CancellationToken Of(Address? member)
    {
        if (member is null || member == _self) return CancellationToken.None;
        if (_lost.Contains(member)) return Lost;
        var watch = _watches.GetOrAdd(member, _ => new CancellationTokenSource());
        // Marked lost between the look above and the watch's creation: the marking may have missed the watch.
        if (_lost.Contains(member)) watch.Cancel();
        return watch.Token;
    }

    /// <summary>The member is unreachable: requests in flight to it are lost, and so are new ones until it is back.</summary>
    internal void Unreachable(Address member)
    {
        _lost = _lost.Add(member);
        CancelWatch(member);
    }

    /// <summary>Reachable again: requests reach it as before.</summary>
    internal void Reachable(Address member) => _lost = _lost.Remove(member);

    /// <summary>
    /// Removed (or downed): requests in flight to it are lost; new ones go to sharding, which buffers them until
    /// the member's shards run elsewhere, so they are no longer failed at once.
    /// </summary>
    internal void Removed(Address member)
    {
        _lost = _lost.Remove(member);
        CancelWatch(member);
    }

    private void CancelWatch(Address member)
    {
        if (_watches.TryRemove(member, out var watch)) watch.Cancel();
    }
}

/// <summary>Feeds <see cref="MemberLoss"/> from the cluster's membership and reachability events.</summary>
internal sealed class MemberLossTracker : ReceiveActor
{
    public MemberLossTracker(MemberLoss loss)
    {
        Receive<ClusterEvent.UnreachableMember>(e => loss.Unreachable(e.Member.Address));
        Receive<ClusterEvent.ReachableMember>(e => loss.Reachable(e.Member.Address));
        // Downed: the split-brain resolver decided; its shards move once it is removed.
        Receive<ClusterEvent.MemberDowned>(e => loss.Unreachable(e.Member.Address));
        Receive<ClusterEvent.MemberRemoved>(e => loss.Removed(e.Member.Address));
        Receive<ClusterEvent.IMemberEvent>(_ => { });
        Receive<ClusterEvent.CurrentClusterState>(_ => { });
    }

    protected override void PreStart() =>
        Cluster.Get(Context.System).Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsEvents,
            typeof(ClusterEvent.IReachabilityEvent), typeof(ClusterEvent.IMemberEvent));

    protected override void PostStop() => Cluster.Get(Context.System).Unsubscribe(Self);

    public static Props Props(MemberLoss loss) => Akka.Actor.Props.Create(() => new MemberLossTracker(loss));
}
