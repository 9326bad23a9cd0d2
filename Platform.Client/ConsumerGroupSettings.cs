using Akka.Configuration;

namespace Platform.Client;

/// <summary>
/// How a consumer takes part in a group (Kafka's group.id, group.instance.id, session.timeout.ms,
/// max.poll.interval.ms, heartbeat.interval.ms, partition.assignment.strategy, enable.auto.commit and
/// auto.commit.interval.ms). Defaults from <c>platform.client.consumer.group</c>.
/// </summary>
public sealed record ConsumerGroupSettings(
    string GroupId,
    string ClientId,
    string? GroupInstanceId,
    TimeSpan SessionTimeout,
    TimeSpan RebalanceTimeout,
    TimeSpan HeartbeatInterval,
    string Assignor,
    bool AutoCommit,
    TimeSpan AutoCommitInterval,
    TimeSpan MetadataRefresh)
{
    public static ConsumerGroupSettings Create(string groupId, Config? config = null)
    {
        var c = (config ?? Config.Empty).WithFallback(ClientSettings.DefaultConfig).GetConfig("platform.client.consumer.group");
        return new ConsumerGroupSettings(
            groupId,
            "platform-consumer",
            null,
            c.GetTimeSpan("session-timeout"),
            c.GetTimeSpan("rebalance-timeout"),
            c.GetTimeSpan("heartbeat-interval"),
            c.GetString("assignor"),
            c.GetBoolean("auto-commit"),
            c.GetTimeSpan("auto-commit-interval"),
            c.GetTimeSpan("metadata-refresh"));
    }

    public ConsumerGroupSettings WithClientId(string clientId) => this with { ClientId = clientId };
    public ConsumerGroupSettings WithGroupInstanceId(string? instanceId) => this with { GroupInstanceId = instanceId };
    public ConsumerGroupSettings WithAssignor(string assignor) => this with { Assignor = assignor };
    public ConsumerGroupSettings WithAutoCommit(bool enabled) => this with { AutoCommit = enabled };
    public ConsumerGroupSettings WithSessionTimeout(TimeSpan timeout) => this with { SessionTimeout = timeout };
    public ConsumerGroupSettings WithHeartbeatInterval(TimeSpan interval) => this with { HeartbeatInterval = interval };
    public ConsumerGroupSettings WithRebalanceTimeout(TimeSpan timeout) => this with { RebalanceTimeout = timeout };
}
