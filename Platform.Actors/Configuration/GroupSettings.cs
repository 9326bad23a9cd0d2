using Akka.Configuration;

namespace Platform.Actors.Configuration;

/// <summary>The <c>platform.group</c> settings (Kafka's group.* broker settings), read once per node.</summary>
public sealed record GroupSettings(
    int NumberOfShards,
    TimeSpan InitialRebalanceDelay,
    int MinSessionTimeoutMs,
    int MaxSessionTimeoutMs,
    int MaxSize,
    TimeSpan OffsetsRetention,
    int SnapshotEvery,
    TimeSpan Tick)
{
    public static GroupSettings Create(Config config)
    {
        var g = config.GetConfig("platform.group");
        return new GroupSettings(
            g.GetInt("number-of-shards"),
            g.GetTimeSpan("initial-rebalance-delay"),
            (int)g.GetTimeSpan("min-session-timeout").TotalMilliseconds,
            (int)g.GetTimeSpan("max-session-timeout").TotalMilliseconds,
            g.GetInt("max-size"),
            g.GetTimeSpan("offsets-retention"),
            g.GetInt("snapshot-every"),
            g.GetTimeSpan("tick"));
    }
}
