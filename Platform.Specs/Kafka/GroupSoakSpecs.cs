using System.Diagnostics;
using Platform.Protocol.Messages;
using Platform.Specs.Support;
using Xunit.Abstractions;
using static Platform.Specs.Kafka.KafkaRequests;

namespace Platform.Specs.Kafka;

/// <summary>
/// A bounded soak (under 30 s) of what a careless or hostile client does to per-client state: thousands of made-up
/// group ids described and offset-fetched, hundreds of connections opened and closed, and more half-open connections
/// (half a large frame, never finished) than the node lets wait for their first request. Before, each made-up id left a
/// coordinator ticking every 100 ms for good and each half-open connection held up to 16 MiB; now no coordinator is
/// started, connections are given back (the half-open ones after the handshake timeout), and the managed heap returns
/// under a bound.
/// </summary>
[Trait("Category", "KafkaClients")]
[Collection(SoakCollection.Name)]
public sealed class GroupSoakSpecs(GroupLimitsNodeFixture fixture, ITestOutputHelper output) : IClassFixture<GroupLimitsNodeFixture>
{
    private const int MadeUpGroups = 3000;
    private const int Connections = 300;
    private const int HalfOpen = 150;
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
        // DescribeGroups of half of them, a hundred a request. Over the raw protocol, not Confluent's admin client: that
        // one (librdkafka) may keep its bootstrap connection open for seconds after Dispose, and the count of connections
        // below then measured the client (1 run in 3 on a loaded machine: "127.0.0.1:58006 open 13.9 s, last request
        // FindCoordinator v2 from client id 'rdkafka', reading"), not what the node gives back.
        using (var describer = await RawKafkaClient.ConnectAsync(fixture.Bootstrap))
        {
            foreach (var batch in ids.Take(MadeUpGroups / 2).Chunk(100))
            {
                var described = await describer.SendAsync(ApiKey.DescribeGroups, 5, new DescribeGroupsRequest { Groups = [.. batch] },
                    DescribeGroupsRequest.HeaderVersion, DescribeGroupsResponse.HeaderVersion, DescribeGroupsResponse.Read);
                Assert.Equal(batch, described.Groups.Select(g => g.GroupId));
                Assert.All(described.Groups, g => Assert.Equal((0, "Dead"), (g.ErrorCode, g.GroupState)));
            }
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

        await AllConnectionsGivenBackAsync("every churned connection given back");
        // Half a 1 MiB frame on each of more connections than may wait for their first request: those beyond the cap
        // are closed at once, the others after the handshake timeout, and what they made the node buffer is let go.
        var frame = RawKafkaConnection.Frame(ApiKey.Produce, 9, 1, Produce(topic, 0, Batch([new string('h', 1000 * 1000)])));
        var halfOpen = new List<RawKafkaConnection>();
        try
        {
            for (var i = 0; i < HalfOpen; i++)
            {
                var connection = await RawKafkaConnection.ConnectAsync(fixture.Bootstrap);
                halfOpen.Add(connection);
                await connection.SendAsync(frame[..(frame.Length / 2)]);
            }
            Assert.True(fixture.Node.Kafka.HandshakingCount <= GroupLimitsNodeFixture.MaxHandshaking, $"{fixture.Node.Kafka.HandshakingCount} handshaking");
            var closed = await Task.WhenAll(halfOpen.Select(c => c.ClosedByNodeWithinAsync(TimeSpan.FromSeconds(GroupLimitsNodeFixture.HandshakeTimeoutSeconds + 10))));
            Assert.All(closed, Assert.True);
        }
        finally
        {
            foreach (var connection in halfOpen) await connection.DisposeAsync();
        }

        var coordinatorsAfter = await KafkaGroupLimitsSpecs.RunningCoordinatorsAsync(fixture.Node.System);
        Assert.Empty(coordinatorsAfter.Intersect(ids));
        Assert.True(coordinatorsAfter.Count <= coordinatorsBefore, $"{coordinatorsAfter.Count} coordinators running, {coordinatorsBefore} before");
        await AllConnectionsGivenBackAsync("every closed connection given back");
        var heapAfter = Heap();
        output.WriteLine($"{MadeUpGroups} made-up groups, {Connections} connections, {HalfOpen} half-open ones in {clock.Elapsed.TotalSeconds:F1} s; " +
            $"managed heap {heapBefore / 1024 / 1024} MiB -> {heapAfter / 1024 / 1024} MiB; coordinators {coordinatorsBefore} -> {coordinatorsAfter.Count}");
        Assert.True(heapAfter - heapBefore < HeapGrowthBound, $"managed heap grew from {heapBefore} to {heapAfter} bytes");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"the soak took {clock.Elapsed}");
        await AssertServesAsync(fixture.Bootstrap, topic, 0, values);
    }

    /// <summary>No connection open or handshaking on the node; a timeout names the ones left and what each last did.</summary>
    private Task AllConnectionsGivenBackAsync(string what) =>
        Eventually.ValueAsync(() => (Open: string.Join("; ", fixture.Node.Kafka.DescribeConnections()), Handshaking: fixture.Node.Kafka.HandshakingCount),
            open => open is { Open: "", Handshaking: 0 }, what, TimeSpan.FromSeconds(10));

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
