namespace Platform.Specs.Kafka;

/// <summary>
/// A Kafka node with limits low enough for specs to reach: frames up to 1 MiB (socket.request.max.bytes) and
/// <see cref="MaxConnections"/> connections (max.connections), and at most <see cref="FetchPartitionMaxBytes"/> of one
/// partition in a Fetch response.
/// </summary>
public sealed class LimitedKafkaNodeFixture() : KafkaNodeFixture($"""
    platform.kafka.socket-request-max-bytes = {SocketRequestMaxBytes}
    platform.kafka.max-connections = {MaxConnections}
    platform.kafka.fetch-partition-max-bytes = {FetchPartitionMaxBytes}
    """)
{
    public const int SocketRequestMaxBytes = 1024 * 1024;

    public const int MaxConnections = 40;

    public const int FetchPartitionMaxBytes = 256 * 1024;
}
