namespace Platform.Specs.Nemesis;

/// <summary>The checker itself: each anomaly it exists for, in a made-up history, is found; a clean history passes.</summary>
public sealed class HistoryCheckerSpecs
{
    private static KeyedValue V(string key, long counter) => new(key, counter);

    private static NemesisHistory Acknowledged(params (KeyedValue Value, int Partition, long Offset)[] acks)
    {
        var history = new NemesisHistory();
        foreach (var (value, partition, offset) in acks) history.Acknowledgements.Enqueue(new Acknowledged(value, partition, offset, offset));
        return history;
    }

    [Fact]
    public void A_clean_history_has_no_anomaly()
    {
        var history = Acknowledged((V("a", 0), 0, 0), (V("a", 1), 0, 1), (V("b", 0), 1, 0));
        history.Commits.Enqueue(new CommitAcknowledged("c0", 0, 1, 1, 2));
        history.Commits.Enqueue(new CommitAcknowledged("c1", 0, 2, 3, 4));
        history.Assignments.Enqueue(new FirstAfterAssignment("c1", 0, 1, 2.5));
        var report = HistoryChecker.Check(history, [new(0, 0, V("a", 0)), new(0, 1, V("a", 1)), new(1, 0, V("b", 0))], 2);
        Assert.Empty(report.Anomalies);
        Assert.Equal(1, report.LongestUnavailability[0]);
    }

    [Fact]
    public void A_lost_a_misplaced_and_a_duplicated_record_are_found()
    {
        var history = Acknowledged((V("a", 0), 0, 0), (V("a", 1), 0, 1), (V("a", 2), 0, 2), (V("b", 0), 0, 3));
        var report = HistoryChecker.Check(history, [new(0, 0, V("a", 0)), new(0, 1, V("a", 2)), new(0, 2, V("a", 2)), new(0, 3, V("c", 0))], 1);
        Assert.Equal(2, report.Lost.Count); // a=1 gone (a=2 stands at its offset), b=0 gone (c=0 stands at its offset)
        Assert.Single(report.Duplicated); // a=2 twice
    }

    [Fact]
    public void Gaps_reordering_and_an_offset_handed_out_twice_are_found()
    {
        var history = Acknowledged((V("a", 0), 0, 0), (V("b", 0), 0, 0));
        var report = HistoryChecker.Check(history, [new(0, 0, V("a", 1)), new(0, 2, V("a", 0))], 1);
        Assert.Single(report.Gaps);
        Assert.Single(report.Reordered);
        Assert.Single(report.OffsetsHandedOutTwice);
    }

    [Fact]
    public void A_commit_below_an_acknowledged_one_and_a_read_below_a_commit_are_found()
    {
        var history = new NemesisHistory();
        history.Commits.Enqueue(new CommitAcknowledged("c0", 0, 10, 1, 2));
        history.Commits.Enqueue(new CommitAcknowledged("c1", 0, 5, 3, 4));
        history.Assignments.Enqueue(new FirstAfterAssignment("c1", 0, 7, 2.5));
        var report = HistoryChecker.Check(history, [], 1);
        Assert.Single(report.CommitsWentBack);
        Assert.Single(report.ReadBelowCommitted);
    }
}
