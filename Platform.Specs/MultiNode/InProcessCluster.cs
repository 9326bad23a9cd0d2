using System.Diagnostics;
using Akka.Configuration;
using Platform.Actors.Configuration;
using Platform.Actors.Hosting;
using Platform.Client;
using Platform.Specs.Support;

namespace Platform.Specs.MultiNode;

/// <summary>
/// Three (or more) real nodes as ActorSystems in the test process: one Akka cluster over remoting on
/// 127.0.0.1, sharing one journal in a fresh database of a real PostgreSQL server. Failure detection is
/// tightened (the production profile in hocon/cluster.conf is slower) so specs stay short.
/// </summary>
public sealed class InProcessCluster : IAsyncDisposable
{
    /// <summary>
    /// run-by-actor-system-terminate = off makes <see cref="Crash"/> a crash: the ActorSystem stops without
    /// leaving the cluster, so the others must detect it, down it and restart its shards.
    /// </summary>
    public const string Hocon = """
        akka.cluster.seed-node-timeout = 2s
        akka.cluster.failure-detector.heartbeat-interval = 500ms
        akka.cluster.failure-detector.acceptable-heartbeat-pause = 2s
        akka.cluster.split-brain-resolver.active-strategy = keep-majority
        akka.cluster.split-brain-resolver.stable-after = 3s
        akka.cluster.sharding.rebalance-interval = 2s
        akka.cluster.sharding.retry-interval = 500ms
        akka.cluster.sharding.coordinator-failure-backoff = 1s
        akka.coordinated-shutdown.run-by-actor-system-terminate = off
        akka.coordinated-shutdown.run-by-clr-shutdown-hook = off
        platform.partition.snapshot-every = 50
        """;

    private readonly List<PlatformNode> _nodes;
    private readonly Func<int, Task<PlatformNode>> _start;

    private InProcessCluster(List<PlatformNode> nodes, IReadOnlyList<int> ports, IReadOnlyList<int> kafkaPorts, Func<int, Task<PlatformNode>> start)
    {
        _nodes = nodes;
        Ports = ports;
        KafkaPorts = kafkaPorts;
        _start = start;
    }

    public IReadOnlyList<PlatformNode> Nodes => _nodes;

    /// <summary>The nodes' remoting ports (the cluster's own traffic).</summary>
    public IReadOnlyList<int> Ports { get; }

    /// <summary>The nodes' Kafka listener ports, kept across restarts: what clients bootstrap from.</summary>
    public IReadOnlyList<int> KafkaPorts { get; }

    /// <summary>A node's Kafka listener (host:port), as clients and Metadata name it.</summary>
    public string Endpoint(int node) => $"127.0.0.1:{KafkaPorts[node]}";

    /// <summary>Bootstrap servers starting with <paramref name="first"/>, so a client talks to that node first.</summary>
    public string BootstrapServers(int first = 0) =>
        string.Join(",", Enumerable.Range(0, Ports.Count).Select(i => Endpoint((first + i) % Ports.Count)));

    public static async Task<InProcessCluster> StartAsync(int count = 3)
    {
        var database = await TestPostgres.NewDatabaseAsync();
        var ports = Enumerable.Range(0, count).Select(_ => HostProcess.FreePort()).ToList();
        var kafkaPorts = Enumerable.Range(0, count).Select(_ => HostProcess.FreePort()).ToList();
        // Every node is a seed, as in production, so that any of them can restart and find the others.
        var seeds = ports.Select(p => $"127.0.0.1:{p}").ToList();
        // PLATFORM_SPEC_LOGLEVEL=INFO shows the nodes' own timeline (shutdown phases, hand-offs) in the spec's output.
        var logLevel = Environment.GetEnvironmentVariable("PLATFORM_SPEC_LOGLEVEL") is { Length: > 0 } level ? level : "WARNING";
        var extra = ConfigurationFactory.ParseString(Hocon).WithFallback(ConfigurationFactory.ParseString($"akka.loglevel = {logLevel}"));
        var nodes = await Task.WhenAll(Enumerable.Range(0, count).Select(Start));
        return new InProcessCluster([.. nodes], ports, kafkaPorts, Start);

        Task<PlatformNode> Start(int node) => PlatformNode.StartAsync(PlatformConfig.ForNode(
            new NodeOptions(TestNode.NewDataDir(), "127.0.0.1", ports[node], extra, seeds, StorageKind.Postgres, database, KafkaPort: kafkaPorts[node], HttpPort: 0)),
            TimeSpan.FromSeconds(60));
    }

    /// <summary>A rolling restart's step: the node leaves gracefully, and a new one starts on its address.</summary>
    /// <returns>How long the leave took, and how long the new node took to be Up.</returns>
    public async Task<(TimeSpan Leave, TimeSpan Start)> RestartAsync(int node)
    {
        var watch = Stopwatch.StartNew();
        await Leave(node);
        var left = watch.Elapsed;
        _nodes[node] = await _start(node);
        return (left, watch.Elapsed - left);
    }

    /// <summary>Waits until the partitions of <paramref name="topic"/>, the only topic created, have leaders on <paramref name="nodes"/> nodes.</summary>
    public async Task<TopicDescription> AwaitSpreadAsync(PlatformAdmin admin, string topic, int nodes) =>
        (await AwaitSpreadAsync(admin, [topic], nodes))[0];

    /// <summary>
    /// Waits until the partitions of <paramref name="topics"/>, taken together, have leaders on <paramref name="nodes"/>
    /// nodes. Together, because that is what sharding's least-shard allocation balances: the number of shards per
    /// node over every topic, not each topic's partitions. A topic allocated while one node's region had not
    /// registered with the coordinator yet (its start lags its Up under load) lands on the other nodes, and a
    /// topic created next fills the late node: 3 + 3 + 3 shards is balanced, so nothing ever moves and the first
    /// topic stays on two nodes for good (ClusterStatusSpecs' 60 s time-out, reproduced by creating the second
    /// topic right after the third node joined).
    /// </summary>
    public async Task<IReadOnlyList<TopicDescription>> AwaitSpreadAsync(PlatformAdmin admin, IReadOnlyList<string> topics, int nodes)
    {
        var spread = await Eventually.ValueAsync(async () =>
        {
            var descriptions = new List<TopicDescription>();
            foreach (var topic in topics) descriptions.Add(await admin.DescribeTopicAsync(topic));
            return new Spread(descriptions);
        }, s => s.Leaders == nodes, $"partitions of {string.Join(" and ", topics)} on {nodes} nodes", TimeSpan.FromSeconds(60));
        return spread.Descriptions;
    }

    /// <summary>Topics' partitions and their leaders: a time-out names where each partition was.</summary>
    private sealed record Spread(IReadOnlyList<TopicDescription> Descriptions)
    {
        public int Leaders => Descriptions.SelectMany(d => d.Partitions).Select(p => p.Leader).Distinct().Count();

        public override string ToString() => string.Join("; ", Descriptions.Select(d =>
            $"{d.Topic.Name}: {string.Join(" ", d.Partitions.Select(p => $"{p.Partition}@{p.Leader}"))}"));
    }

    /// <summary>
    /// Stops a node's ActorSystem without leaving the cluster: to the others, it crashed. Its Kafka listener
    /// closes its connections as a dead process's would.
    /// </summary>
    public async Task Crash(int node)
    {
        await _nodes[node].Kafka.StopAsync();
        await _nodes[node].System.Terminate();
    }

    /// <summary>Ctrl-C: leave the cluster, hand shards off, stop.</summary>
    public Task Leave(int node) => _nodes[node].StopAsync();

    public async ValueTask DisposeAsync()
    {
        foreach (var node in _nodes)
        {
            await node.Kafka.StopAsync();
            await node.System.Terminate();
        }
    }
}
