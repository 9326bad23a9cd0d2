using Akka.Actor;
using Akka.Cluster;
using Akka.Event;
using Akka.Pattern;
using Akka.Persistence;
using Platform.Actors.Configuration;

namespace Platform.Actors.Storage;

/// <summary>
/// The identity of the storage a node runs on: a cluster id written to the journal by the first node that starts
/// on it (Kafka's cluster.id, which <c>kafka-storage format</c> writes to every log directory), read back by every
/// node after. Nodes of one cluster share one journal, so they read the same id; a node on another database reads
/// another one, and <see cref="CheckSeedsAsync"/> refuses to let it join, before sharding could move partitions
/// onto a store where their logs are empty. It is also the cluster id Kafka's Metadata and DescribeCluster report.
/// Every node runs one at <c>/user/cluster-identity</c>, answering <see cref="GetClusterId"/> to nodes that start.
/// </summary>
internal sealed class ClusterIdentity : ReceivePersistentActor
{
    public const string Name = "cluster-identity";
    public const string PersistenceIdValue = "cluster-identity";

    private readonly ILoggingAdapter _log = Context.GetLogger();
    private string? _clusterId;

    public ClusterIdentity()
    {
        Recover<ClusterIdCreated>(e => _clusterId ??= e.ClusterId);
        Recover<RecoveryCompleted>(_ =>
        {
            if (_clusterId is not null) return;
            // First start on this journal. Nodes starting together on an empty journal race here; the journal's
            // unique (persistence_id, sequence_nr) key keeps one write, the others fail, stop and are restarted by
            // their supervisor, and read the winner's id.
            Persist(new ClusterIdCreated(NewClusterId()), e =>
            {
                _clusterId = e.ClusterId;
                _log.Info("Wrote cluster id {ClusterId} to a new journal", e.ClusterId);
            });
        });
        Command<GetClusterId>(_ => Sender.Tell(new ClusterIdIs(_clusterId)));
    }

    public override string PersistenceId => PersistenceIdValue;

    /// <summary>Restarted after a failed first write (another node's won) or a journal that did not answer.</summary>
    public static Props SupervisedProps(ProducerIdSettings backoff) =>
        BackoffSupervisor.Props(Props.Create(() => new ClusterIdentity()), "identity",
            backoff.RestartMinBackoff, backoff.RestartMaxBackoff, backoff.RestartRandomFactor);

    /// <summary>A Kafka-style cluster id: 16 random bytes in URL-safe base64 without padding (22 characters).</summary>
    public static string NewClusterId() =>
        Convert.ToBase64String(Guid.NewGuid().ToByteArray()).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    /// <summary>The cluster id of this node's journal, once its identity has read (or written) it.</summary>
    public static async Task<string> LocalAsync(IActorRef identity, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            try
            {
                if ((await identity.Ask<ClusterIdIs>(GetClusterId.Instance, TimeSpan.FromSeconds(2))).ClusterId is { } id) return id;
            }
            catch (AskTimeoutException) when (DateTime.UtcNow < deadline)
            {
                // Recovering, or restarting after a lost first write: ask again.
            }
            catch (AskTimeoutException)
            {
                throw new TimeoutException($"The node could not read its cluster id from the journal within {timeout}: is the storage reachable?");
            }
            if (DateTime.UtcNow >= deadline)
                throw new TimeoutException($"The node could not read its cluster id from the journal within {timeout}: is the storage reachable?");
            await Task.Delay(TimeSpan.FromMilliseconds(200));
        }
    }

    /// <summary>
    /// Before a node joins its seeds: asks the other seeds' identities for their cluster id, and throws when one
    /// answers an id other than <paramref name="clusterId"/> (the node's journal is not the cluster's). The first
    /// seed, which forms the cluster when no other seed runs, waits only <paramref name="firstSeedWait"/> for an
    /// answer; any other node can only join through a running seed, so it waits up to <paramref name="timeout"/>
    /// and never joins unchecked.
    /// </summary>
    public static async Task CheckSeedsAsync(ActorSystem system, IReadOnlyList<Address> seeds, string clusterId, TimeSpan timeout,
        TimeSpan firstSeedWait)
    {
        var self = Cluster.Get(system).SelfAddress;
        var others = seeds.Where(seed => !SameNode(seed, self)).ToList();
        if (others.Count == 0) return;
        var firstSeed = SameNode(seeds[0], self);
        var deadline = DateTime.UtcNow + (firstSeed ? firstSeedWait : timeout);
        while (true)
        {
            var answers = await Task.WhenAll(others.Select(seed => AskAsync(system, seed)));
            if (answers.FirstOrDefault(a => a.ClusterId is not null) is ({ } seed, { } theirs))
            {
                if (theirs == clusterId) return;
                throw new InvalidOperationException(
                    $"This node's journal holds cluster id {clusterId}, but the cluster of seed {seed.Host}:{seed.Port} has cluster id {theirs}: " +
                    "a node must use the journal (the PostgreSQL database) of the cluster it joins; check --connection-string.");
            }
            if (DateTime.UtcNow >= deadline)
            {
                if (firstSeed) return; // no other seed runs: this node forms the cluster, as Akka's first seed does
                throw new TimeoutException(
                    $"No seed ({string.Join(", ", others.Select(s => $"{s.Host}:{s.Port}"))}) told its cluster id within {timeout}, so this node did not join");
            }
            await Task.Delay(TimeSpan.FromMilliseconds(500));
        }
    }

    private static async Task<(Address Seed, string? ClusterId)> AskAsync(ActorSystem system, Address seed)
    {
        try
        {
            var selection = system.ActorSelection(new RootActorPath(seed) / "user" / Name);
            return (seed, (await selection.Ask<ClusterIdIs>(GetClusterId.Instance, TimeSpan.FromSeconds(2))).ClusterId);
        }
        catch (Exception e) when (e is AskTimeoutException or ActorNotFoundException)
        {
            return (seed, null);
        }
    }

    private static bool SameNode(Address a, Address b) =>
        a.Port == b.Port && string.Equals(a.Host, b.Host, StringComparison.OrdinalIgnoreCase);
}
