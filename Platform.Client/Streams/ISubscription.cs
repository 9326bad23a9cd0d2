using System.Text.RegularExpressions;

namespace Platform.Client.Streams;

/// <summary>What a source reads: topics the group assigns (<see cref="IAutoSubscription"/>) or partitions
/// chosen by the application (<see cref="IManualSubscription"/>). Made by <see cref="Subscriptions"/>.</summary>
public interface ISubscription;

/// <summary>A group subscription: the group's coordinator assigns partitions and moves them between members.</summary>
public interface IAutoSubscription : ISubscription;

/// <summary>Partitions chosen by the application, read without a group (commits still go to the group id, if any).</summary>
public interface IManualSubscription : ISubscription;

internal sealed record TopicSubscription(IReadOnlyList<string> Topics) : IAutoSubscription
{
    public override string ToString() => $"Topics({string.Join(", ", Topics)})";
}

internal sealed record TopicPatternSubscription(Regex Pattern) : IAutoSubscription
{
    public override string ToString() => $"TopicPattern({Pattern})";
}

/// <summary>Offsets may be <see cref="TopicPartitionOffset.Beginning"/>/<see cref="TopicPartitionOffset.End"/>;
/// a null offset starts at the committed offset, or at auto-offset-reset without one.</summary>
internal sealed record AssignmentSubscription(IReadOnlyList<(TopicPartition Partition, long? Offset)> Partitions) : IManualSubscription
{
    public override string ToString() => $"Assignment({string.Join(", ", Partitions.Select(p => p.Offset is { } o ? $"{p.Partition}@{o}" : p.Partition.ToString()))})";
}
