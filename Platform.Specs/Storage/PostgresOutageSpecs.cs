using Akka.Actor;
using Akka.Persistence;
using Platform.Client;
using Platform.Specs.Support;
using Xunit.Abstractions;

namespace Platform.Specs.Storage;

/// <summary>
/// A node whose journal is a real PostgreSQL server reached through a TCP proxy the spec cuts for a few seconds
/// under a producer: once the database is back, the partition must serve again within seconds. (Found by the
/// nemesis: Akka's circuit breakers, opened by the failed writes and recoveries, kept the partitions down for
/// 30 s (journal) and 60 s (snapshot store) after the database had returned; then recoveries begun at a heal
/// waited 30 s for a snapshot the store never answered.)
/// </summary>
[Trait("Category", "Postgres")]
public sealed class PostgresOutageSpecs(ITestOutputHelper output)
{
    [Fact]
    public async Task A_partition_serves_again_within_seconds_after_a_short_database_outage()
    {
        var (node, proxy) = await ProxiedPostgres.StartNodeAsync();
        await using var _ = proxy;
        await using var __ = node;
        await using var connection = await PlatformConnection.ConnectAsync(node.KafkaEndpoint);
        await new PlatformAdmin(connection).CreateTopicAsync("outage", 1);
        await using var producer = new PlatformProducer(connection);
        await producer.ProduceAsync("outage", "k", "before");

        // Five seconds without the database while records keep arriving: writes fail, the partition stops and
        // tries to recover, and every failure counts against the journal's and snapshot store's circuit breakers.
        proxy.Cut();
        var during = Enumerable.Range(0, 20).Select(async i =>
        {
            await Task.Delay(i * 250);
            try
            {
                await producer.ProduceAsync("outage", "k", $"during-{i}");
            }
            catch (PlatformException)
            {
                // Unacknowledged: what matters is what the node does once the database is back.
            }
        }).ToList();
        await Task.Delay(TimeSpan.FromSeconds(5));
        proxy.Restore();
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var after = await producer.ProduceAsync("outage", "k", "after");
        output.WriteLine($"acknowledged {watch.Elapsed.TotalSeconds:N1} s after the database returned (offset {after.Offset})");
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), $"the partition served again only {watch.Elapsed.TotalSeconds:N1} s after the database returned");
        await Task.WhenAll(during);
    }

    /// <summary>
    /// The nemesis's pg-cut, on one node: six partitions written to while the database is cut fail their writes and
    /// recover again and again (each recovery fails), then all recover at once when it returns. Every one must serve
    /// again within seconds of the heal; a recovery whose snapshot load was lost waited Akka's 30 s
    /// recovery-event-timeout (36-46 s pauses in the nemesis's long run).
    /// </summary>
    [Fact]
    public async Task Partitions_recovering_through_a_database_cut_all_serve_again_within_seconds_of_its_end()
    {
        var (node, proxy) = await ProxiedPostgres.StartNodeAsync();
        await using var _ = proxy;
        await using var __ = node;
        await using var connection = await PlatformConnection.ConnectAsync(node.KafkaEndpoint);
        await new PlatformAdmin(connection).CreateTopicAsync("cut", 6);
        await using var producer = new PlatformProducer(connection);
        Message Record(string value) => new(null, System.Text.Encoding.UTF8.GetBytes(value));
        await Task.WhenAll(Enumerable.Range(0, 6).Select(p => producer.ProduceAsync("cut", Record("before"), p)));

        proxy.Cut();
        var during = new List<Task>();
        for (var round = 0; round < 25; round++)
        {
            during.AddRange(Enumerable.Range(0, 6).Select(p => producer.ProduceAsync("cut", Record($"during-{round}"), p)));
            await Task.Delay(200);
        }
        proxy.Restore();
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var served = await Task.WhenAll(Enumerable.Range(0, 6).Select(async p =>
        {
            await producer.ProduceAsync("cut", Record("after"), p);
            return watch.Elapsed;
        }));
        output.WriteLine($"served again {string.Join(", ", served.Select((t, p) => $"p{p} {t.TotalSeconds:N1}"))} s after the database returned");
        Assert.All(served, t => Assert.True(t < TimeSpan.FromSeconds(10), $"a partition served again only {t.TotalSeconds:N1} s after the database returned"));
        // Records sent during the cut are retried until acknowledged (delivery-timeout): none is refused for good.
        await Task.WhenAll(during);
    }

    /// <summary>
    /// The nemesis's pg-cut stall (partitions silent 36-46 s): Akka's circuit breaker, half-open, lets one call through
    /// and fails every other one by throwing inside the snapshot store's receive instead of returning a failed task, so
    /// the store restarted and the LoadSnapshot was never answered; the partition waited Akka's 30 s
    /// recovery-event-timeout. Two loads at the half-open moment must both be answered at once.
    /// </summary>
    [Fact]
    public async Task Snapshot_loads_at_the_breakers_half_open_moment_are_all_answered()
    {
        var (node, proxy) = await ProxiedPostgres.StartNodeAsync();
        await using var _ = proxy;
        await using var __ = node;
        var store = Persistence.Instance.Apply(node.System).SnapshotStoreFor(null);
        var timeout = TimeSpan.FromSeconds(5);
        LoadSnapshot Load(string id) => new(id, SnapshotSelectionCriteria.Latest, long.MaxValue);

        // The database gone: Akka's snapshot store opens its breaker after 5 failed calls (max-failures).
        proxy.Cut();
        for (var i = 0; i < 6; i++)
            Assert.IsType<LoadSnapshotFailed>(await store.Ask<ISnapshotResponse>(Load($"cut-{i}"), timeout));
        proxy.Restore();

        // After reset-timeout (2 s) the breaker is half-open: the first load is the trial, the second arrives while it runs.
        await Task.Delay(TimeSpan.FromSeconds(3));
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var loads = Enumerable.Range(0, 4).Select(i => store.Ask<ISnapshotResponse>(Load($"healed-{i}"), timeout)).ToList();
        var answered = 0;
        foreach (var load in loads)
        {
            try
            {
                var response = await load;
                Assert.True(response is LoadSnapshotResult or LoadSnapshotFailed, response.GetType().Name);
                answered++;
            }
            catch (AskTimeoutException)
            {
            }
        }

        output.WriteLine($"{answered} of {loads.Count} loads answered, the last after {watch.Elapsed.TotalSeconds:N1} s");
        Assert.Equal(loads.Count, answered);
    }
}
