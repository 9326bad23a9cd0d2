using Akka.Configuration;

namespace Platform.Actors.Configuration;

/// <summary>The <c>platform.kafka</c> settings (the node's Kafka listener), read once per node.</summary>
/// <param name="Host">Address to bind; the node's own host when the setting is empty.</param>
/// <param name="FetchPartitionMaxBytes">The most record bytes one partition adds to a Fetch response: its share crosses
/// remoting from the partition's node in one message, so it must stay below <c>akka.remote.dot-netty.tcp.maximum-frame-size</c>.</param>
/// <param name="MaxHandshakingConnections">Connections that have not yet sent one complete request, at most.</param>
/// <param name="HandshakeTimeout">How long a new connection has to send its first complete request.</param>
/// <param name="PlacementRefreshMinTimeout">The least a placement refresh waits for the regions' statistics.</param>
internal sealed record KafkaSettings(
    string Host,
    int Port,
    string AdvertisedHost,
    int AdvertisedPort,
    int SocketRequestMaxBytes,
    int FetchMaxBytes,
    int FetchPartitionMaxBytes,
    int MaxConnections,
    int MaxHandshakingConnections,
    TimeSpan HandshakeTimeout,
    int MaxInFlightPerConnection,
    TimeSpan ConnectionsMaxIdle,
    TimeSpan RequestTimeout,
    TimeSpan PlacementRefresh,
    TimeSpan PlacementRefreshMinTimeout,
    TimeSpan SingletonRequestTimeout)
{
    public static KafkaSettings Create(Config config)
    {
        var k = SettingsSection.Of(config, "platform.kafka");
        var host = k.String("host");
        if (string.IsNullOrEmpty(host)) host = config.GetString("akka.remote.dot-netty.tcp.hostname");
        return new KafkaSettings(
            host,
            k.Int("port"),
            k.String("advertised-host"),
            k.Int("advertised-port"),
            (int)Math.Clamp(k.Bytes("socket-request-max-bytes"), 1024, int.MaxValue),
            (int)Math.Clamp(k.Bytes("fetch-max-bytes"), 1024, int.MaxValue),
            (int)Math.Clamp(k.Bytes("fetch-partition-max-bytes"), 1024, int.MaxValue),
            k.Int("max-connections"),
            k.Int("max-handshaking-connections"),
            k.Duration("handshake-timeout"),
            k.Int("max-in-flight-per-connection"),
            k.Duration("connections-max-idle"),
            k.Duration("request-timeout"),
            k.Duration("placement-refresh"),
            k.Duration("placement-refresh-min-timeout"),
            k.Duration("singleton-request-timeout"));
    }
}
