namespace Platform.Client;

/// <summary>One broker: its Kafka listener, the partitions it leads and the groups it coordinates.</summary>
public sealed record ClusterMember(int NodeId, string Address, string Status, bool Reachable, IReadOnlyList<string> Roles, int Partitions, int Groups);
