using Platform.Client;
using Platform.Specs.Support;
using Xunit.Abstractions;

namespace Platform.Specs.Storage;

/// <summary>
/// A node whose journal is a real PostgreSQL server reached through a TCP proxy the spec cuts for a few seconds
/// under a producer: once the database is back, the partition must serve again within seconds. (Found by the
/// nemesis: Akka's circuit breakers, opened by the failed writes and recoveries, kept the partitions down for
/// 30 s (journal) and 60 s (snapshot store) after the database had returned.)
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
}
