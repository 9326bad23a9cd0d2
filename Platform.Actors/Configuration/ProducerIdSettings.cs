using Akka.Configuration;

namespace Platform.Actors.Configuration;

/// <summary>The <c>platform.producer-ids</c> settings of the cluster's producer id allocator, read once per node.</summary>
public sealed record ProducerIdSettings(int BlockSize, int SnapshotEvery)
{
    public static ProducerIdSettings Create(Config config)
    {
        var p = config.GetConfig("platform.producer-ids");
        var settings = new ProducerIdSettings(p.GetInt("block-size"), p.GetInt("snapshot-every"));
        if (settings.BlockSize < 1 || settings.SnapshotEvery < 1)
            throw new ArgumentException($"platform.producer-ids: block-size and snapshot-every must be positive, got {settings}");
        return settings;
    }
}
