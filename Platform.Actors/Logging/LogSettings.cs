using Akka.Configuration;
using Platform.Actors.Configuration;

namespace Platform.Actors.Logging;

/// <summary>The <c>platform.log</c> settings of a node's logger, read once when its ActorSystem starts the logger.</summary>
/// <param name="Json">One JSON object per line (<c>format = json</c>, for log shippers) instead of one text line per event.</param>
/// <param name="RepeatInterval">After a cause's first line, its repeats within this long are counted, then told in one line.</param>
internal sealed record LogSettings(bool Json, TimeSpan RepeatInterval)
{
    public static LogSettings Create(Config config)
    {
        var log = SettingsSection.Of(config, "platform.log");
        var format = log.String("format");
        if (format is not ("text" or "json"))
            throw new ArgumentException($"platform.log.format takes text or json, got '{format}'");
        var interval = log.Duration("repeat-interval");
        if (interval <= TimeSpan.Zero) throw new ArgumentException($"platform.log.repeat-interval must be positive, got {interval}");
        return new LogSettings(format == "json", interval);
    }
}
