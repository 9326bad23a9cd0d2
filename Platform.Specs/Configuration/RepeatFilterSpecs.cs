using Platform.Actors.Logging;

namespace Platform.Specs.Configuration;

/// <summary>The log's rate limit as a pure rule: one line per cause per interval, then one line with the count.</summary>
public sealed class RepeatFilterSpecs
{
    private static readonly DateTime T0 = new(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc);
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(10);

    [Fact]
    public void The_first_event_of_a_cause_is_written_its_repeats_are_counted_and_told_once_per_interval()
    {
        var filter = new RepeatFilter();
        const string diskFull = "Partition {TopicId}-{Partition}: journal write {SequenceNr} failed";
        Assert.True(filter.Admit(4, diskFull, "p-0", T0, Interval));
        // 127,000 failures in 4 minutes: all counted, none written, across every partition that logs them.
        for (var i = 1; i < 1000; i++) Assert.False(filter.Admit(4, diskFull, $"p-{i % 7}", T0.AddMilliseconds(i), Interval));
        // Another cause, or the same template at another level, is another cause.
        Assert.True(filter.Admit(4, "Recovery failed for {Partition}", "p-1", T0.AddSeconds(1), Interval));
        Assert.True(filter.Admit(3, diskFull, "p-1", T0.AddSeconds(1), Interval));

        Assert.Empty(filter.Flush(T0.AddSeconds(5), Interval));
        var repeats = Assert.Single(filter.Flush(T0.AddSeconds(10), Interval));
        Assert.Equal((4, diskFull, 999), (repeats.Level, repeats.Template, repeats.Count));

        // Still failing: still counted, told again after the next interval.
        Assert.False(filter.Admit(4, diskFull, "p-2", T0.AddSeconds(11), Interval));
        Assert.Equal(1, Assert.Single(filter.Flush(T0.AddSeconds(20), Interval)).Count);
        // Quiet for a whole interval: forgotten, and its next event is written again.
        Assert.Empty(filter.Flush(T0.AddSeconds(30), Interval));
        Assert.True(filter.Admit(4, diskFull, "p-3", T0.AddSeconds(31), Interval));
    }
}
