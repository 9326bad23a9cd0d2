using Akka.Configuration;

namespace Platform.Actors.Configuration;

/// <summary>The <c>platform.gateway</c> settings of a node's gateway, read once per node.</summary>
/// <param name="MembershipLease">How long a client's membership subscription lasts without being renewed.</param>
/// <param name="ClusterStatusTimeout">How long a cluster status waits for the shard regions' statistics.</param>
public sealed record GatewaySettings(TimeSpan MembershipLease, TimeSpan ClusterStatusTimeout)
{
    public static GatewaySettings Create(Config config)
    {
        var gateway = SettingsSection.Of(config, "platform.gateway");
        return new GatewaySettings(gateway.Duration("membership-lease"), gateway.Duration("cluster-status-timeout"));
    }
}
