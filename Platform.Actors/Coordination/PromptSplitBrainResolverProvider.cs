using System.Reflection;
using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.SBR;
using Akka.Configuration;
using Platform.Actors.Configuration;

namespace Platform.Actors.Coordination;

/// <summary>
/// Akka.NET's split-brain resolver, unchanged, looking at its decision more often than once a second
/// (<c>akka.cluster.downing-provider-class</c>). Akka's resolver decides on its own timer, fixed at 1 s
/// (<c>SplitBrainResolverBase.TickInterval</c>, not a setting): a decision due <c>stable-after</c> after the last
/// reachability change waited 0-1 s more for the next tick, 1.0-1.9 s after detection in the nemesis's kills.
/// This provider runs Akka's own resolver (same strategy, settings, lease, logs) as the child of a small actor
/// that sends it Akka's tick every <c>akka.cluster.split-brain-resolver.tick-interval</c> as well, so the decision
/// is taken within that interval of its deadline.
/// <para>
/// Why Akka's resolver and not one of our own: its decision (keep-majority with ties by lowest address, the
/// indirectly connected, the membership-change edge cases, down-all-when-unstable, lease-majority) is what the
/// cluster's safety rests on, and its classes are internal, so a copy would drift from it. What the extra ticks
/// change: a tick only checks whether the stable deadline has passed (and whether a lease is due for release);
/// it counts nothing, and ticks arriving while the resolver waits for a lease are ignored by it. The tick is
/// Akka's internal message, found by name: if an Akka upgrade renames it, this provider throws a
/// <see cref="ConfigurationException"/> when Akka.Cluster creates it, which stops the node's cluster (the member
/// never comes Up), instead of silently deciding a second later; a spec checks the name on every build.
/// </para>
/// </summary>
internal sealed class PromptSplitBrainResolverProvider : IDowningProvider
{
    private const string Section = "akka.cluster.split-brain-resolver";
    private const string TickTypeName = "Akka.Cluster.SBR.SplitBrainResolverBase+Tick";
    private readonly SplitBrainResolverProvider _akka;
    private readonly TimeSpan _tickInterval;
    private readonly object _tick;

    /// <summary>Called by Akka.Cluster (by reflection) with the node's system and cluster.</summary>
    public PromptSplitBrainResolverProvider(ActorSystem system, Cluster cluster)
    {
        _akka = new SplitBrainResolverProvider(system, cluster);
        _tickInterval = SettingsSection.Of(system.Settings.Config, Section).Duration("tick-interval");
        if (_tickInterval <= TimeSpan.Zero || _tickInterval > TimeSpan.FromSeconds(1))
            throw new ConfigurationException($"The setting {Section}.tick-interval must be above 0 and at most Akka's own 1 s, got {_tickInterval}");
        _tick = ResolverTick();
    }

    /// <summary>Akka's own: <c>down-removal-margin</c>, else <c>stable-after</c>.</summary>
    public TimeSpan DownRemovalMargin => _akka.DownRemovalMargin;

    public Props DowningActorProps
    {
        get
        {
            var resolver = _akka.DowningActorProps;
            return Props.Create(() => new Ticker(resolver, _tick, _tickInterval));
        }
    }

    /// <summary>The resolver's tick message (a singleton instance of an internal class of Akka.Cluster).</summary>
    internal static object ResolverTick() =>
        typeof(SplitBrainResolverProvider).Assembly.GetType(TickTypeName)?
            .GetField("Instance", BindingFlags.Public | BindingFlags.Static)?.GetValue(null)
        ?? throw new ConfigurationException(
            $"{typeof(PromptSplitBrainResolverProvider).FullName} needs Akka.Cluster's {TickTypeName}.Instance, which this Akka.Cluster " +
            $"({typeof(SplitBrainResolverProvider).Assembly.GetName().Version}) does not have: use Akka's " +
            "Akka.Cluster.SBR.SplitBrainResolverProvider as akka.cluster.downing-provider-class, or update this provider");

    /// <summary>
    /// Parent of Akka's resolver: ticks it, and stops with it (it stops itself when this member is removed). A failure
    /// of the resolver restarts it (the default supervision), as under Akka.Cluster's own daemon; it subscribes again.
    /// </summary>
    private sealed class Ticker : ReceiveActor, IWithTimers
    {
        private sealed class Tick
        {
            public static readonly Tick Instance = new();
        }

        private readonly Props _resolver;
        private readonly object _resolverTick;
        private readonly TimeSpan _interval;
        private IActorRef _child = ActorRefs.Nobody;

        public Ticker(Props resolver, object resolverTick, TimeSpan interval)
        {
            _resolver = resolver;
            _resolverTick = resolverTick;
            _interval = interval;
            Receive<Tick>(_ => _child.Tell(_resolverTick, Self));
            Receive<Terminated>(t => t.ActorRef.Equals(_child), _ => Context.Stop(Self));
        }

        public ITimerScheduler Timers { get; set; } = null!;

        protected override void PreStart()
        {
            // On the dispatcher Akka.Cluster gave this actor, as it gives it to the resolver it creates itself.
            var resolver = _resolver.Dispatcher == Deploy.NoDispatcherGiven ? _resolver.WithDispatcher(Context.Props.Dispatcher) : _resolver;
            _child = Context.Watch(Context.ActorOf(resolver, "resolver"));
            Timers.StartPeriodicTimer("tick", Tick.Instance, _interval);
        }
    }
}
