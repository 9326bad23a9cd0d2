namespace Platform.Client;

/// <summary>
/// The cluster as Kafka's protocol can tell it (DescribeCluster, Metadata, ListGroups): the brokers, the
/// controller (the cluster leader) and what each leads. Only members serving Kafka appear, all as "Up" and
/// reachable: a member's own view (joining, leaving, unreachable) is not part of Kafka's protocol.
/// </summary>
public sealed record ClusterStatus(string Leader, IReadOnlyList<ClusterMember> Members);
