using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Sharding;
using Akka.Cluster.Tools.Singleton;
using Akka.Configuration;
using Akka.Event;
using Platform.Actors.Configuration;
using Platform.Actors.Groups;
using Platform.Actors.Http;
using Platform.Actors.Kafka;
using Platform.Actors.Metrics;
using Platform.Actors.Partitions;
using Platform.Actors.Producers;
using Platform.Actors.Remoting;
using Platform.Actors.Storage;
using Platform.Actors.Topics;

namespace Platform.Actors.Hosting;

/// <summary>
/// A running broker node: an ActorSystem that joins the cluster and hosts the partition and group shard
/// regions (partition logs and group coordinators), the topic registry, group directory and producer id
/// allocator cluster singletons (with a proxy to each), the gateway (an in-process router; the cluster
/// status), and the Kafka listener with its topic cache and placement tracker, where every client connects. Its settings are read once,
/// here, from the node's HOCON. Stopping goes through CoordinatedShutdown, so the node stops taking Kafka
/// connections, leaves the cluster and hands its shards off before the process ends.
/// </summary>
public sealed class PlatformNode : IAsyncDisposable
{
    public const string SystemName = "platform";

    private readonly QuietReleaseSettings? _quietRelease;

    private PlatformNode(ActorSystem system, IActorRef gateway, IActorRef partitions, IActorRef registry, IActorRef producerIds, KafkaListener kafka,
        RemotingExposure remoting, OperatorEndpoint http, string clusterId, QuietReleaseSettings? quietRelease)
    {
        _quietRelease = quietRelease;
        ClusterId = clusterId;
        Http = http;
        System = system;
        Remoting = remoting;
        Gateway = gateway;
        Partitions = partitions;
        Registry = registry;
        ProducerIds = producerIds;
        Kafka = kafka;
    }

    /// <summary>
    /// The cluster id its journal holds, written by the first node that started on it: the id Kafka clients see in
    /// Metadata and DescribeCluster, the same on every node of the cluster.
    /// </summary>
    public string ClusterId { get; }

    /// <summary>The node's Kafka listener: what Kafka clients and Platform.Client connect to.</summary>
    internal KafkaListener Kafka { get; }

    /// <summary>host:port of the Kafka listener as clients are told to reach it (Kafka's bootstrap server).</summary>
    public string KafkaEndpoint => $"{Kafka.AdvertisedHost}:{Kafka.AdvertisedPort}";

    internal ActorSystem System { get; }

    /// <summary>The node's operator endpoint: health checks and Prometheus metrics over HTTP.</summary>
    internal OperatorEndpoint Http { get; }

    /// <summary>http://host:port of the operator endpoint, with the port bound (specs start nodes on port 0).</summary>
    public string HttpEndpoint => $"http://{Http.Host}:{Http.Port}";

    /// <summary>How the node's Akka.Remote port can be reached: loopback only, mutual TLS, or unprotected.</summary>
    public RemotingExposure Remoting { get; }

    internal IActorRef Gateway { get; }

    internal IActorRef Partitions { get; }

    internal IActorRef Registry { get; }

    /// <summary>
    /// The cluster's producer id allocator (a singleton, reached through this node's proxy): send it
    /// <see cref="AllocateProducerId"/> and it answers <see cref="ProducerIdAllocated"/>, as Kafka's InitProducerId needs.
    /// </summary>
    internal IActorRef ProducerIds { get; }

    /// <summary>host:port of the node's Akka.Remote endpoint, where cluster members (not clients: they use
    /// <see cref="KafkaEndpoint"/>) reach it.</summary>
    public string Endpoint
    {
        get
        {
            var address = Cluster.Get(System).SelfAddress;
            return $"{address.Host}:{address.Port}";
        }
    }

    public Task WhenTerminated => System.WhenTerminated;

    /// <summary>
    /// Starts a node on <paramref name="config"/> and returns once it is an Up cluster member, or throws after
    /// <paramref name="upTimeout"/> (<c>platform.node.join-timeout</c> unless given).
    /// </summary>
    public static async Task<PlatformNode> StartAsync(Config config, TimeSpan? upTimeout = null)
    {
        // Before anything is created: a node on a SQLite file of its own must not join other nodes.
        StorageChecks.RefuseSqliteInCluster(config);
        // Remoting is for cluster members only: mutual TLS, or loopback for a node alone without certificates.
        var remoting = RemotingSecurity.Plan(config);
        config = remoting.Config;
        var dataLock = await StartupGuards.PrepareStorageAsync(config);
        try
        {
            return await StartLockedAsync(config, remoting, dataLock, upTimeout);
        }
        catch
        {
            dataLock?.Dispose();
            throw;
        }
    }

    /// <summary>The rest of <see cref="StartAsync"/>, once the store is checked and the data directory locked.</summary>
    private static async Task<PlatformNode> StartLockedAsync(Config config, RemotingPlan remoting, DataDirectoryLock? dataLock, TimeSpan? upTimeout)
    {
        // Every setting is read here, once: a missing key stops the node before anything starts.
        var kafkaSettings = KafkaSettings.Create(config);
        var nodeSettings = NodeSettings.Create(config);
        var partitionSettings = PartitionSettings.Create(config); // with platform.tail-cache, which the node's TailCacheBudget reads
        var groupSettings = GroupSettings.Create(config);
        var gatewaySettings = GatewaySettings.Create(config);
        var producerIdSettings = ProducerIdSettings.Create(config);
        var httpSettings = HttpSettings.Create(config);
        // The Kafka listener binds first: the port it gets is announced to the cluster as a member role.
        var kafka = KafkaListener.Bind(kafkaSettings);
        var roles = config.GetStringList("akka.cluster.roles").Append(KafkaBrokers.Role(kafka.AdvertisedHost, kafka.AdvertisedPort));
        // The node joins its seeds itself, once it has checked that they run on its journal (ClusterIdentity).
        var seeds = config.GetStringList("akka.cluster.seed-nodes").Select(Address.Parse).ToList();
        config = ConfigurationFactory.ParseString($$"""
            akka.cluster.roles = [{{string.Join(", ", roles.Select(PlatformConfig.Quote))}}]
            akka.cluster.seed-nodes = []
            """).WithFallback(config);
        ActorSystem system;
        var checkpoints = new WalCheckpoints();
        try
        {
            StartupGuards.EnsureRemotingPortFree(config);
            // Kestrel binds for good later, once the ActorSystem runs; a taken port should stop the node before that.
            ExclusivePort.EnsureFree("The HTTP endpoint", StartupGuards.Resolve(httpSettings.Host), httpSettings.Port);
            var commits = new StorageCommits();
            system = ActorSystem.Create(SystemName, (remoting with { Config = config }).Setup(SqliteStorage.Setup(config, commits)).And(commits).And(checkpoints));
        }
        catch (Exception e)
        {
            await kafka.DisposeAsync();
            if (e is not NodeStartException && StartupGuards.RemotingBindFailure(config, e) is { } taken) throw taken;
            throw;
        }
        // Held until the last of the node is gone, so that no second node opens the file while this one may still write.
        if (dataLock is not null) system.RegisterOnTermination(dataLock.Dispose);
        // Stopped by the node's coordinated shutdown (its Dispose returns at once), not among the termination callbacks
        // with the lock's release: registered there, a node restarted on the same directory found the lock still held.
        var checkpointer = SqliteStorage.Checkpointer(config, system.Settings.Setup.Get<StorageCommits>().Value, checkpoints, system.Log);
        if (checkpointer is not null)
            CoordinatedShutdown.Get(system).AddTask(CoordinatedShutdown.PhaseBeforeActorSystemTerminate, "sqlite-checkpointer", () =>
            {
                checkpointer.Dispose();
                return Task.FromResult(Akka.Done.Instance);
            });
        try
        {
            if (remoting.Exposure == RemotingExposure.Unprotected) system.Log.Warning(RemotingSecurity.UnprotectedWarning);
            var metrics = BrokerMetrics.For(system); // an extension: the partitions and group coordinators record into it too
            await StorageChecks.WarnUnlessSynchronousCommitAsync(config, system.Log);
            var cluster = Cluster.Get(system);
            var up = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            cluster.RegisterOnMemberUp(() => up.TrySetResult());
            // Storage identity: the cluster id this node's journal holds (written by the first node on it) must be the
            // one its seeds hold, or the node is on another database and must not join them.
            var identity = system.ActorOf(ClusterIdentity.SupervisedProps(producerIdSettings), ClusterIdentity.Name);
            var clusterId = await ClusterIdentity.LocalAsync(identity, nodeSettings.JoinTimeout);
            await ClusterIdentity.CheckSeedsAsync(system, seeds, clusterId, nodeSettings.JoinTimeout, cluster.Settings.SeedNodeTimeout);
            if (seeds.Count == 0) cluster.Join(cluster.SelfAddress); // a cluster of one: join itself
            else cluster.JoinSeedNodes(seeds);

            var journalErrors = JournalErrors.ForJournal(system.Settings.Config);
            var sharding = ClusterSharding.Get(system);
            var shardingSettings = ClusterShardingSettings.Create(system);

            var registryProxy = system.ActorOf(ClusterSingletonProxy.Props("/user/topic-registry",
                ClusterSingletonProxySettings.Create(system)), "topic-registry-proxy");
            var partitions = await sharding.StartAsync(PartitionEntity.TypeName,
                entityId =>
                {
                    var (topicId, partition) = PartitionEntity.Parse(entityId);
                    return PartitionActor.Props(topicId, partition, registryProxy, partitionSettings, journalErrors);
                },
                shardingSettings,
                new PartitionMessageExtractor(partitionSettings.NumberOfShards),
                sharding.DefaultShardAllocationStrategy(shardingSettings),
                StopPartition.Instance);
            system.ActorOf(DroppedRequestAnswerer.Props(), "dropped-request-answerer");
            LeavingNodeWakeUp.Register(system, partitions, nodeSettings.PartitionWakeBatch);
            system.ActorOf(ClusterSingletonManager.Props(TopicRegistry.SupervisedProps(partitions, nodeSettings, TopicLimits.Of(nodeSettings, kafkaSettings)),
                PoisonPill.Instance, ClusterSingletonManagerSettings.Create(system)), "topic-registry");

            system.ActorOf(ClusterSingletonManager.Props(ProducerIdAllocator.SupervisedProps(producerIdSettings),
                PoisonPill.Instance, ClusterSingletonManagerSettings.Create(system)), "producer-ids");
            var producerIds = system.ActorOf(ClusterSingletonProxy.Props("/user/producer-ids",
                ClusterSingletonProxySettings.Create(system)), "producer-ids-proxy");

            // Coordinators report to the directory and the directory forwards to them: the proxy first (it only
            // needs the singleton's path), then the region, then the directory itself with the region.
            var directoryProxy = system.ActorOf(ClusterSingletonProxy.Props("/user/group-directory",
                ClusterSingletonProxySettings.Create(system)), "group-directory-proxy");
            var groups = await sharding.StartAsync(GroupEntity.TypeName,
                groupId => GroupCoordinator.Props(groupId, groupSettings, registryProxy, directoryProxy, journalErrors),
                shardingSettings,
                new GroupMessageExtractor(groupSettings.NumberOfShards));
            system.ActorOf(ClusterSingletonManager.Props(GroupDirectory.Props(groups), PoisonPill.Instance,
                ClusterSingletonManagerSettings.Create(system)), "group-directory");
            var groupRouter = new GroupRouter(groups, directoryProxy, groupSettings);

            var gateway = system.ActorOf(Platform.Actors.Gateway.Gateway.Props(registryProxy, partitions, groups, groupRouter, directoryProxy, gatewaySettings, nodeSettings),
                Platform.Actors.Gateway.Gateway.Name);

            var topicCache = new TopicCache();
            system.ActorOf(TopicCacheSubscriber.Props(topicCache, registryProxy, nodeSettings), "kafka-topic-cache");
            var placement = new Placement();
            system.ActorOf(PlacementTracker.Props(placement, partitions, groups, kafkaSettings, nodeSettings), "kafka-placement");
            var memberLoss = new MemberLoss(cluster.SelfAddress);
            system.ActorOf(MemberLossTracker.Props(memberLoss), "kafka-member-loss");
            var services = new KafkaServices(system, partitions, groups, groupRouter, registryProxy, directoryProxy, gateway, producerIds, topicCache, placement,
                new KafkaBrokers(cluster), kafkaSettings, nodeSettings, partitionSettings, groupSettings)
                { Metrics = metrics, ClusterId = clusterId, MemberLoss = memberLoss };
            // Clients go elsewhere as soon as the node starts leaving; their requests in flight still finish.
            CoordinatedShutdown.Get(system).AddTask(CoordinatedShutdown.PhaseServiceUnbind, "kafka-listener", async () =>
            {
                await kafka.StopAsync();
                return Akka.Done.Instance;
            });

            // Up before the node joins, so that /health/ready can say why it is not ready yet; down last.
            var http = await OperatorEndpoint.StartAsync(system, httpSettings, kafkaSettings, kafka, metrics, registryProxy, partitions, groups, topicCache,
                placement, partitionSettings.NumberOfShards);
            CoordinatedShutdown.Get(system).AddTask(CoordinatedShutdown.PhaseBeforeActorSystemTerminate, "http-endpoint", async () =>
            {
                await http.DisposeAsync();
                metrics.Dispose();
                return Akka.Done.Instance;
            });

            var timeout = upTimeout ?? nodeSettings.JoinTimeout;
            if (await Task.WhenAny(up.Task, Task.Delay(timeout)) != up.Task)
                throw new TimeoutException($"The node did not become an Up cluster member within {timeout}");
            kafka.Start(KafkaServer.CreateApis(services), Akka.Event.Logging.GetLogger(system, "kafka"));
            return new PlatformNode(system, gateway, partitions, registryProxy, producerIds, kafka, remoting.Exposure, http, clusterId,
                nodeSettings.ReleaseMemoryWhenQuiet);
        }
        catch
        {
            checkpointer?.Dispose();
            await kafka.DisposeAsync();
            await system.Terminate();
            throw;
        }
    }

    /// <summary>
    /// For a process that runs this node and nothing else (<c>platform node</c>), until the node stops: gives memory the
    /// node no longer needs back to the OS (a compacting collection and glibc's free native heap pages,
    /// <see cref="MemoryRelease"/>) when it is quiet and has allocated enough since the last release, start-up included
    /// (<c>platform.node.release-memory-when-quiet</c>, <see cref="QuietWatch"/>), and logs what it gave back. Not part
    /// of <see cref="StartAsync"/> because both are process-wide: a node embedded in another process (the specs run
    /// dozens in one) leaves that process's heaps to it. Returns at once when the setting is off.
    /// </summary>
    public async Task ReleaseMemoryWhenQuietAsync()
    {
        if (_quietRelease is not { } settings) return;
        // Not disposed: the continuation may cancel it after this method has returned, and it holds no timer.
        var stopped = new CancellationTokenSource();
        _ = System.WhenTerminated.ContinueWith(_ => stopped.Cancel(), TaskScheduler.Default);
        using var windows = new PeriodicTimer(settings.Window);
        var allocated = GC.GetTotalAllocatedBytes();
        var watch = new QuietWatch(settings.QuietAllocation, settings.Reclaimable, allocatedBefore: allocated);
        try
        {
            while (await windows.WaitForNextTickAsync(stopped.Token))
            {
                var now = GC.GetTotalAllocatedBytes();
                var inWindow = now - allocated;
                allocated = now;
                if (!watch.ReleaseAfter(inWindow)) continue;
                var report = MemoryRelease.Run(); // a blocking collection: on this pool thread, never in an actor
                System.Log.Info("Quiet ({AllocatedKiB} KiB allocated in the last window): released memory in {ElapsedMs} ms, RSS {RssBeforeMiB} -> " +
                    "{RssAfterMiB} MiB, managed heap {CommittedMiB} MiB committed, native heap trimmed: {NativeHeapTrimmed}", inWindow >> 10,
                    (long)report.Elapsed.TotalMilliseconds, report.RssBefore >> 20, report.RssAfter >> 20, report.CommittedBytes >> 20, report.NativeHeapTrimmed);
                allocated = GC.GetTotalAllocatedBytes(); // the release's own allocations are not the next window's
            }
        }
        catch (OperationCanceledException)
        {
            // The node stopped.
        }
    }

    /// <summary>Leaves the cluster, hands off shards and terminates the ActorSystem.</summary>
    public Task StopAsync() => CoordinatedShutdown.Get(System).Run(CoordinatedShutdown.ClrExitReason.Instance);

    public async ValueTask DisposeAsync() => await StopAsync();
}
