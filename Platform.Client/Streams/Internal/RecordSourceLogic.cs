using Akka.Streams;
using Akka.Streams.Stage;

namespace Platform.Client.Streams.Internal;

/// <summary>
/// What every record source stage does with demand: reads one record only when downstream pulls (so no
/// record leaves the consumer's bounded buffer before it is wanted), pushes a buffered record at once, and
/// otherwise finishes the read through an async callback. Failures fail the stage with the typed exception.
/// </summary>
internal abstract class RecordSourceLogic<T> : OutGraphStageLogic
{
    private readonly Outlet<T> _out;
    private readonly Func<ConsumerSession, ConsumeResult, T> _build;
    private readonly CancellationTokenSource _cancel = new();
    private Action<Task<ConsumeResult>>? _onRead;
    private bool _started;
    private bool _reading;

    protected RecordSourceLogic(SourceShape<T> shape, ConsumerSession session, Func<ConsumerSession, ConsumeResult, T> build) : base(shape)
    {
        _out = shape.Outlet;
        _build = build;
        Session = session;
        SetHandler(_out, this);
    }

    protected ConsumerSession Session { get; }

    /// <summary>The next record of this source; completes synchronously when one is buffered.</summary>
    protected abstract Task<ConsumeResult> ReadAsync(CancellationToken token);

    /// <summary>Starts reading once <paramref name="start"/> (connecting, assigning) has completed.</summary>
    protected void ReadAfter(Task start)
    {
        _onRead = GetAsyncCallback<Task<ConsumeResult>>(OnRead);
        var started = GetAsyncCallback<Task>(t =>
        {
            if (!t.IsCompletedSuccessfully)
            {
                FailStage(TaskFailure.Of(t));
                return;
            }
            _started = true;
            if (IsAvailable(_out)) Read();
        });
        start.ContinueWith(t => started(t), TaskContinuationOptions.ExecuteSynchronously);
    }

    public override void OnPull()
    {
        if (_started && !_reading) Read();
    }

    private void Read()
    {
        var read = ReadAsync(_cancel.Token);
        if (read.IsCompleted) OnRead(read);
        else
        {
            _reading = true;
            read.ContinueWith(_onRead!, TaskContinuationOptions.ExecuteSynchronously);
        }
    }

    private void OnRead(Task<ConsumeResult> read)
    {
        _reading = false;
        if (read.IsCanceled) return;
        if (read.IsFaulted)
        {
            FailStage(TaskFailure.Of(read));
            return;
        }
        var record = read.Result;
        Session.Emitted(record);
        Push(_out, _build(Session, record));
    }

    public override void PostStop() => _cancel.Cancel();
}
