namespace Platform.Client;

/// <summary>
/// One member of the cluster: <see cref="Address"/> is its Kafka listener (host:port, what clients bootstrap
/// from), or its <see cref="ClusterAddress"/> when it serves none; <see cref="NodeId"/> its Kafka node id (-1
/// without a listener); its status (Joining, Up, Leaving, Exiting, Down, Removed, WeaklyUp), whether the
/// answering node reaches it, its cluster roles, and the partitions and group coordinators running on it.
/// </summary>
public sealed record ClusterMember(int NodeId, string Address, string Status, bool Reachable, IReadOnlyList<string> Roles, int Partitions, int Groups,
    string ClusterAddress);
