using System.Diagnostics;
using Platform.Client;
using Platform.Specs.Support;
using Xunit.Abstractions;

namespace Platform.Specs.MultiNode;

/// <summary>
/// `cluster status` on a real three-node cluster (issue #14 item 6, #17 item 6): its partition counts agree with
/// `topics describe` (one source: the leader Metadata names), and it answers within a second while a member is
/// unreachable, marking that member.
/// </summary>
[Trait("Category", "MultiNode")]
[Trait("Category", "Postgres")]
public sealed class ClusterStatusSpecs(ITestOutputHelper output)
{
    [Fact]
    public async Task Cluster_status_agrees_with_topics_describe_and_answers_within_a_second_while_a_member_is_unreachable()
    {
        await using var cluster = await InProcessCluster.StartAsync();
        await using var connection = await PlatformConnection.ConnectAsync(cluster.BootstrapServers());
        var admin = new PlatformAdmin(connection);
        await admin.CreateTopicAsync("spread", 6);
        await admin.CreateTopicAsync("other", 3);
        // Both topics together: least-shard allocation balances all partitions over the nodes, not each topic's, so
        // "spread" alone may stay on two nodes for good (InProcessCluster.AwaitSpreadAsync says when).
        await cluster.AwaitSpreadAsync(admin, ["spread", "other"], 3);

        // Asked one after the other, so a placement refresh may come between: they agree once it has settled.
        await Eventually.PassesAsync(async () =>
        {
            var led = (await admin.DescribeTopicAsync("spread")).Partitions.Concat((await admin.DescribeTopicAsync("other")).Partitions)
                .GroupBy(p => p.Leader).ToDictionary(g => g.Key, g => g.Count());
            var status = await admin.ClusterStatusAsync();
            Assert.Equal(9, status.Members.Sum(m => m.Partitions));
            Assert.Equal(led.OrderBy(e => e.Key), status.Members.Where(m => m.Partitions > 0).ToDictionary(m => m.Address, m => m.Partitions).OrderBy(e => e.Key));
        }, "cluster status and topics describe agree");

        await cluster.Crash(2);
        var victim = cluster.Endpoint(2);
        await using var survivor = await PlatformConnection.ConnectAsync(cluster.Endpoint(0));
        var survivorAdmin = new PlatformAdmin(survivor);
        await Eventually.TrueAsync(async () => (await survivorAdmin.ClusterStatusAsync()).Members.Any(m => m.Address == victim && !m.Reachable),
            "the crashed member seen unreachable", TimeSpan.FromSeconds(30));
        var watch = Stopwatch.StartNew();
        var during = await survivorAdmin.ClusterStatusAsync();
        var took = watch.Elapsed;
        output.WriteLine($"cluster status with {victim} unreachable took {took.TotalMilliseconds:F0} ms");
        Assert.True(took < TimeSpan.FromSeconds(1), $"took {took}");
        Assert.Equal(3, during.Members.Count);
        Assert.False(during.Members.Single(m => m.Address == victim).Reachable);
        Assert.Equal(9, during.Members.Sum(m => m.Partitions));
    }
}
