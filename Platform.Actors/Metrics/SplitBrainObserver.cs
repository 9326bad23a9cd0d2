using Akka.Actor;
using Akka.Event;

namespace Platform.Actors.Metrics;

/// <summary>
/// Counts the split-brain resolver's decisions on this node. Akka.NET publishes no event for them: its resolver
/// only logs "SBR took decision {decision} and is downing [...]" at warning level, so this actor reads those
/// warnings from the event stream. It sees them while <c>akka.loglevel</c> is WARNING or lower (the default),
/// and only on the member that decides (the leader of the reachable side).
/// </summary>
internal sealed class SplitBrainObserver : ReceiveActor
{
    private const string Prefix = "SBR took decision ";

    public SplitBrainObserver(BrokerMetrics metrics)
    {
        Receive<Warning>(warning =>
        {
            if (Decision(warning) is { } decision) metrics.SplitBrainDecision(decision);
        });
    }

    protected override void PreStart() => Context.System.EventStream.Subscribe(Self, typeof(Warning));

    protected override void PostStop() => Context.System.EventStream.Unsubscribe(Self);

    /// <summary>The decision's name (DownUnreachable, DownReachable, DownAll, ...) from the resolver's warning, or null.</summary>
    internal static string? Decision(LogEvent log)
    {
        var text = log.Message?.ToString();
        if (text is null || !text.StartsWith(Prefix, StringComparison.Ordinal)) return null;
        var name = text[Prefix.Length..].Split(' ', 2)[0];
        name = name[(name.LastIndexOf('.') + 1)..];
        var bracket = name.IndexOfAny(['(', '[', ',']);
        return bracket > 0 ? name[..bracket] : name;
    }

    public static Props Props(BrokerMetrics metrics) => Akka.Actor.Props.Create(() => new SplitBrainObserver(metrics));
}
