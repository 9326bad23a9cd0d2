using Akka.Actor;
using Platform.Actors;
using Platform.Actors.Partitions;

namespace Platform.Client;

/// <summary>
/// The one actor through which a producer sends its batches. A single sender keeps Akka's per-pair
/// ordering guarantee end to end (channel → gateway → partition), so several batches may be in flight to
/// one partition without reordering; results are matched by correlation id instead of an Ask per batch.
/// </summary>
internal sealed class ProducerChannel : ReceiveActor, IWithTimers
{
    internal sealed record Send(Produce Request, TaskCompletionSource<ProduceResult> Completion);

    private sealed class CheckTimeouts
    {
        public static readonly CheckTimeouts Instance = new();
    }

    private readonly Dictionary<long, (Send Send, DateTime Deadline)> _inFlight = new();
    private long _nextCorrelationId;

    public ProducerChannel(IActorRef gateway, TimeSpan requestTimeout)
    {
        Receive<Send>(send =>
        {
            var id = ++_nextCorrelationId;
            _inFlight[id] = (send, DateTime.UtcNow + requestTimeout);
            gateway.Tell(send.Request with { CorrelationId = id });
        });
        Receive<ProduceResult>(result =>
        {
            if (_inFlight.Remove(result.CorrelationId, out var entry)) entry.Send.Completion.TrySetResult(result);
        });
        Receive<CheckTimeouts>(_ =>
        {
            var now = DateTime.UtcNow;
            foreach (var (id, entry) in _inFlight.Where(e => e.Value.Deadline <= now).ToList())
            {
                _inFlight.Remove(id);
                entry.Send.Completion.TrySetResult((ProduceResult)entry.Send.Request.Reject(ErrorCode.RequestTimedOut,
                    $"No acknowledgement within {requestTimeout.TotalSeconds:0.#} s"));
            }
        });
    }

    public ITimerScheduler Timers { get; set; } = null!;

    protected override void PreStart() =>
        Timers.StartPeriodicTimer("timeouts", CheckTimeouts.Instance, TimeSpan.FromMilliseconds(250));

    protected override void PostStop()
    {
        foreach (var entry in _inFlight.Values)
            entry.Send.Completion.TrySetResult((ProduceResult)entry.Send.Request.Reject(ErrorCode.RequestTimedOut, "The producer was closed"));
    }

    public static Props Props(IActorRef gateway, TimeSpan requestTimeout) =>
        Akka.Actor.Props.Create(() => new ProducerChannel(gateway, requestTimeout));
}
