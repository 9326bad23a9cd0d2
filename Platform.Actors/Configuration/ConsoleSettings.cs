using Akka.Configuration;

namespace Platform.Actors.Configuration;

/// <summary>The <c>platform.http.console</c> settings: how the web console samples its history and bounds a browse.</summary>
/// <param name="SampleInterval">How often topics' log end offsets and groups' lag are sampled.</param>
/// <param name="HistorySamples">Samples kept per series: with the interval, how far back the charts reach.</param>
/// <param name="MaxSampledSeries">Topics, and separately groups, sampled at most: the history's memory bound.</param>
/// <param name="MaxRecords">Records shown at most per browse page.</param>
/// <param name="BrowseTimeout">How long a browse page waits for records before it shows what arrived.</param>
/// <param name="RequestTimeout">The console's admin client's request timeout: a page answers within it.</param>
internal sealed record ConsoleSettings(TimeSpan SampleInterval, int HistorySamples, int MaxSampledSeries, int MaxRecords, TimeSpan BrowseTimeout,
    TimeSpan RequestTimeout)
{
    public static ConsoleSettings Create(Config config)
    {
        var c = SettingsSection.Of(config, "platform.http.console");
        return new ConsoleSettings(c.Duration("sample-interval"), c.Int("history-samples"), c.Int("max-sampled-series"), c.Int("max-records"),
            c.Duration("browse-timeout"), c.Duration("request-timeout"));
    }
}
