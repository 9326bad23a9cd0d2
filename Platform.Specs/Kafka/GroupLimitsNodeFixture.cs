namespace Platform.Specs.Kafka;

/// <summary>
/// A Kafka node whose group bounds specs can reach in seconds: groups of at most <see cref="MaxSize"/> members,
/// coordinators of empty groups passivated after one idle second, no initial rebalance delay. Session timeout
/// bounds stay at their defaults (6 s to 30 min), as a client meets them.
/// </summary>
public sealed class GroupLimitsNodeFixture() : KafkaNodeFixture($"""
    platform.group.max-size = {MaxSize}
    platform.group.passivate-idle-after = 1s
    platform.group.initial-rebalance-delay = 0s
    """)
{
    public const int MaxSize = 2;
}
