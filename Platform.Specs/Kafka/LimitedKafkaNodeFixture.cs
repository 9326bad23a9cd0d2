namespace Platform.Specs.Kafka;

/// <summary>
/// A Kafka node with limits low enough for specs to reach: frames up to 1 MiB (socket.request.max.bytes) and
/// <see cref="MaxConnections"/> connections (max.connections).
/// </summary>
public sealed class LimitedKafkaNodeFixture() : KafkaNodeFixture($"""
    platform.kafka.socket-request-max-bytes = {SocketRequestMaxBytes}
    platform.kafka.max-connections = {MaxConnections}
    """)
{
    public const int SocketRequestMaxBytes = 1024 * 1024;

    public const int MaxConnections = 40;
}
