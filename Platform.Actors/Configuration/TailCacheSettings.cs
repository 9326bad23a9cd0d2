using Akka.Configuration;

namespace Platform.Actors.Configuration;

/// <summary>The <c>platform.tail-cache</c> settings: the node's memory for the newest batches of its partitions.</summary>
/// <param name="MaxBytes">The budget all partitions of the node share.</param>
/// <param name="MaxBytesPerPartition">The most of it one partition may hold.</param>
internal sealed record TailCacheSettings(long MaxBytes, long MaxBytesPerPartition)
{
    public static TailCacheSettings Create(Config config)
    {
        var tail = SettingsSection.Of(config, "platform.tail-cache");
        return new TailCacheSettings(tail.Bytes("max-bytes"), tail.Bytes("max-bytes-per-partition"));
    }
}
