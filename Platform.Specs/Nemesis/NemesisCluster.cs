using Platform.Specs.Support;

namespace Platform.Specs.Nemesis;

/// <summary>
/// Three real <c>platform node</c> processes on one PostgreSQL database, every link of which runs through a
/// <see cref="TcpProxy"/> the nemesis controls: each node advertises its proxy as its remoting address
/// (<c>public-port</c>) and its Kafka listener (<c>--kafka-advertised</c>), and reaches PostgreSQL through a proxy
/// of its own. So one machine can cut links between two nodes (a network partition), cut or stall one node's
/// database connections (a lost or slow disk), and restart a node on fresh ports behind the same addresses.
/// </summary>
public sealed class NemesisCluster : IAsyncDisposable
{
    /// <summary>One node: its process (null while down) and the proxies in front of it.</summary>
    public sealed class Node(string name, TcpProxy remoting, TcpProxy kafka, TcpProxy postgres, string dataDir)
    {
        public string Name { get; } = name;
        public TcpProxy Remoting { get; } = remoting;
        public TcpProxy Kafka { get; } = kafka;
        public TcpProxy Postgres { get; } = postgres;
        public string DataDir { get; } = dataDir;
        public HostProcess? Process { get; set; }
        public string KafkaAddress => $"127.0.0.1:{Kafka.Port}";
        public bool Running => Process is { HasExited: false };
    }

    private readonly string _database;
    private readonly string _profile;
    private readonly List<Node> _nodes = [];

    private NemesisCluster(string database, string profile)
    {
        _database = database;
        _profile = profile;
    }

    public IReadOnlyList<Node> Nodes => _nodes;

    /// <summary>A directory to copy every node's log into when the cluster is disposed (the data directories are removed with the test process): null keeps none.</summary>
    public string? KeepLogsIn { get; set; }

    /// <summary>Every node's Kafka address, for clients' bootstrap lists.</summary>
    public string BootstrapServers => string.Join(",", _nodes.Select(n => n.KafkaAddress));

    /// <summary>
    /// Starts three nodes one after the other. <paramref name="profile"/> is HOCON over hocon/cluster.conf
    /// (empty: the shipped production profile).
    /// </summary>
    public static async Task<NemesisCluster> StartAsync(string profile = "")
    {
        var database = await TestPostgres.NewDatabaseAsync();
        var server = new Npgsql.NpgsqlConnectionStringBuilder(database);
        var cluster = new NemesisCluster(database, profile);
        var names = new Dictionary<int, string>();
        // Each remoting proxy names the node on the other end of a connection from Akka's handshake, so that
        // links between single nodes can be cut; the names are known once all three proxies have their ports.
        for (var i = 1; i <= 3; i++)
        {
            var name = $"n{i}";
            cluster._nodes.Add(new Node(name,
                new TcpProxy("127.0.0.1", 1, bytes => AkkaHandshake.Origin(bytes.Span, names)),
                new TcpProxy("127.0.0.1", 1),
                new TcpProxy(server.Host!, server.Port),
                TestNode.NewDataDir()));
        }
        foreach (var node in cluster._nodes) names[node.Remoting.Port] = node.Name;
        foreach (var node in cluster._nodes) await cluster.StartAsync(node);
        return cluster;
    }

    /// <summary>Starts (or restarts) a node on fresh local ports behind its unchanged proxies and waits until it is up.</summary>
    public async Task StartAsync(Node node)
    {
        if (node.Process is { } old)
        {
            // Forgotten before the new start: a start that fails leaves the node down, not holding a disposed
            // process that the next start or the cluster's disposal would dispose again (which threw, and hid why
            // the start failed).
            node.Process = null;
            await KeepLogAsync(node, old);
        }
        var (port, kafkaPort) = (HostProcess.FreePort(), HostProcess.FreePort());
        node.Remoting.Retarget(port);
        node.Kafka.Retarget(kafkaPort);
        var configFile = Path.Combine(node.DataDir, "nemesis.conf");
        await File.WriteAllTextAsync(configFile, $"akka.remote.dot-netty.tcp.public-port = {node.Remoting.Port}\n{_profile}");
        var connection = new Npgsql.NpgsqlConnectionStringBuilder(_database) { Host = "127.0.0.1", Port = node.Postgres.Port }.ConnectionString;
        var seeds = _nodes.SelectMany(n => new[] { "--seed", $"127.0.0.1:{n.Remoting.Port}" });
        node.Process = await HostProcess.StartNodeAsync(node.DataDir, port,
            [.. seeds, "--config", configFile, "--storage", "postgres", "--connection-string", connection, "--kafka-advertised", node.KafkaAddress],
            kafkaPort);
    }

    /// <summary>Stops a node's process for good and appends what it logged to node.log in its data directory.</summary>
    private static async Task KeepLogAsync(Node node, HostProcess process)
    {
        await process.DisposeAsync();
        await File.AppendAllTextAsync(Path.Combine(node.DataDir, "node.log"), process.Stderr + process.Stdout);
    }

    /// <summary>Cuts (or heals) the links between two nodes, both ways.</summary>
    public static void Partition(Node a, Node b, bool cut)
    {
        if (cut)
        {
            a.Remoting.Block(b.Name);
            b.Remoting.Block(a.Name);
        }
        else
        {
            a.Remoting.Unblock(b.Name);
            b.Remoting.Unblock(a.Name);
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var node in _nodes)
        {
            if (node.Process is { } process) await KeepLogAsync(node, process);
            await node.Remoting.DisposeAsync();
            await node.Kafka.DisposeAsync();
            await node.Postgres.DisposeAsync();
            if (KeepLogsIn is { } directory && File.Exists(Path.Combine(node.DataDir, "node.log")))
            {
                Directory.CreateDirectory(directory);
                File.Copy(Path.Combine(node.DataDir, "node.log"), Path.Combine(directory, $"{node.Name}.log"), overwrite: true);
            }
        }
    }
}

/// <summary>
/// Finds which node opened an Akka remoting connection: the first frame is Akka's Associate, whose handshake
/// carries the origin's address as protobuf <c>AddressData { system = 1; hostname = 2; port = 3; ... }</c>, so the
/// bytes <c>0x12 len "127.0.0.1" 0x18 varint(port)</c> name it.
/// </summary>
public static class AkkaHandshake
{
    public static string? Origin(ReadOnlySpan<byte> bytes, IReadOnlyDictionary<int, string> nodesByPort)
    {
        foreach (var (port, name) in nodesByPort)
            if (bytes.IndexOf(Pattern(port)) >= 0) return name;
        return null;
    }

    private static byte[] Pattern(int port)
    {
        var pattern = new List<byte> { 0x12, 9 };
        pattern.AddRange("127.0.0.1"u8.ToArray());
        pattern.Add(0x18);
        for (var value = (uint)port; ; value >>= 7)
        {
            if (value < 0x80)
            {
                pattern.Add((byte)value);
                break;
            }
            pattern.Add((byte)(value & 0x7F | 0x80));
        }
        return [.. pattern];
    }
}
