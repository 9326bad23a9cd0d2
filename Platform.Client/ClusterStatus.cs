namespace Platform.Client;

/// <summary>
/// The cluster as a member sees it (Platform's DescribeClusterMembers): every member, and the cluster's
/// leader as the <see cref="ClusterMember.Address"/> of its member. Against a broker that does not serve
/// that extension (a Kafka broker) only what Kafka's protocol tells: the brokers, all "Up" and reachable,
/// and the controller as leader.
/// </summary>
public sealed record ClusterStatus(string Leader, IReadOnlyList<ClusterMember> Members);
