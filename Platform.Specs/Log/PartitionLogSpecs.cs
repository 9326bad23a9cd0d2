using Platform.Actors.Log;
using Platform.Protocol.Records;

namespace Platform.Specs.Log;

public class PartitionLogSpecs
{
    // Batches of 10 records and 100 bytes; a segment per 300 bytes, so three batches per segment.
    private static PartitionLog LogWith(int batches, long firstTimestamp = 1000)
    {
        var log = new PartitionLog(indexIntervalBytes: 300);
        for (var i = 0; i < batches; i++) log.Append(i * 10, 10, 100, firstTimestamp + i, i + 1);
        return log;
    }

    [Fact]
    public void Appends_move_the_log_end_and_group_batches_into_segments()
    {
        var log = LogWith(7);
        Assert.Equal(0, log.LogStartOffset);
        Assert.Equal(70, log.LogEndOffset);
        Assert.Equal(700, log.SizeBytes);
        Assert.Equal([0L, 30, 60], log.Segments.Select(s => s.BaseOffset));
        Assert.Equal(new Segment(30, 60, 4, 6, 300, 1005), log.Segments[1]);
    }

    [Fact]
    public void Locate_points_at_the_segment_holding_the_offset_and_stops_after_max_bytes()
    {
        var log = LogWith(9);
        Assert.Equal((4L, 6L), log.Locate(35, maxBytes: 100, maxEvents: 100));
        Assert.Equal((4L, 9L), log.Locate(35, maxBytes: 600, maxEvents: 100));
        Assert.Equal((4L, 5L), log.Locate(35, maxBytes: 600, maxEvents: 2));
        Assert.Null(log.Locate(90, 100, 100));
    }

    [Fact]
    public void Size_retention_deletes_whole_oldest_segments_while_the_rest_stays_at_least_the_limit()
    {
        var log = LogWith(9); // 900 bytes in three segments
        var cut = log.Retention(nowMs: 2000, retentionMs: -1, retentionBytes: 500);
        Assert.Equal(new PartitionLog.RetentionCut(30, 3), cut);
        log.AdvanceLogStart(cut!.Value.NewLogStartOffset);
        Assert.Equal(30, log.LogStartOffset);
        Assert.Equal(600, log.SizeBytes);
        Assert.Null(log.Retention(2000, -1, 500));
    }

    [Fact]
    public void Time_retention_deletes_segments_whose_newest_record_is_older_than_the_limit()
    {
        var log = LogWith(9, firstTimestamp: 1000); // segment max timestamps 1002, 1005, 1008
        Assert.Equal(new PartitionLog.RetentionCut(60, 6), log.Retention(nowMs: 1106, retentionMs: 100, retentionBytes: -1));
        Assert.Equal(new PartitionLog.RetentionCut(90, 9), log.Retention(nowMs: 5000, retentionMs: 100, retentionBytes: -1));
        Assert.Null(log.Retention(nowMs: 1102, retentionMs: 100, retentionBytes: -1));
    }

    [Fact]
    public void Retention_can_empty_the_log_and_appends_continue_from_the_end()
    {
        var log = LogWith(3);
        log.AdvanceLogStart(30);
        Assert.Equal(30, log.LogStartOffset);
        Assert.Equal(0, log.SizeBytes);
        Assert.Null(log.Locate(30, 100, 100));
        log.Append(30, 5, 50, 1, 4);
        Assert.Equal((4L, 4L), log.Locate(32, 100, 100));
    }

    [Fact]
    public void Restore_from_a_snapshot_gives_the_same_log()
    {
        var log = LogWith(8);
        var (start, end, segments) = log.Snapshot();
        var restored = new PartitionLog(300);
        restored.Restore(start, end, segments);
        Assert.Equal(log.Segments, restored.Segments);
        Assert.Equal(log.SizeBytes, restored.SizeBytes);
        restored.Append(80, 10, 100, 1, 9);
        log.Append(80, 10, 100, 1, 9);
        Assert.Equal(log.Segments, restored.Segments);
    }

    [Fact]
    public void Deleting_records_frees_the_journal_only_up_to_the_last_segment_wholly_below_the_offset()
    {
        var log = LogWith(9); // segments [0,30) events 1-3, [30,60) events 4-6, [60,90) events 7-9
        Assert.Equal(0, log.LastSequenceNrBelow(25));
        Assert.Equal(3, log.LastSequenceNrBelow(30));
        Assert.Equal(3, log.LastSequenceNrBelow(45));
        Assert.Equal(9, log.LastSequenceNrBelow(90));
        log.AdvanceLogStart(45);
        Assert.Equal(45, log.LogStartOffset);
        Assert.Null(log.Locate(44, 100, 100));
        Assert.Equal((4L, 6L), log.Locate(45, 100, 100));
    }
}
