using Akka.Configuration;

namespace Platform.Actors.Configuration;

/// <summary>The <c>platform.http</c> settings (the node's operator endpoint: health and metrics), read once per node.</summary>
/// <param name="Host">Address to bind; the Kafka listener's host (the node's --host) when the setting is empty.</param>
/// <param name="AskTimeout">The longest a request waits for one actor to answer.</param>
/// <param name="StorageProbeTimeout">The bound on the readiness check's journal write round trip.</param>
/// <param name="ListenerProbeTimeout">The bound on the readiness check's TCP connect to the Kafka listener.</param>
/// <param name="MaxPartitionSeries">Above this many partitions, per-partition metric series are left out.</param>
/// <param name="Console">The web console's history and browsing bounds (<c>platform.http.console</c>).</param>
internal sealed record HttpSettings(
    string Host,
    int Port,
    TimeSpan AskTimeout,
    TimeSpan StorageProbeTimeout,
    TimeSpan ListenerProbeTimeout,
    int MaxPartitionSeries,
    ConsoleSettings Console)
{
    public static HttpSettings Create(Config config)
    {
        var h = SettingsSection.Of(config, "platform.http");
        var host = h.String("host");
        // The same address as the Kafka listener: whoever can reach the node's clients' port can reach this one.
        if (string.IsNullOrEmpty(host)) host = KafkaSettings.Create(config).Host;
        return new HttpSettings(
            host,
            h.Int("port"),
            h.Duration("ask-timeout"),
            h.Duration("storage-probe-timeout"),
            h.Duration("listener-probe-timeout"),
            h.Int("metrics.max-partition-series"),
            ConsoleSettings.Create(config));
    }
}
