using Platform.Actors.Log;
using Platform.Protocol.Records;

namespace Platform.Specs.Log;

public class TailCacheSpecs
{
    private static byte[] Batch(int size) => new byte[size];

    [Fact]
    public void Reads_start_at_the_batch_holding_the_offset_and_return_at_least_one_batch()
    {
        var cache = new TailCache(new TailCacheBudget(10_000), 10_000);
        for (var i = 0; i < 5; i++) cache.Add(i * 10, i * 10 + 10, Batch(100));
        var into = new List<byte[]>();
        Assert.True(cache.TryRead(25, maxBytes: 250, into));
        Assert.Equal(2, into.Count);
        into.Clear();
        Assert.True(cache.TryRead(25, maxBytes: 1, into));
        Assert.Single(into);
    }

    [Fact]
    public void The_per_partition_limit_evicts_the_oldest_batches()
    {
        var cache = new TailCache(new TailCacheBudget(10_000), 300);
        for (var i = 0; i < 5; i++) cache.Add(i * 10, i * 10 + 10, Batch(100));
        Assert.Equal(20, cache.FirstOffset);
        Assert.Equal(300, cache.Bytes);
        Assert.False(cache.TryRead(15, 1000, []));
    }

    [Fact]
    public void Partitions_share_the_node_budget_and_release_it_on_eviction()
    {
        var budget = new TailCacheBudget(350);
        var a = new TailCache(budget, 1000);
        var b = new TailCache(budget, 1000);
        a.Add(0, 1, Batch(100));
        a.Add(1, 2, Batch(100));
        a.Add(2, 3, Batch(100));
        b.Add(0, 1, Batch(100)); // the budget is used up by a: b cannot cache
        Assert.Equal(0, b.Bytes);
        Assert.Equal(300, budget.UsedBytes);
        a.TruncateBefore(2);
        Assert.Equal(100, budget.UsedBytes);
        b.Add(0, 1, Batch(100));
        Assert.Equal(100, b.Bytes);
        a.Clear();
        b.Clear();
        Assert.Equal(0, budget.UsedBytes);
    }
}
