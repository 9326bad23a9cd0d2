using Akka.Configuration;
using Platform.Actors.Topics;

namespace Platform.Actors.Configuration;

/// <summary>The <c>platform.node</c> and <c>platform.topic-defaults</c> settings, read once per node.</summary>
public sealed record NodeSettings(bool AutoCreateTopics, int AutoCreatePartitions, TopicConfig TopicDefaults, int MaxPartitionsPerTopic)
{
    public static NodeSettings Create(Config config)
    {
        var node = config.GetConfig("platform.node");
        return new NodeSettings(
            node.GetBoolean("auto-create-topics"),
            node.GetInt("auto-create-partitions", 1),
            TopicConfig.FromDefaults(config.GetConfig("platform.topic-defaults")),
            node.GetInt("max-partitions-per-topic"));
    }
}
