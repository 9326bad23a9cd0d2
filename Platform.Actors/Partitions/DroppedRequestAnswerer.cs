using Akka.Actor;
using Akka.Event;
using Platform.Actors.Groups;
using Platform.Protocol;

namespace Platform.Actors.Partitions;

/// <summary>
/// Answers a partition request that this node dropped without delivering it (a dead letter) with the retriable
/// NOT_LEADER_OR_FOLLOWER, and a group request with NOT_COORDINATOR, so that its sender, and the Kafka client behind
/// it, retries at once.
/// </summary>
/// <remarks>
/// Why: Akka's shard region drops the messages it buffered for a shard between the coordinator's BeginHandOff and
/// HandOff ("Dropping [n] buffered messages to shard [s] during hand off to avoid re-ordering"), a hand-off being
/// every move of a rolling restart: the leave and the rebalance back onto the restarted node. Those are requests
/// other nodes forwarded to the partition's old home; dropped, each cost the producer its whole request timeout
/// (5 s) although the partition was serving again elsewhere within a fraction of a second. A dropped request
/// was never processed, so rejecting it is exact: the idempotent producer re-sends the same sequence numbers.
/// Sharding publishes these drops on the event stream (<see cref="Dropped"/>, with the original sender), as it
/// does messages a stopped entity or region never received (<see cref="DeadLetter"/>). A group coordinator stops
/// without a hand-off when it finds itself fenced by another incarnation; requests that reach it between its stop
/// and its shard's noticing were never processed either, and the retry starts the coordinator again.
/// </remarks>
internal sealed class DroppedRequestAnswerer : ReceiveActor
{
    public DroppedRequestAnswerer()
    {
        Receive<AllDeadLetters>(letter =>
        {
            // Sharding tells dead letters a Dropped, which the dead letters' actor publishes wrapped in a DeadLetter.
            var (message, sender) = letter.Message is Dropped dropped ? (dropped.Message, dropped.Sender) : (letter.Message, letter.Sender);
            if (sender is null || sender.IsNobody() || sender.Equals(Context.System.DeadLetters)) return;
            switch (message)
            {
                case IPartitionRequest request:
                    sender.Tell(request.Reject(ErrorCode.NotLeaderOrFollower,
                        $"Partition {request.Partition} is being handed to another node and this request was not delivered: ask for metadata and send again"));
                    break;
                case IGroupMessage group:
                    sender.Tell(GroupReplies.Refusal(group, ErrorCode.NotCoordinator,
                        $"The coordinator of group {group.GroupId} stopped before this request was delivered: find the coordinator and send again"));
                    break;
            }
        });
    }

    protected override void PreStart() => Context.System.EventStream.Subscribe(Self, typeof(AllDeadLetters));

    protected override void PostStop() => Context.System.EventStream.Unsubscribe(Self);

    public static Props Props() => Akka.Actor.Props.Create(() => new DroppedRequestAnswerer());
}
