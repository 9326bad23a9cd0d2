using System.Net;
using Platform.Specs.Support;
using Xunit.Abstractions;

namespace Platform.Specs.Http;

/// <summary>
/// /health/ready of a node whose journal is a real PostgreSQL server, reached through a TCP proxy the spec cuts
/// and restores: the database going away and coming back, without touching the node.
/// </summary>
[Trait("Category", "Postgres")]
public sealed class PostgresReadinessSpecs(ITestOutputHelper output)
{
    [Fact]
    public async Task A_node_on_PostgreSQL_is_not_ready_while_its_database_is_unreachable_and_ready_again_when_it_returns()
    {
        var (node, proxy) = await ProxiedPostgres.StartNodeAsync();
        await using var _ = proxy;
        await using var __ = node;
        await Eventually.ValueAsync(() => OperatorEndpointSpecs.ReadyAsync(node), r => r.Status == HttpStatusCode.OK, "the node is ready");

        var watch = System.Diagnostics.Stopwatch.StartNew();
        proxy.Cut();
        var (_, down) = await Eventually.ValueAsync(() => OperatorEndpointSpecs.ReadyAsync(node), r => r.Status == HttpStatusCode.ServiceUnavailable,
            "the node is not ready without its database");
        output.WriteLine($"not ready {watch.ElapsedMilliseconds} ms after the cut");
        Assert.Equal("not ready", down.GetProperty("status").GetString());
        var checks = down.GetProperty("checks").EnumerateArray().ToDictionary(c => c.GetProperty("name").GetString()!, c => c.GetProperty("status").GetString());
        Assert.Equal("failed", checks["storage"]);
        Assert.Equal("ok", checks["cluster"]);
        Assert.Equal("ok", checks["kafka-listener"]);
        // Still live: the process answers, only readiness is withdrawn.
        Assert.Equal(HttpStatusCode.OK, (await OperatorEndpointSpecs.Http.GetAsync($"{node.HttpEndpoint}/health/live")).StatusCode);

        proxy.Restore();
        watch.Restart();
        // The journal's circuit breaker may be open after the failed writes: it lets a write through again after its reset timeout.
        await Eventually.ValueAsync(() => OperatorEndpointSpecs.ReadyAsync(node), r => r.Status == HttpStatusCode.OK, "the node is ready again",
            TimeSpan.FromSeconds(90), TimeSpan.FromMilliseconds(500));
        output.WriteLine($"ready again {watch.ElapsedMilliseconds} ms after the restore");
    }
}
