using Akka.Configuration;

namespace Platform.Actors.Configuration;

/// <summary>The <c>platform.storage.sqlite</c> settings of a node on the embedded store, read once per node.</summary>
/// <param name="BusyTimeout">How long a connection waits inside SQLite for the write lock (PRAGMA busy_timeout).</param>
internal sealed record SqliteSettings(TimeSpan BusyTimeout)
{
    public static SqliteSettings Create(Config config)
    {
        var settings = new SqliteSettings(SettingsSection.Of(config, "platform.storage.sqlite").Duration("busy-timeout"));
        if (settings.BusyTimeout < TimeSpan.Zero || settings.BusyTimeout.TotalMilliseconds > int.MaxValue)
            throw new ArgumentException($"platform.storage.sqlite.busy-timeout must be between 0 and {int.MaxValue} ms, got {settings.BusyTimeout}");
        return settings;
    }
}
