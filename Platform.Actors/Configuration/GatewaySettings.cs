using Akka.Configuration;

namespace Platform.Actors.Configuration;

/// <summary>The <c>platform.gateway</c> settings of a node's gateway, read once per node.</summary>
/// <param name="ClusterStatusTimeout">How long a cluster status waits for the shard regions' statistics.</param>
internal sealed record GatewaySettings(TimeSpan ClusterStatusTimeout)
{
    public static GatewaySettings Create(Config config)
    {
        var gateway = SettingsSection.Of(config, "platform.gateway");
        return new GatewaySettings(gateway.Duration("cluster-status-timeout"));
    }
}
