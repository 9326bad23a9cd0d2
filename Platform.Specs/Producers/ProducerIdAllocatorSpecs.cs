using Akka.Actor;
using Platform.Actors.Hosting;
using Platform.Actors.Producers;
using Platform.Specs.Support;

namespace Platform.Specs.Producers;

/// <summary>
/// The producer id allocator on a real node (cluster singleton, SQLite journal): distinct ids for concurrent
/// requests across block boundaries, and still distinct after the node is stopped and started again.
/// </summary>
public sealed class ProducerIdAllocatorSpecs
{
    private const string SmallBlocks = """
        platform.producer-ids.block-size = 7
        platform.producer-ids.snapshot-every = 3
        """;

    /// <summary>Asks as the edge of the broker (a Kafka listener answering InitProducerId) would: all at once.</summary>
    private static async Task<List<ProducerIdAllocated>> Allocate(PlatformNode node, int count)
    {
        var answers = await Task.WhenAll(Enumerable.Range(0, count)
            .Select(_ => node.ProducerIds.Ask<ProducerIdAllocated>(AllocateProducerId.Instance, TimeSpan.FromSeconds(30))));
        Assert.All(answers, a => Assert.Equal((ErrorCode.None, null, (short)0), (a.Error, a.ErrorMessage, a.ProducerEpoch)));
        return answers.ToList();
    }

    [Fact]
    public async Task Concurrent_requests_get_distinct_ids_with_epoch_zero_across_blocks()
    {
        var node = await TestNode.StartAsync(extraHocon: SmallBlocks);
        try
        {
            var ids = (await Allocate(node, 50)).Select(a => a.ProducerId).ToList();
            Assert.Equal(50, ids.Distinct().Count());
            // A fresh journal starts at 0 and consecutive blocks leave no gap while the allocator runs.
            Assert.Equal(Enumerable.Range(0, 50).Select(i => (long)i), ids.Order());
        }
        finally
        {
            await node.StopAsync();
        }
    }

    [Fact]
    public async Task Ids_stay_unique_after_the_node_is_stopped_and_started_on_the_same_data()
    {
        var dataDir = TestNode.NewDataDir();
        var seen = new HashSet<long>();
        var firstOfEachRun = new List<long>();
        for (var run = 0; run < 3; run++)
        {
            var node = await TestNode.StartAsync(dataDir, SmallBlocks);
            try
            {
                // 10 ids: part of a second block is left unused, and must be skipped after the restart.
                var answers = await Allocate(node, 10);
                foreach (var answer in answers)
                    Assert.True(seen.Add(answer.ProducerId), $"producer id {answer.ProducerId} was handed out again in run {run}");
                firstOfEachRun.Add(answers.Min(a => a.ProducerId));
            }
            finally
            {
                await node.StopAsync();
            }
        }
        Assert.Equal(30, seen.Count);
        // Each run reserved two blocks of 7 and used 10 ids: the next run started at the next block.
        Assert.Equal([0L, 14L, 28L], firstOfEachRun);
    }
}
