using System.Diagnostics;
using Confluent.Kafka;
using Platform.Protocol.Messages;
using Platform.Specs.Support;
using Xunit.Abstractions;
using static Platform.Specs.Kafka.KafkaRequests;

namespace Platform.Specs.Kafka;

/// <summary>
/// A bounded soak (under 30 s) of what a careless or hostile client does to per-client state: thousands of made-up
/// group ids described and offset-fetched, hundreds of connections opened and closed. Before, each made-up id left a
/// coordinator ticking every 100 ms for good; now none is started, connections are given back, and the managed heap
/// returns under a bound.
/// </summary>
[Trait("Category", "KafkaClients")]
[Collection(SoakCollection.Name)]
public sealed class GroupSoakSpecs(GroupLimitsNodeFixture fixture, ITestOutputHelper output) : IClassFixture<GroupLimitsNodeFixture>
{
    private const int MadeUpGroups = 3000;
    private const int Connections = 300;
    private const long HeapGrowthBound = 64L * 1024 * 1024;

    [Fact(Timeout = 60_000)]
    public async Task Made_up_groups_and_churned_connections_leave_no_coordinators_and_the_heap_returns_under_a_bound()
    {
        var clock = Stopwatch.StartNew();
        var topic = $"soak-{Guid.NewGuid():N}";
        await fixture.CreateTopicAsync(topic, 1);
        string[] values = ["s1", "s2"];
        await ProduceAsync(fixture.Bootstrap, topic, 0, values);
        var coordinatorsBefore = (await KafkaGroupLimitsSpecs.RunningCoordinatorsAsync(fixture.Node.System)).Count;
        var heapBefore = Heap();

        var ids = Enumerable.Range(0, MadeUpGroups).Select(i => $"soak-{i}-{Guid.NewGuid():N}").ToList();
        using (var admin = new AdminClientBuilder(fixture.AdminConfig()).Build())
        {
            foreach (var batch in ids.Take(MadeUpGroups / 2).Chunk(100))
                Assert.All((await admin.DescribeConsumerGroupsAsync(batch)).ConsumerGroupDescriptions, d => Assert.Equal(ConsumerGroupState.Dead, d.State));
        }
        // OffsetFetch of the other half, spread over four connections at once.
        await Task.WhenAll(ids.Skip(MadeUpGroups / 2).Chunk(MadeUpGroups / 8).Select(async chunk =>
        {
            using var client = await RawKafkaClient.ConnectAsync(fixture.Bootstrap);
            foreach (var group in chunk)
            {
                var fetched = await client.SendAsync(ApiKey.OffsetFetch, 7, new OffsetFetchRequest { GroupId = group, Topics = null },
                    OffsetFetchRequest.HeaderVersion, OffsetFetchResponse.HeaderVersion, OffsetFetchResponse.Read);
                Assert.Equal(0, fetched.ErrorCode);
                Assert.Empty(fetched.Topics);
            }
        }));
        // Connections opened, used once and closed, ten at a time.
        foreach (var wave in Enumerable.Range(0, Connections).Chunk(10))
        {
            await Task.WhenAll(wave.Select(async _ =>
            {
                using var client = await RawKafkaClient.ConnectAsync(fixture.Bootstrap);
                await client.SendAsync(ApiKey.Metadata, 9, Metadata(topic), MetadataRequest.HeaderVersion, MetadataResponse.HeaderVersion, MetadataResponse.Read);
            }));
        }

        var coordinatorsAfter = await KafkaGroupLimitsSpecs.RunningCoordinatorsAsync(fixture.Node.System);
        Assert.Empty(coordinatorsAfter.Intersect(ids));
        Assert.True(coordinatorsAfter.Count <= coordinatorsBefore, $"{coordinatorsAfter.Count} coordinators running, {coordinatorsBefore} before");
        await Eventually.TrueAsync(() => fixture.Node.Kafka.ConnectionCount == 0, "every closed connection given back", TimeSpan.FromSeconds(10));
        var heapAfter = Heap();
        output.WriteLine($"{MadeUpGroups} made-up groups, {Connections} connections in {clock.Elapsed.TotalSeconds:F1} s; " +
            $"managed heap {heapBefore / 1024 / 1024} MiB -> {heapAfter / 1024 / 1024} MiB; coordinators {coordinatorsBefore} -> {coordinatorsAfter.Count}");
        Assert.True(heapAfter - heapBefore < HeapGrowthBound, $"managed heap grew from {heapBefore} to {heapAfter} bytes");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"the soak took {clock.Elapsed}");
        await AssertServesAsync(fixture.Bootstrap, topic, 0, values);
    }

    /// <summary>The managed heap after a full collection: what the node (in this process) still holds.</summary>
    private static long Heap()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        return GC.GetTotalMemory(forceFullCollection: true);
    }
}

/// <summary>Specs that measure the process's memory run alone: the other specs' nodes share the process and its heap.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SoakCollection
{
    public const string Name = "Soak (alone)";
}
