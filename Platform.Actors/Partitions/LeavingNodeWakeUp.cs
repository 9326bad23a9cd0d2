using Akka;
using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Sharding;
using Akka.Event;

namespace Platform.Actors.Partitions;

/// <summary>
/// On a graceful leave, wakes the partitions this node hosted through the other members' shard regions as soon as its
/// own region has handed them off. Why: until a request arrives, a handed-off partition runs nowhere, and every region
/// must ask the shard coordinator for its new home. When the leaving node is the oldest, the coordinator leaves with
/// it: a request after the singleton hand-over waited for the next coordinator's start (its state read plus Akka's
/// fixed 500 ms, 1.2-2.6 s after SIGTERM under load; docs/reliability.md, "Rolling restart"). The leave phase runs
/// before the hand-over, so the wakes reach the coordinator while it is still active: it allocates the partitions,
/// they recover, and the regions that asked know the new homes when the producers' retries arrive. At most
/// partition-wake-batch of them, as the topic registry's wakes, so that a node hosting thousands does not start
/// thousands of recoveries at once; the rest start on their next request or the registry's wake after the removal.
/// </summary>
internal static class LeavingNodeWakeUp
{
    public static void Register(ActorSystem system, IActorRef partitions, int batch)
    {
        var shutdown = CoordinatedShutdown.Get(system);
        // Bounded by the phase's own timeout (Akka's coordinated-shutdown settings), whatever the listing takes.
        var timeout = shutdown.Timeout(CoordinatedShutdown.PhaseBeforeClusterShutdown);
        var cluster = Cluster.Get(system);
        var log = Akka.Event.Logging.GetLogger(system, nameof(LeavingNodeWakeUp));
        IReadOnlyList<WakePartition> hosted = [];
        // Before the region's hand-off (cluster-sharding-shutdown-region is the next phase): what runs here now.
        shutdown.AddTask(CoordinatedShutdown.PhaseBeforeClusterShutdown, "partitions-hosted", async () =>
        {
            try
            {
                var state = await partitions.Ask<CurrentShardRegionState>(GetShardRegionState.Instance, timeout);
                hosted = state.Shards.SelectMany(s => s.EntityIds).Select(id => PartitionEntity.Parse(id))
                    .Take(batch).Select(p => new WakePartition(p.TopicId, p.Partition)).ToList();
            }
            catch (Exception e) when (e is AskTimeoutException or TaskCanceledException)
            {
                // Best effort: the partitions then start on the next request, as without this.
                log.Warning("Leaving: the partitions this node hosts were not listed within {Timeout}; they start elsewhere on their next request", timeout);
            }
            return Done.Instance;
        });
        // After the hand-off, beside the leave itself (tasks of one phase run together).
        shutdown.AddTask(CoordinatedShutdown.PhaseClusterLeave, "wake-handed-off-partitions", () =>
        {
            var others = cluster.State.Members
                .Where(m => m.Status == MemberStatus.Up && m.Address != cluster.SelfAddress && m.HasRole("broker")).ToList();
            foreach (var other in others)
            {
                var region = system.ActorSelection(new RootActorPath(other.Address) / "system" / "sharding" / PartitionEntity.TypeName);
                foreach (var wake in hosted) region.Tell(wake, ActorRefs.NoSender);
            }
            if (hosted.Count > 0)
                log.Info("Leaving: woke the {Count} partitions this node handed off through {Members} other members", hosted.Count, others.Count);
            return Task.FromResult(Done.Instance);
        });
    }
}
