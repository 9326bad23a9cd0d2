using Akka.Actor;
using Akka.Cluster;
using Confluent.Kafka;
using Platform.Actors.Topics;
using Platform.Protocol.Messages;
using Platform.Specs.Kafka;
using Platform.Specs.Support;

namespace Platform.Specs.MultiNode;

/// <summary>
/// A node on a SQLite file of its own, or on another PostgreSQL database than its cluster's, must not join other
/// nodes: sharding would move partitions onto it, where their logs are empty, and they would fork. It refuses to
/// start (in process, and as `platform node`, with exit code 1 and the reason on one line), and the cluster it named
/// keeps serving its records. The check compares the cluster id each journal holds, the one Kafka clients see.
/// </summary>
[Trait("Category", "MultiNode")]
public sealed class StorageIdentitySpecs
{
    [Fact(Timeout = 90_000)]
    public async Task A_node_on_its_own_SQLite_file_refuses_to_join_and_the_cluster_keeps_serving()
    {
        var port = HostProcess.FreePort();
        var seed = $"127.0.0.1:{port}";
        // A node that names only itself as seed is a cluster of one: allowed on SQLite.
        await using var first = await TestNode.StartAsync(port: port, seeds: [seed]);
        var topic = $"identity-{Guid.NewGuid():N}";
        var created = await first.Registry.Ask<TopicCommandResult>(new CreateTopic(topic, 1, new Dictionary<string, string>()), TimeSpan.FromSeconds(10));
        Assert.Equal(Platform.Protocol.ErrorCode.None, created.Error);
        string[] values = ["kept-1", "kept-2"];
        await KafkaRequests.ProduceAsync(first.KafkaEndpoint, topic, 0, values);

        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => TestNode.StartAsync(seeds: [seed]));
        Assert.Contains("own SQLite file", refused.Message);
        Assert.Contains(seed, refused.Message);

        Assert.Single(Cluster.Get(first.System).State.Members);
        await KafkaRequests.AssertServesAsync(first.KafkaEndpoint, topic, 0, values);
    }

    [Fact(Timeout = 90_000)]
    [Trait("Category", "Process")]
    public async Task Platform_node_on_SQLite_with_another_node_as_seed_exits_non_zero_with_the_reason()
    {
        var result = await HostProcess.RunAsync(null, "node", "--data-dir", TestNode.NewDataDir(), "--port", HostProcess.FreePort().ToString(),
            "--kafka-port", "0", "--seed", $"127.0.0.1:{HostProcess.FreePort()}");
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("own SQLite file", result.Stderr);
        Assert.Contains("--storage postgres", result.Stderr);
    }

    [Fact(Timeout = 180_000)]
    [Trait("Category", "Postgres")]
    public async Task A_node_on_another_PostgreSQL_database_refuses_to_join_and_one_on_the_same_joins_with_its_cluster_id()
    {
        var (clusterDatabase, otherDatabase) = (await TestPostgres.NewDatabaseAsync(), await TestPostgres.NewDatabaseAsync());
        var port = HostProcess.FreePort();
        var seed = $"127.0.0.1:{port}";
        await using var first = await TestNode.StartAsync(port: port, seeds: [seed], postgres: clusterDatabase);
        var topic = $"identity-{Guid.NewGuid():N}";
        var created = await first.Registry.Ask<TopicCommandResult>(new CreateTopic(topic, 1, new Dictionary<string, string>()), TimeSpan.FromSeconds(10));
        Assert.Equal(Platform.Protocol.ErrorCode.None, created.Error);
        string[] values = ["kept-1", "kept-2"];
        await KafkaRequests.ProduceAsync(first.KafkaEndpoint, topic, 0, values);

        // The same database: the same cluster id, and the node joins.
        await using (var second = await TestNode.StartAsync(seeds: [seed], postgres: clusterDatabase))
        {
            Assert.Equal(first.ClusterId, second.ClusterId);
            await Eventually.TrueAsync(() => Cluster.Get(first.System).State.Members.Count(m => m.Status == MemberStatus.Up) == 2, "both nodes Up",
                TimeSpan.FromSeconds(30));
            await second.StopAsync();
        }

        // Another database: its own cluster id, and a one-line refusal naming both.
        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => TestNode.StartAsync(seeds: [seed], postgres: otherDatabase));
        Assert.Contains($"cluster id {first.ClusterId}", refused.Message);
        Assert.Contains(seed, refused.Message);
        Assert.DoesNotContain('\n', refused.Message);

        await Eventually.TrueAsync(() => Cluster.Get(first.System).State.Members.Count == 1, "the cluster is the first node alone", TimeSpan.FromSeconds(30));
        await KafkaRequests.AssertServesAsync(first.KafkaEndpoint, topic, 0, values);
        // Kafka clients see the journal's cluster id.
        using var admin = new Confluent.Kafka.AdminClientBuilder(new Confluent.Kafka.AdminClientConfig { BootstrapServers = first.KafkaEndpoint }).Build();
        Assert.Equal(first.ClusterId, (await admin.DescribeClusterAsync()).ClusterId);
        await using var raw = await RawKafkaConnection.ConnectAsync(first.KafkaEndpoint);
        Assert.Equal(first.ClusterId, (await raw.RoundTripAsync(ApiKey.Metadata, 9, KafkaRequests.Metadata(topic), MetadataResponse.Read)).ClusterId);
    }

    [Fact(Timeout = 180_000)]
    [Trait("Category", "Process")]
    [Trait("Category", "Postgres")]
    public async Task Platform_node_on_another_PostgreSQL_database_exits_1_with_the_reason_on_one_line()
    {
        var (clusterDatabase, otherDatabase) = (await TestPostgres.NewDatabaseAsync(), await TestPostgres.NewDatabaseAsync());
        var port = HostProcess.FreePort();
        var seed = $"127.0.0.1:{port}";
        await using var first = await TestNode.StartAsync(port: port, seeds: [seed], postgres: clusterDatabase);

        var result = await HostProcess.RunAsync(null, "node", "--data-dir", TestNode.NewDataDir(), "--port", HostProcess.FreePort().ToString(),
            "--kafka-port", "0", "--http-port", "0", "--seed", seed, "--storage", "postgres", "--connection-string", otherDatabase);
        Assert.Equal(1, result.ExitCode);
        var error = Assert.Single(result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries), line => line.StartsWith("error:"));
        Assert.Contains($"cluster id {first.ClusterId}", error);
        Assert.Contains("--connection-string", error);
        Assert.Single(Cluster.Get(first.System).State.Members);
    }
}
