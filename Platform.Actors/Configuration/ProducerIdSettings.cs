using Akka.Configuration;

namespace Platform.Actors.Configuration;

/// <summary>The <c>platform.producer-ids</c> settings of the cluster's producer id allocator, read once per node.</summary>
/// <param name="RestartMinBackoff">The first wait before a stopped allocator is started again.</param>
/// <param name="RestartMaxBackoff">The longest wait, however often it stopped.</param>
/// <param name="RestartRandomFactor">The share by which each wait is randomised.</param>
internal sealed record ProducerIdSettings(int BlockSize, int SnapshotEvery, TimeSpan RestartMinBackoff, TimeSpan RestartMaxBackoff, double RestartRandomFactor)
{
    public static ProducerIdSettings Create(Config config)
    {
        var p = SettingsSection.Of(config, "platform.producer-ids");
        var backoff = SettingsSection.Of(config, "platform.producer-ids.restart-backoff");
        var settings = new ProducerIdSettings(p.Int("block-size"), p.Int("snapshot-every"),
            backoff.Duration("min"), backoff.Duration("max"), backoff.Double("random-factor"));
        if (settings.BlockSize < 1 || settings.SnapshotEvery < 1)
            throw new ArgumentException($"platform.producer-ids: block-size and snapshot-every must be positive, got {settings}");
        return settings;
    }
}
