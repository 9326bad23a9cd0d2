using Platform.Protocol.Records;
using Akka.Actor;
using Platform.Actors.Configuration;

namespace Platform.Actors.Log;

/// <summary>
/// The node-wide memory budget for partitions' in-memory tails. One per ActorSystem (an Akka extension,
/// not static state); partitions reserve bytes before caching a batch and release them on eviction.
/// Reservation is a lock-free compare-and-swap, so it never blocks an actor.
/// </summary>
internal sealed class TailCacheBudget : IExtension
{
    private long _used;

    public TailCacheBudget(long maxBytes) => MaxBytes = maxBytes;

    public long MaxBytes { get; }

    public long UsedBytes => Interlocked.Read(ref _used);

    public bool TryReserve(long bytes)
    {
        while (true)
        {
            var used = Interlocked.Read(ref _used);
            if (used + bytes > MaxBytes) return false;
            if (Interlocked.CompareExchange(ref _used, used + bytes, used) == used) return true;
        }
    }

    public void Release(long bytes) => Interlocked.Add(ref _used, -bytes);

    public static TailCacheBudget For(ActorSystem system) => system.WithExtension<TailCacheBudget, TailCacheBudgetProvider>();
}

internal sealed class TailCacheBudgetProvider : ExtensionIdProvider<TailCacheBudget>
{
    public override TailCacheBudget CreateExtension(ExtendedActorSystem system) =>
        new(TailCacheSettings.Create(system.Settings.Config).MaxBytes);
}
