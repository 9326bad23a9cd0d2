using System.Text.RegularExpressions;

namespace Platform.Client.Streams;

/// <summary>The ways a source can read, named as in the Akka.Streams Kafka connector.</summary>
public static class Subscriptions
{
    /// <summary>Joins the consumer settings' group for these topics.</summary>
    public static IAutoSubscription Topics(params string[] topics) =>
        topics.Length > 0 ? new TopicSubscription(topics.ToList()) : throw new ArgumentException("At least one topic is needed", nameof(topics));

    /// <summary>Joins the group for every topic matching the pattern, now and as topics come and go.</summary>
    public static IAutoSubscription TopicPattern(string pattern) => new TopicPatternSubscription(new Regex(pattern));

    public static IAutoSubscription TopicPattern(Regex pattern) => new TopicPatternSubscription(pattern);

    /// <summary>These partitions, from the group's committed offset when the settings have a group id and
    /// one is committed, otherwise from auto-offset-reset.</summary>
    public static IManualSubscription Assignment(params TopicPartition[] partitions) =>
        partitions.Length > 0
            ? new AssignmentSubscription(partitions.Select(p => (p, (long?)null)).ToList())
            : throw new ArgumentException("At least one partition is needed", nameof(partitions));

    /// <summary>These partitions from these offsets (or <see cref="TopicPartitionOffset.Beginning"/> / <see cref="TopicPartitionOffset.End"/>).</summary>
    public static IManualSubscription AssignmentWithOffset(params TopicPartitionOffset[] positions) =>
        positions.Length > 0
            ? new AssignmentSubscription(positions.Select(p => (p.TopicPartition, (long?)p.Offset)).ToList())
            : throw new ArgumentException("At least one partition is needed", nameof(positions));
}
