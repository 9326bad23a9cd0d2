using Akka.Actor;
using Platform.Actors;
using Platform.Actors.Partitions;

namespace Platform.Client;

/// <summary>
/// The one actor through which a producer sends its batches. A single sender keeps Akka's per-pair
/// ordering guarantee end to end (channel → gateway → partition), so several batches may be in flight to
/// one partition without reordering; results are matched by correlation id instead of an Ask per batch.
/// It follows the connection's gateway: while there is none, batches wait here; when the gateway is lost,
/// every batch sent through it fails with the retriable NetworkException, and the producer re-sends them
/// in order (idempotence turns those that did arrive into their original acknowledgement).
/// </summary>
internal sealed class ProducerChannel : ReceiveActor, IWithTimers
{
    internal sealed record Send(Produce Request, TaskCompletionSource<ProduceResult> Completion);

    private sealed class CheckTimeouts
    {
        public static readonly CheckTimeouts Instance = new();
    }

    private sealed record Entry(Send Send, DateTime Deadline);

    // Ordered by correlation id, so that waiting batches leave in the order they came.
    private readonly SortedDictionary<long, Entry> _inFlight = new();
    private readonly Queue<(long Id, Entry Entry)> _waiting = new();
    private IActorRef? _gateway;
    private long _nextCorrelationId;

    public ProducerChannel(IActorRef link, TimeSpan requestTimeout)
    {
        link.Tell(new ConnectionLink.Subscribe(Self));
        Receive<Send>(send =>
        {
            var id = ++_nextCorrelationId;
            var entry = new Entry(send, DateTime.UtcNow + requestTimeout);
            if (_gateway is null)
            {
                _waiting.Enqueue((id, entry));
                return;
            }
            Transmit(id, entry);
        });
        Receive<ProduceResult>(result =>
        {
            if (_inFlight.Remove(result.CorrelationId, out var entry)) entry.Send.Completion.TrySetResult(result);
        });
        Receive<ConnectionLink.GatewayUp>(up =>
        {
            _gateway = up.Gateway;
            while (_waiting.TryDequeue(out var waiting)) Transmit(waiting.Id, waiting.Entry);
        });
        Receive<ConnectionLink.GatewayDown>(down =>
        {
            _gateway = null;
            FailInFlight($"The connection to {down.Gateway.Path.Address} broke before the batch was acknowledged");
        });
        // A batch routed to the partition's old home on a member that left is lost with it: re-send it now.
        // Batches that did arrive come back as duplicates with their original offsets.
        Receive<ConnectionLink.MemberGone>(gone =>
            FailInFlight($"Cluster member {gone.Address} left before the batch was acknowledged"));
        Receive<CheckTimeouts>(_ =>
        {
            var now = DateTime.UtcNow;
            foreach (var (id, entry) in _inFlight.Where(e => e.Value.Deadline <= now).ToList())
            {
                _inFlight.Remove(id);
                Fail(entry, ErrorCode.RequestTimedOut, $"No acknowledgement within {requestTimeout.TotalSeconds:0.#} s");
            }
            while (_waiting.TryPeek(out var waiting) && waiting.Entry.Deadline <= now)
            {
                _waiting.Dequeue();
                Fail(waiting.Entry, ErrorCode.RequestTimedOut, $"No node reachable within {requestTimeout.TotalSeconds:0.#} s");
            }
        });
    }

    public ITimerScheduler Timers { get; set; } = null!;

    private void Transmit(long id, Entry entry)
    {
        _inFlight[id] = entry;
        _gateway!.Tell(entry.Send.Request with { CorrelationId = id });
    }

    private void FailInFlight(string reason)
    {
        foreach (var entry in _inFlight.Values) Fail(entry, ErrorCode.NetworkException, reason);
        _inFlight.Clear();
    }

    private static void Fail(Entry entry, ErrorCode error, string message) =>
        entry.Send.Completion.TrySetResult((ProduceResult)entry.Send.Request.Reject(error, message));

    protected override void PreStart() =>
        Timers.StartPeriodicTimer("timeouts", CheckTimeouts.Instance, TimeSpan.FromMilliseconds(250));

    protected override void PostStop()
    {
        foreach (var entry in _inFlight.Values.Concat(_waiting.Select(w => w.Entry)))
            Fail(entry, ErrorCode.UnknownServerError, "The producer was closed"); // final: nothing retries after close
    }

    public static Props Props(IActorRef link, TimeSpan requestTimeout) =>
        Akka.Actor.Props.Create(() => new ProducerChannel(link, requestTimeout));
}
