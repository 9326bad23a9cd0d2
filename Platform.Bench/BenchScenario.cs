namespace Platform.Bench;

/// <summary>
/// <c>--scenario</c> presets for the runs issue #16 compares against Redis Streams and NATS JetStream; any switch
/// given beside one wins over its preset. <c>paced</c> uses linger 0: at a modest rate the producer sends as soon as
/// a partition has room in flight and batches whatever arrives meanwhile, which is what a latency-minded user sets.
/// </summary>
public sealed record BenchScenario(long Records, int RecordSize, long? Rate, int LingerMs)
{
    public static readonly IReadOnlyDictionary<string, BenchScenario> All = new Dictionary<string, BenchScenario>
    {
        ["throughput"] = new(1_000_000, 100, null, 5),
        ["paced"] = new(100_000, 100, 10_000, 0),
        ["large"] = new(200_000, 1024, null, 5),
    };

    /// <summary>No --scenario: the defaults bench always had.</summary>
    public static BenchScenario Default => All["throughput"];
}
