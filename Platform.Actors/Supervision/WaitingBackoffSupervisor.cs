using Akka.Actor;
using Akka.Event;
using Platform.Actors.Configuration;

namespace Platform.Actors.Supervision;

/// <summary>
/// Runs one child and starts it again, after a growing backoff, whenever it stops (a persistent singleton stops
/// after a failed journal write or recovery). Akka's <see cref="Akka.Pattern.BackoffSupervisor"/> does the same but
/// sends what arrives during the backoff to dead letters, so an admin request that came in then timed out after the
/// request timeout (30 s); it can only answer one fixed message, and the registry's requests each need their own
/// reply type. Here such messages wait, with their senders, up to <see cref="RestartBackoff.MaxWaiting"/>, and the
/// child gets them once it is back: the requester is answered by the child, late by at most the backoff (10 s at most
/// by default). Beyond the bound they go to dead letters, as before, so a child that never comes back holds no
/// unbounded memory.
/// </summary>
internal sealed class WaitingBackoffSupervisor : ReceiveActor, IWithTimers
{
    /// <summary>The backoff is over: start the child.</summary>
    private sealed record StartChild
    {
        public static readonly StartChild Instance = new();
    }

    /// <summary>The child has run for the minimal backoff: its next stop starts counting from the first wait again.</summary>
    private sealed record ResetRestarts
    {
        public static readonly ResetRestarts Instance = new();
    }

    private readonly Props _childProps;
    private readonly string _childName;
    private readonly RestartBackoff _backoff;
    private readonly Queue<(object Message, IActorRef Sender)> _waiting = new();
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private IActorRef? _child;
    private int _restarts;

    public WaitingBackoffSupervisor(Props childProps, string childName, RestartBackoff backoff)
    {
        _childProps = childProps;
        _childName = childName;
        _backoff = backoff;

        Receive<Terminated>(t => t.ActorRef.Equals(_child), _ => ChildStopped());
        Receive<StartChild>(_ => Start());
        Receive<ResetRestarts>(_ => _restarts = 0);
        ReceiveAny(message =>
        {
            if (_child is not null) _child.Forward(message);
            else if (_waiting.Count < _backoff.MaxWaiting) _waiting.Enqueue((message, Sender));
            else Context.System.DeadLetters.Tell(new DeadLetter(message, Sender, Self));
        });
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(Props childProps, string childName, RestartBackoff backoff) =>
        Akka.Actor.Props.Create(() => new WaitingBackoffSupervisor(childProps, childName, backoff));

    protected override void PreStart() => Start();

    private void Start()
    {
        _child = Context.Watch(Context.ActorOf(_childProps, _childName));
        Timers.StartSingleTimer(nameof(ResetRestarts), ResetRestarts.Instance, _backoff.Min);
        if (_waiting.Count > 0) _log.Info("{Child} started again; handing it {Count} requests that waited", _childName, _waiting.Count);
        while (_waiting.TryDequeue(out var waiting)) _child.Tell(waiting.Message, waiting.Sender);
    }

    private void ChildStopped()
    {
        _child = null;
        Timers.Cancel(nameof(ResetRestarts));
        var delay = _backoff.Delay(_restarts++);
        _log.Warning("{Child} stopped; starting it again in {Delay} (requests meanwhile wait for it)", _childName, delay);
        Timers.StartSingleTimer(nameof(StartChild), StartChild.Instance, delay);
    }
}
