using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using Akka.Actor;
using Akka.Actor.Setup;
using Akka.Cluster;
using Akka.Configuration;
using Akka.Event;
using Akka.Remote.Transport.DotNetty;
using Akka.TestKit;
using Confluent.Kafka;
using Platform.Actors.Hosting;
using Platform.Actors.Remoting;
using Platform.Actors.Topics;
using Platform.Specs.Support;
using Xunit.Abstractions;
using Error = Akka.Event.Error;
using ErrorCode = Platform.Protocol.ErrorCode;

namespace Platform.Specs.Remoting;

/// <summary>
/// Real nodes with real remoting on 127.0.0.1: members of the cluster's CA form a cluster; an ActorSystem
/// without a certificate of that CA (a rogue on the network) can neither join nor reach any actor, and
/// the node keeps serving its Kafka clients.
/// </summary>
[Trait("Category", "MultiNode")]
public sealed class MutualTlsNodeSpecs(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(output: output)
{
    private static readonly TimeSpan NoAnswer = TimeSpan.FromSeconds(3);
    private static readonly TestCertificates Certs = TestCertificates.Create();

    [Fact]
    [Trait("Category", "Postgres")]
    public async Task Two_nodes_with_certificates_of_the_cluster_CA_form_a_cluster_and_reach_each_others_actors()
    {
        var port = HostProcess.FreePort();
        var seeds = new[] { $"127.0.0.1:{port}" };
        // Members of a cluster share one journal (a node on its own SQLite file refuses to join).
        var database = await TestPostgres.NewDatabaseAsync();
        await using var first = await TestNode.StartAsync(port: port, seeds: seeds, tls: Certs.TlsFor("n1"), postgres: database);
        await using var second = await TestNode.StartAsync(seeds: seeds, tls: Certs.TlsFor("n2"), postgres: database);

        Assert.Equal(RemotingExposure.MutualTls, first.Remoting);
        Assert.Equal("akka.ssl.tcp", Cluster.Get(first.System).SelfAddress.Protocol);
        AwaitAssert(() => Assert.Equal(2, UpMembers(first)), TimeSpan.FromSeconds(10));
        // What a rogue is refused below, a member gets: an answer from the other node's actors.
        var probe = CreateTestProbe(second.System);
        second.System.ActorSelection(new RootActorPath(Cluster.Get(first.System).SelfAddress) / "user" / "topic-registry").Tell(new Identify("registry"), probe.Ref);
        Assert.NotNull(probe.ExpectMsg<ActorIdentity>(TimeSpan.FromSeconds(5)).Subject);
    }

    [Fact]
    public async Task A_rogue_without_a_certificate_cannot_join_or_reach_any_actor_and_the_node_keeps_serving()
    {
        await using var node = await TestNode.StartAsync(tls: Certs.TlsFor("n1"));
        var log = NodeWarnings(node);
        var rogue = ActorSystem.Create(PlatformNode.SystemName, RogueConfig);
        try
        {
            // It speaks plain Akka.Remote to the node's remoting port, as anything on the network can.
            var target = new Address("akka.tcp", PlatformNode.SystemName, "127.0.0.1", Cluster.Get(node.System).SelfAddress.Port);
            await AssertLockedOut(node, rogue, target, log);
        }
        finally
        {
            await rogue.Terminate();
        }
    }

    [Fact]
    public async Task A_rogue_with_a_certificate_of_another_CA_cannot_join_or_reach_any_actor_and_the_node_keeps_serving()
    {
        await using var node = await TestNode.StartAsync(tls: Certs.TlsFor("n1"));
        var log = NodeWarnings(node);
        // Another CA with the very same name, and a rogue that trusts anything the node presents.
        var impostor = TestCertificates.Create();
        var ssl = new DotNettySslSetup(impostor.Node("n1"), suppressValidation: true, requireMutualAuthentication: true);
        var rogueConfig = ConfigurationFactory.ParseString("akka.remote.dot-netty.tcp.enable-ssl = on").WithFallback(RogueConfig);
        var rogue = ActorSystem.Create(PlatformNode.SystemName, ActorSystemSetup.Create(BootstrapSetup.Create().WithConfig(rogueConfig), ssl));
        try
        {
            var target = Cluster.Get(node.System).SelfAddress;
            await AssertLockedOut(node, rogue, target, log, "is not accepted");
        }
        finally
        {
            await rogue.Terminate();
        }
    }

    [Fact]
    public async Task A_node_alone_without_certificates_binds_remoting_to_loopback_whatever_its_host()
    {
        await using var node = await TestNode.StartAsync(host: "0.0.0.0");
        Assert.Equal(RemotingExposure.Loopback, node.Remoting);
        var self = Cluster.Get(node.System).SelfAddress;
        Assert.Equal(("akka.tcp", "127.0.0.1"), (self.Protocol, self.Host));
        // The Kafka listener keeps the host it was given; remoting answers on loopback only.
        Assert.Equal("0.0.0.0", node.Kafka.AdvertisedHost);
        await ConnectAsync(IPAddress.Loopback, self.Port!.Value);
        if (ExternalAddress() is { } external)
        {
            await ConnectAsync(external, node.Kafka.Port);
            await Assert.ThrowsAnyAsync<SocketException>(() => ConnectAsync(external, self.Port.Value));
        }
    }

    private static readonly Akka.Configuration.Config RogueConfig = ConfigurationFactory.ParseString("""
        akka.loglevel = WARNING
        akka.actor.provider = cluster
        akka.remote.dot-netty.tcp { hostname = "127.0.0.1", port = 0 }
        akka.cluster.seed-node-timeout = 1s
        akka.cluster.retry-unsuccessful-join-after = 1s
        """);

    /// <summary>
    /// The rogue asks to join and asks the topic registry and the partition region who they are: no
    /// actor answers, no new member, the refused handshake in the node's log, and a Kafka client still served.
    /// </summary>
    private async Task AssertLockedOut(PlatformNode node, ActorSystem rogue, Address target, TestProbe log, string? refusal = null)
    {
        Cluster.Get(rogue).Join(target);
        var probe = CreateTestProbe(rogue);
        rogue.ActorSelection(new RootActorPath(target) / "user" / "topic-registry").Tell(new Identify("registry"), probe.Ref);
        rogue.ActorSelection(new RootActorPath(target) / "system" / "sharding" / "partition").Tell(new Identify("partitions"), probe.Ref);
        // The rogue's own remoting may answer "no such actor" (an ActorIdentity without subject) when its
        // association fails; an answer naming an actor would mean the message got through.
        var deadline = DateTime.UtcNow + NoAnswer;
        for (var left = NoAnswer; left > TimeSpan.Zero; left = deadline - DateTime.UtcNow)
        {
            if (probe.ReceiveOne(left) is not { } answer) break;
            Assert.Null(Assert.IsType<ActorIdentity>(answer).Subject);
        }

        Assert.Equal(1, UpMembers(node));
        Assert.Single(Cluster.Get(node.System).State.Members);
        Assert.DoesNotContain(Cluster.Get(rogue).State.Members, m => m.Address == target);
        var refused = log.FishForMessage<LogEvent>(e => IsRefusal(e, refusal), TimeSpan.FromSeconds(5));
        Output?.WriteLine($"The node logged: {refused}");

        await ProduceAndFetchAsync(node);
    }

    /// <summary>The node's log entry for a refused handshake: plain Akka.Remote bytes where TLS was due, or our validator's verdict.</summary>
    private static bool IsRefusal(LogEvent e, string? expected)
    {
        var text = e + (e is Error { Cause: { } cause } ? " " + cause : "");
        return expected is null
            ? text.Contains("not an SSL/TLS record", StringComparison.Ordinal)
            : text.Contains("Refused the TLS handshake", StringComparison.Ordinal) && text.Contains(expected, StringComparison.Ordinal);
    }

    private TestProbe NodeWarnings(PlatformNode node)
    {
        var probe = CreateTestProbe(node.System);
        node.System.EventStream.Subscribe(probe.Ref, typeof(Warning));
        node.System.EventStream.Subscribe(probe.Ref, typeof(Error));
        return probe;
    }

    private static int UpMembers(PlatformNode node) => Cluster.Get(node.System).State.Members.Count(m => m.Status == MemberStatus.Up);

    /// <summary>One record through the node's Kafka listener with an unmodified Kafka client, and back.</summary>
    private static async Task ProduceAndFetchAsync(PlatformNode node)
    {
        var topic = "after-rogue-" + Guid.NewGuid().ToString("N")[..8];
        var created = await node.Registry.Ask<TopicCommandResult>(new CreateTopic(topic, 1, new Dictionary<string, string>()), TimeSpan.FromSeconds(10));
        Assert.Equal(ErrorCode.None, created.Error);
        using (var producer = new ProducerBuilder<Null, string>(new ProducerConfig { BootstrapServers = node.KafkaEndpoint, Acks = Acks.All, EnableIdempotence = false }).Build())
        {
            var delivered = await producer.ProduceAsync(topic, new Message<Null, string> { Value = "still serving" });
            Assert.Equal(PersistenceStatus.Persisted, delivered.Status);
        }
        using var consumer = new ConsumerBuilder<Null, string>(new ConsumerConfig
        {
            BootstrapServers = node.KafkaEndpoint,
            GroupId = "spec-" + Guid.NewGuid().ToString("N"),
            EnableAutoCommit = false,
        }).Build();
        consumer.Assign(new TopicPartitionOffset(topic, 0, Offset.Beginning));
        var record = await Eventually.ValueAsync(() => consumer.Consume(TimeSpan.FromMilliseconds(200)), r => r is not null,
            "the record produced to the node", TimeSpan.FromSeconds(10), TimeSpan.Zero);
        Assert.Equal("still serving", record?.Message.Value);
    }

    private static async Task ConnectAsync(IPAddress address, int port)
    {
        using var client = new TcpClient(address.AddressFamily);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(3));
        await client.ConnectAsync(address, port, timeout.Token);
    }

    /// <summary>An IPv4 address of this machine other than loopback, if it has one.</summary>
    private static IPAddress? ExternalAddress() => NetworkInterface.GetAllNetworkInterfaces()
        .Where(n => n.OperationalStatus == OperationalStatus.Up && n.NetworkInterfaceType != NetworkInterfaceType.Loopback)
        .SelectMany(n => n.GetIPProperties().UnicastAddresses)
        .Select(a => a.Address)
        .FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork && !IPAddress.IsLoopback(a));
}
