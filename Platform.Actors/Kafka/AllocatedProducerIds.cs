using Akka.Actor;
using Platform.Actors.Producers;

namespace Platform.Actors.Kafka;

/// <summary>
/// A node's view of which producer ids the cluster's allocator has handed out: ids only grow, so one number
/// (every id below it was handed out) answers almost every batch without a message. An id at or above it
/// asks the allocator once for its current bound; concurrent askers share that request. Why a range and not
/// a signed id: the allocator already hands out ids in order from persisted blocks, so the bound is exact,
/// costs nothing to keep and needs no key shared between nodes.
/// </summary>
internal sealed class AllocatedProducerIds(IActorRef allocator, TimeSpan timeout)
{
    private readonly object _gate = new();
    private long _handedOutUpTo;
    private Task<long>? _refresh;

    public async ValueTask<bool> IsAllocatedAsync(long producerId)
    {
        if (producerId < Volatile.Read(ref _handedOutUpTo)) return true;
        var (refresh, joined) = Refresh();
        if (producerId < await refresh) return true;
        // A refresh already under way may have left before this id was handed out: ask once more, afresh.
        return joined && producerId < await Refresh().Task;
    }

    /// <summary>
    /// The refresh under way, or a new one. A finished refresh is never shared: before, the refresh cleared itself
    /// in a finally block, and when the allocator answered before the Ask's await (it often does: it is a local
    /// actor on another thread) that ran inside FetchAsync, before the caller stored the task, which then stayed
    /// as a completed refresh forever. Every id handed out after it got UNKNOWN_PRODUCER_ID for good, and
    /// producers re-initialised and retried until their delivery timeout (the hang `bench --rate` met).
    /// </summary>
    private (Task<long> Task, bool Joined) Refresh()
    {
        lock (_gate)
        {
            if (_refresh is { IsCompleted: false } running) return (running, true);
            return (_refresh = FetchAsync(), false);
        }
    }

    private async Task<long> FetchAsync()
    {
        var bound = await allocator.Ask<ProducerIdBound>(GetProducerIdBound.Instance, timeout);
        long seen;
        while ((seen = Volatile.Read(ref _handedOutUpTo)) < bound.HandedOutUpTo)
            Interlocked.CompareExchange(ref _handedOutUpTo, bound.HandedOutUpTo, seen);
        return Volatile.Read(ref _handedOutUpTo);
    }
}
