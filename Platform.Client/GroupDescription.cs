namespace Platform.Client;

/// <summary>
/// A consumer group as DescribeGroups tells it (Confluent.Kafka's ConsumerGroupDescription): its state
/// (Kafka's names: Empty, PreparingRebalance, CompletingRebalance, Stable, Dead), protocol and members.
/// Kafka's protocol does not report the generation.
/// </summary>
public sealed record GroupDescription(string GroupId, string State, string ProtocolType, string ProtocolName,
    IReadOnlyList<MemberDescription> Members);
