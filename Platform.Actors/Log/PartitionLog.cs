using Platform.Protocol.Records;
namespace Platform.Actors.Log;

/// <summary>
/// The bookkeeping of one partition's log, without an actor: log start and end offsets, the segment
/// index, retention decisions and the journal range a read needs. The partition actor feeds it persisted
/// batches (live and during recovery) and snapshots it.
/// </summary>
internal sealed class PartitionLog(long indexIntervalBytes)
{
    private readonly List<Segment> _segments = [];

    public long LogStartOffset { get; private set; }

    /// <summary>The next offset to assign. With one copy of the log this is also the high watermark.</summary>
    public long LogEndOffset { get; private set; }

    public long SizeBytes { get; private set; }

    public IReadOnlyList<Segment> Segments => _segments;

    /// <summary>Records a persisted batch. Batches arrive in sequence-number order.</summary>
    public void Append(long baseOffset, int recordCount, int bytes, long maxTimestamp, long sequenceNr)
    {
        var next = baseOffset + recordCount;
        if (_segments.Count > 0 && _segments[^1].Bytes < indexIntervalBytes)
        {
            var last = _segments[^1];
            _segments[^1] = last with
            {
                NextOffset = next,
                LastSequenceNr = sequenceNr,
                Bytes = last.Bytes + bytes,
                MaxTimestamp = Math.Max(last.MaxTimestamp, maxTimestamp),
            };
        }
        else
        {
            _segments.Add(new Segment(baseOffset, next, sequenceNr, sequenceNr, bytes, maxTimestamp));
        }
        LogEndOffset = next;
        SizeBytes += bytes;
    }

    /// <summary>Drops the segments wholly below <paramref name="offset"/> and moves the log start there.</summary>
    public void AdvanceLogStart(long offset)
    {
        if (offset <= LogStartOffset) return;
        var drop = 0;
        while (drop < _segments.Count && _segments[drop].NextOffset <= offset)
        {
            SizeBytes -= _segments[drop].Bytes;
            drop++;
        }
        _segments.RemoveRange(0, drop);
        LogStartOffset = Math.Min(offset, LogEndOffset);
    }

    /// <summary>What retention would delete: the new log start and the last journal sequence number to delete.</summary>
    public readonly record struct RetentionCut(long NewLogStartOffset, long DeleteToSequenceNr);

    /// <summary>
    /// Kafka's rules, applied to whole segments from the oldest: a segment goes when its newest record is
    /// older than <paramref name="retentionMs"/>, or when the log without it is still at least
    /// <paramref name="retentionBytes"/> large. -1 disables either rule.
    /// </summary>
    public RetentionCut? Retention(long nowMs, long retentionMs, long retentionBytes)
    {
        var count = 0;
        var remaining = SizeBytes;
        while (count < _segments.Count)
        {
            var segment = _segments[count];
            var expired = retentionMs >= 0 && segment.MaxTimestamp < nowMs - retentionMs;
            var oversize = retentionBytes >= 0 && remaining - segment.Bytes >= retentionBytes;
            if (!expired && !oversize) break;
            remaining -= segment.Bytes;
            count++;
        }
        if (count == 0) return null;
        var lastDeleted = _segments[count - 1];
        return new RetentionCut(lastDeleted.NextOffset, lastDeleted.LastSequenceNr);
    }

    /// <summary>
    /// The last journal sequence number whose batch lies wholly below <paramref name="offset"/>, at segment
    /// granularity (0 when no whole segment does): what DeleteRecords may delete from the journal. The
    /// segment holding the offset stays, and its records below the log start are never served.
    /// </summary>
    public long LastSequenceNrBelow(long offset)
    {
        long last = 0;
        foreach (var segment in _segments)
        {
            if (segment.NextOffset > offset) break;
            last = segment.LastSequenceNr;
        }
        return last;
    }

    /// <summary>
    /// The journal range that holds <paramref name="offset"/> and about <paramref name="maxBytes"/> after it,
    /// capped at <paramref name="maxEvents"/> events; null if the offset is outside the indexed log.
    /// </summary>
    public (long FromSequenceNr, long ToSequenceNr)? Locate(long offset, int maxBytes, int maxEvents)
    {
        if (offset < LogStartOffset || offset >= LogEndOffset || _segments.Count == 0) return null;
        int lo = 0, hi = _segments.Count - 1;
        while (lo < hi)
        {
            var mid = (lo + hi + 1) / 2;
            if (_segments[mid].BaseOffset <= offset) lo = mid;
            else hi = mid - 1;
        }
        var from = _segments[lo].FirstSequenceNr;
        long bytes = 0;
        var to = from;
        for (var i = lo; i < _segments.Count; i++)
        {
            to = _segments[i].LastSequenceNr;
            bytes += _segments[i].Bytes;
            if (bytes >= maxBytes) break;
        }
        return (from, Math.Min(to, from + maxEvents - 1));
    }

    /// <summary>The base offset of the first segment holding a record at or after <paramref name="timestamp"/>; the log end if none.</summary>
    public long SegmentStartForTimestamp(long timestamp) =>
        _segments.FirstOrDefault(s => s.MaxTimestamp >= timestamp)?.BaseOffset ?? LogEndOffset;

    public (long LogStartOffset, long LogEndOffset, IReadOnlyList<Segment> Segments) Snapshot() =>
        (LogStartOffset, LogEndOffset, _segments.ToList());

    public void Restore(long logStartOffset, long logEndOffset, IEnumerable<Segment> segments)
    {
        _segments.Clear();
        _segments.AddRange(segments);
        LogStartOffset = logStartOffset;
        LogEndOffset = logEndOffset;
        SizeBytes = _segments.Sum(s => s.Bytes);
    }
}
