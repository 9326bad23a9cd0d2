using Platform.Protocol.Records;
namespace Platform.Actors.Log;

/// <summary>
/// The newest batches of one partition, kept in memory so that consumers near the log end never touch
/// the journal. Bounded by its own limit and by the node's <see cref="TailCacheBudget"/>: when either is
/// reached, the oldest batches go first.
/// </summary>
internal sealed class TailCache(TailCacheBudget budget, long maxBytes)
{
    private readonly record struct Entry(long BaseOffset, long NextOffset, byte[] Batch);

    // A list with a moving head: appends at the end, evictions advance the head, and the dead prefix is
    // compacted in bulk. Offsets are increasing, so a read finds its batch by binary search.
    private readonly List<Entry> _entries = [];
    private int _head;

    public long Bytes { get; private set; }

    public int Count => _entries.Count - _head;

    /// <summary>The first offset served from memory, or null when empty.</summary>
    public long? FirstOffset => Count > 0 ? _entries[_head].BaseOffset : null;

    public void Add(long baseOffset, long nextOffset, byte[] batch)
    {
        if (batch.Length > maxBytes) return;
        while (Bytes + batch.Length > maxBytes || !budget.TryReserve(batch.Length))
        {
            if (Count == 0) return; // the node's budget is held by other partitions
            EvictOldest();
        }
        _entries.Add(new Entry(baseOffset, nextOffset, batch));
        Bytes += batch.Length;
    }

    /// <summary>Forgets every batch that ends at or below <paramref name="offset"/> (retention).</summary>
    public void TruncateBefore(long offset)
    {
        while (Count > 0 && _entries[_head].NextOffset <= offset) EvictOldest();
    }

    /// <summary>
    /// Batches from the one holding <paramref name="offset"/> on, up to <paramref name="maxBytes"/> (at
    /// least one). False when the offset is older than what the cache holds.
    /// </summary>
    public bool TryRead(long offset, int maxBytes, List<byte[]> into)
    {
        if (Count == 0 || offset < _entries[_head].BaseOffset) return false;
        int lo = _head, hi = _entries.Count - 1;
        while (lo < hi)
        {
            var mid = (lo + hi + 1) / 2;
            if (_entries[mid].BaseOffset <= offset) lo = mid;
            else hi = mid - 1;
        }
        long bytes = 0;
        for (var i = lo; i < _entries.Count; i++)
        {
            var entry = _entries[i];
            if (entry.NextOffset <= offset) continue;
            if (into.Count > 0 && bytes + entry.Batch.Length > maxBytes) break;
            into.Add(entry.Batch);
            bytes += entry.Batch.Length;
        }
        return true;
    }

    public void Clear()
    {
        while (Count > 0) EvictOldest();
    }

    private void EvictOldest()
    {
        var length = _entries[_head].Batch.Length;
        _entries[_head] = default;
        _head++;
        Bytes -= length;
        budget.Release(length);
        if (_head > 1024 && _head * 2 > _entries.Count)
        {
            _entries.RemoveRange(0, _head);
            _head = 0;
        }
    }
}
