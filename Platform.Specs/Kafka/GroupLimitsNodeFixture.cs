namespace Platform.Specs.Kafka;

/// <summary>
/// A Kafka node whose group bounds specs can reach in seconds: groups of at most <see cref="MaxSize"/> members,
/// coordinators of empty groups passivated after one idle second, no initial rebalance delay. Session timeout
/// bounds stay at their defaults (6 s to 30 min), as a client meets them. Connections have <see cref="HandshakeTimeoutSeconds"/>
/// for their first request, at most <see cref="MaxHandshaking"/> at a time, so the soak sees half-open ones closed.
/// </summary>
public sealed class GroupLimitsNodeFixture() : KafkaNodeFixture($"""
    platform.group.max-size = {MaxSize}
    platform.group.passivate-idle-after = 1s
    platform.group.initial-rebalance-delay = 0s
    platform.kafka.handshake-timeout = {HandshakeTimeoutSeconds}s
    platform.kafka.max-handshaking-connections = {MaxHandshaking}
    """)
{
    public const int MaxSize = 2;

    public const int HandshakeTimeoutSeconds = 2;

    public const int MaxHandshaking = 100;
}
