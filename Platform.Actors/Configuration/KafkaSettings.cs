using Akka.Configuration;

namespace Platform.Actors.Configuration;

/// <summary>The <c>platform.kafka</c> settings (the node's Kafka listener), read once per node.</summary>
/// <param name="Host">Address to bind; the node's own host when the setting is empty.</param>
public sealed record KafkaSettings(
    string Host,
    int Port,
    string AdvertisedHost,
    int AdvertisedPort,
    string ClusterId,
    int SocketRequestMaxBytes,
    int FetchMaxBytes,
    int MaxConnections,
    int MaxInFlightPerConnection,
    TimeSpan ConnectionsMaxIdle,
    TimeSpan RequestTimeout,
    TimeSpan PlacementRefresh)
{
    public static KafkaSettings Create(Config config)
    {
        var k = config.GetConfig("platform.kafka");
        var host = k.GetString("host");
        if (string.IsNullOrEmpty(host)) host = config.GetString("akka.remote.dot-netty.tcp.hostname");
        var maxBytes = k.GetByteSize("socket-request-max-bytes") ?? throw new ConfigurationException("platform.kafka.socket-request-max-bytes is missing");
        return new KafkaSettings(
            host,
            k.GetInt("port"),
            k.GetString("advertised-host"),
            k.GetInt("advertised-port"),
            k.GetString("cluster-id"),
            (int)Math.Clamp(maxBytes, 1024, int.MaxValue),
            (int)Math.Clamp(k.GetByteSize("fetch-max-bytes") ?? throw new ConfigurationException("platform.kafka.fetch-max-bytes is missing"), 1024, int.MaxValue),
            k.GetInt("max-connections"),
            k.GetInt("max-in-flight-per-connection"),
            k.GetTimeSpan("connections-max-idle"),
            k.GetTimeSpan("request-timeout"),
            k.GetTimeSpan("placement-refresh"));
    }
}
