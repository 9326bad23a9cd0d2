using Platform.Actors.Serialization;

namespace Platform.Actors.Gateway;

/// <summary>Asks a node for the cluster as it sees it (`platform cluster status`).</summary>
internal sealed record GetClusterStatus : IPlatformMessage
{
    public static readonly GetClusterStatus Instance = new();
}

/// <param name="Partitions">Partition actors running on the member (from sharding's statistics).</param>
/// <param name="Groups">Group coordinators running on the member.</param>
internal sealed record ClusterMemberStatus(string Address, string Status, IReadOnlyList<string> Roles, bool Reachable, int Partitions, int Groups);

internal sealed record ClusterStatus(string Leader, IReadOnlyList<ClusterMemberStatus> Members) : IPlatformMessage;
