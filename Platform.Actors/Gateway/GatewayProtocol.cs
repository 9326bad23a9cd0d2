using Platform.Actors.Serialization;

namespace Platform.Actors.Gateway;

/// <summary>Asks a node for its process figures; the benchmark reports the node's peak memory from it.</summary>
public sealed record GetNodeStats : IPlatformMessage
{
    public static readonly GetNodeStats Instance = new();
}

public sealed record NodeStats(string Address, long WorkingSetBytes, long PeakWorkingSetBytes, long ManagedHeapBytes, long TailCacheBytes) : IPlatformMessage;

/// <summary>Asks a node for the cluster as it sees it (`platform cluster status`).</summary>
public sealed record GetClusterStatus : IPlatformMessage
{
    public static readonly GetClusterStatus Instance = new();
}

/// <param name="Partitions">Partition actors running on the member (from sharding's statistics).</param>
/// <param name="Groups">Group coordinators running on the member.</param>
public sealed record ClusterMemberStatus(string Address, string Status, IReadOnlyList<string> Roles, bool Reachable, int Partitions, int Groups);

public sealed record ClusterStatus(string Leader, IReadOnlyList<ClusterMemberStatus> Members) : IPlatformMessage;

/// <summary>
/// A client asks its gateway to be told when a member leaves the cluster (the sender is the subscriber).
/// Requests that were routed to a member that left are lost with it; the client fails them at once and
/// retries them, instead of waiting for their timeout.
/// </summary>
public sealed record SubscribeMembership : IPlatformMessage
{
    public static readonly SubscribeMembership Instance = new();
}

/// <summary>Pushed to subscribed clients: the member at <paramref name="Address"/> (host:port) was removed.</summary>
public sealed record MemberLeft(string Address) : IPlatformMessage;
