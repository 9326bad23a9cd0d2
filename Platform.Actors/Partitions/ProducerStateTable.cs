namespace Platform.Actors.Partitions;

/// <summary>One batch a producer appended: enough to recognise its retry and answer with the original offset.</summary>
internal readonly record struct ProducerBatch(int FirstSequence, int LastSequence, long BaseOffset);

/// <summary>What a partition remembers of one idempotent producer (Kafka's ProducerStateEntry).</summary>
internal sealed record ProducerState(long ProducerId, short Epoch, long LastTimestamp, IReadOnlyList<ProducerBatch> Batches);

/// <summary>How a batch's producer id, epoch and sequence compare with what the partition has appended.</summary>
internal enum SequenceVerdict
{
    /// <summary>The next batch of its producer (or not idempotent): append it.</summary>
    Append,
    /// <summary>A retry of a batch already appended: answer with its original offset, append nothing.</summary>
    Duplicate,
    /// <summary>A gap: an earlier batch of this producer is missing, so appending would reorder (or a new epoch does not start at 0).</summary>
    OutOfOrder,
    /// <summary>An older epoch of the producer id than one already seen (a zombie).</summary>
    Fenced,
    /// <summary>
    /// A producer this partition does not know (new, expired or evicted) that does not start at sequence 0: an
    /// earlier batch of it may still be on its way (refused at the edge, or in a retry), so appending this one
    /// would open a gap that batch could never fill. Kafka answers UNKNOWN_PRODUCER_ID; the client then starts
    /// the partition afresh under a new producer id (KIP-360).
    /// </summary>
    Unknown,
}

/// <summary>
/// Kafka's idempotent-producer bookkeeping for one partition: per producer id, its epoch and its last
/// <see cref="BatchesPerProducer"/> batches. A client retries unacknowledged batches after a node dies;
/// this table turns the retry of a batch that did reach the journal into the original acknowledgement,
/// so failover neither loses nor duplicates records. Rebuilt on recovery from the batches' own headers
/// and carried in snapshots. Pure and single-threaded: the partition actor owns it.
/// </summary>
internal sealed class ProducerStateTable
{
    /// <summary>Kafka keeps five, matching max.in.flight.requests.per.connection ≤ 5 for idempotence.</summary>
    public const int BatchesPerProducer = 5;

    private sealed class Entry(short epoch)
    {
        public short Epoch { get; set; } = epoch;
        public long LastTimestamp { get; set; }
        public Queue<ProducerBatch> Batches { get; } = new();
    }

    private readonly Dictionary<long, Entry> _producers = new();
    private readonly int _maxProducers;

    /// <param name="maxProducers">
    /// At most this many producers are remembered; a new one beyond it makes the one silent longest go first,
    /// as expiry would have taken it next. Without the cap, clients choosing ids could grow the table (and
    /// every snapshot) without end.
    /// </param>
    public ProducerStateTable(int maxProducers = int.MaxValue) => _maxProducers = Math.Max(1, maxProducers);

    public int Count => _producers.Count;

    /// <summary>Kafka's sequence arithmetic: sequences wrap from int.MaxValue to 0.</summary>
    public static int LastSequence(int firstSequence, int recordCount) =>
        (int)(((long)firstSequence + recordCount - 1) % ((long)int.MaxValue + 1));

    private static int Next(int sequence) => sequence == int.MaxValue ? 0 : sequence + 1;

    /// <summary>Judges a batch; for a duplicate, <paramref name="originalBaseOffset"/> is where it was stored.</summary>
    public SequenceVerdict Check(long producerId, short epoch, int firstSequence, int recordCount, out long originalBaseOffset)
    {
        originalBaseOffset = -1;
        if (producerId < 0 || firstSequence < 0) return SequenceVerdict.Append;
        if (!_producers.TryGetValue(producerId, out var entry)) return firstSequence == 0 ? SequenceVerdict.Append : SequenceVerdict.Unknown;
        if (epoch < entry.Epoch) return SequenceVerdict.Fenced;
        // A new epoch starts its sequences afresh, at 0 (Kafka refuses any other start as out of order).
        if (epoch > entry.Epoch) return firstSequence == 0 ? SequenceVerdict.Append : SequenceVerdict.OutOfOrder;
        var last = LastSequence(firstSequence, recordCount);
        foreach (var batch in entry.Batches)
        {
            if (batch.FirstSequence == firstSequence && batch.LastSequence == last)
            {
                originalBaseOffset = batch.BaseOffset;
                return SequenceVerdict.Duplicate;
            }
        }
        if (entry.Batches.Count == 0) return SequenceVerdict.Append;
        var newest = entry.Batches.Last();
        return firstSequence == Next(newest.LastSequence) ? SequenceVerdict.Append : SequenceVerdict.OutOfOrder;
    }

    /// <summary>Records an appended batch (on the live path before its write, and again on recovery).</summary>
    public void Record(long producerId, short epoch, int firstSequence, int recordCount, long baseOffset, long timestamp)
    {
        if (producerId < 0 || firstSequence < 0) return;
        if (!_producers.TryGetValue(producerId, out var entry))
        {
            if (_producers.Count >= _maxProducers) EvictOldest();
            _producers[producerId] = entry = new Entry(epoch);
        }
        else if (epoch > entry.Epoch)
        {
            _producers[producerId] = entry = new Entry(epoch);
        }
        // Recording the same batch twice (a snapshot and a replay overlapping) must not shrink the window.
        if (!entry.Batches.Any(b => b.FirstSequence == firstSequence && b.BaseOffset == baseOffset))
            entry.Batches.Enqueue(new ProducerBatch(firstSequence, LastSequence(firstSequence, recordCount), baseOffset));
        while (entry.Batches.Count > BatchesPerProducer) entry.Batches.Dequeue();
        entry.LastTimestamp = Math.Max(entry.LastTimestamp, timestamp);
    }

    /// <summary>One scan, paid only by a new producer on a full table.</summary>
    private void EvictOldest()
    {
        var oldest = _producers.MinBy(p => p.Value.LastTimestamp).Key;
        _producers.Remove(oldest);
    }

    /// <summary>Forgets producers silent for longer than <paramref name="maxIdleMs"/> (Kafka's producer.id.expiration.ms).</summary>
    public int Expire(long nowMs, long maxIdleMs)
    {
        var expired = _producers.Where(p => nowMs - p.Value.LastTimestamp > maxIdleMs).Select(p => p.Key).ToList();
        foreach (var id in expired) _producers.Remove(id);
        return expired.Count;
    }

    public IReadOnlyList<ProducerState> Snapshot() =>
        _producers.Select(p => new ProducerState(p.Key, p.Value.Epoch, p.Value.LastTimestamp, p.Value.Batches.ToList())).ToList();

    public void Restore(IEnumerable<ProducerState> states)
    {
        _producers.Clear();
        // A snapshot taken under a larger cap keeps its most recent producers.
        foreach (var state in states.OrderByDescending(s => s.LastTimestamp).Take(_maxProducers))
        {
            var entry = new Entry(state.Epoch) { LastTimestamp = state.LastTimestamp };
            foreach (var batch in state.Batches) entry.Batches.Enqueue(batch);
            _producers[state.ProducerId] = entry;
        }
    }
}
