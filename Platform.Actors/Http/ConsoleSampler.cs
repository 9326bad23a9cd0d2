using Akka.Event;
using Platform.Actors.Configuration;
using Platform.Client;

namespace Platform.Actors.Http;

/// <summary>
/// Samples, every <see cref="ConsoleSettings.SampleInterval"/>, each topic's log end offsets and each group's lag
/// through the console's admin client into <see cref="ConsoleHistory"/>: the sparklines and lag charts. A loop
/// on the thread pool, not an actor: it only awaits network requests. It begins when the console is first opened. A failed sample is skipped (logged at
/// debug level: before the listener opens every sample fails, which is no news).
/// </summary>
internal sealed class ConsoleSampler(ConsoleClient client, ConsoleHistory history, ConsoleSettings settings, ILoggingAdapter log) : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private Task _loop = Task.CompletedTask;

    private int _started;

    /// <summary>
    /// Starts sampling, once: called by every console page, so a node whose console nobody opens keeps no
    /// connection to its own listener (an idle node has no Kafka connections, as its operators and specs expect).
    /// </summary>
    public void Start()
    {
        if (Interlocked.Exchange(ref _started, 1) == 0) _loop = Task.Run(() => RunAsync(_stop.Token));
    }

    private async Task RunAsync(CancellationToken token)
    {
        using var timer = new PeriodicTimer(settings.SampleInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(token))
            {
                try
                {
                    await SampleAsync();
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    log.Debug("The console's sample failed: {Reason}", e.Message);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // stopped
        }
    }

    public async Task SampleAsync()
    {
        var admin = await client.AdminAsync();
        var topics = (await admin.ListTopicsAsync()).Take(history.MaxSeries).ToList();
        var groups = (await admin.ListGroupsAsync()).Take(history.MaxSeries).ToList();
        var ends = await Task.WhenAll(topics.Select(async t => (t.Name, End: await Quietly(async () =>
            (await admin.DescribeTopicAsync(t.Name)).Partitions.Sum(p => Math.Max(0, p.HighWatermark))))));
        var lags = await Task.WhenAll(groups.Select(async g => (Group: g, Lag: await Quietly(async () =>
            (await admin.GroupLagAsync(g)).Sum(l => l.Lag ?? 0)))));
        history.Record(DateTimeOffset.UtcNow,
            ends.Where(e => e.End is not null).ToDictionary(e => e.Name, e => e.End!.Value, StringComparer.Ordinal),
            lags.Where(l => l.Lag is not null).ToDictionary(l => l.Group, l => l.Lag!.Value, StringComparer.Ordinal));
    }

    /// <summary>A topic deleted or a group gone between the listing and the question is left out of the sample.</summary>
    private static async Task<long?> Quietly(Func<Task<long>> read)
    {
        try
        {
            return await read();
        }
        catch (PlatformException)
        {
            return null;
        }
    }

    /// <summary>
    /// Stops the loop without waiting for a sample in flight: that one ends when the console's connection closes,
    /// and the node's shutdown need not wait for it (the token source is left to the collector for the same reason).
    /// </summary>
    public async ValueTask DisposeAsync() => await _stop.CancelAsync();

    /// <summary>The loop, for a spec to observe its end.</summary>
    internal Task Loop => _loop;
}
