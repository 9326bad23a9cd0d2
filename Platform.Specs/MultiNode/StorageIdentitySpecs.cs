using Akka.Actor;
using Akka.Cluster;
using Platform.Actors.Topics;
using Platform.Specs.Kafka;
using Platform.Specs.Support;

namespace Platform.Specs.MultiNode;

/// <summary>
/// A node on a SQLite file of its own must not join other nodes: sharding would move partitions onto it, where
/// their logs are empty, and they would fork. It refuses to start (in process, and as `platform node`, with a
/// non-zero exit and the reason), and the cluster it named keeps serving its records.
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
}
