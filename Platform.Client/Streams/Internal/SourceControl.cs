namespace Platform.Client.Streams.Internal;

/// <summary>
/// The <see cref="IControl"/> of a source: Stop completes the stage (the consumer stays open for commits),
/// Shutdown also closes the session once the stream's commits caught up.
/// </summary>
internal sealed class SourceControl(ConsumerSession session) : IControl
{
    private readonly TaskCompletionSource _stageStopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Action? _stop;
    private bool _stopRequested;

    public ConsumerSession Session { get; } = session;

    /// <summary>Whether Stop or Shutdown asked the stage to complete (the session then stays open until Shutdown).</summary>
    public bool StopRequested
    {
        get
        {
            lock (_stageStopped) return _stopRequested;
        }
    }

    /// <summary>The stage's way to complete itself from any thread (an async callback); a Stop that came first is carried out now.</summary>
    public void Attach(Action stop)
    {
        bool stopNow;
        lock (_stageStopped)
        {
            _stop = stop;
            stopNow = _stopRequested;
        }
        if (stopNow) stop();
    }

    public void StageStopped() => _stageStopped.TrySetResult();

    public Task Stop()
    {
        Action? stop;
        lock (_stageStopped)
        {
            _stopRequested = true;
            stop = _stop;
        }
        stop?.Invoke();
        return _stageStopped.Task;
    }

    public async Task Shutdown()
    {
        await Stop();
        await Session.CloseAsync(waitForCommits: true);
    }

    public Task IsShutdown => Session.Closed;

    public async Task<T> DrainAndShutdown<T>(Task<T> streamCompletion)
    {
        await Stop();
        T result;
        try
        {
            result = await streamCompletion;
        }
        catch
        {
            await Shutdown();
            throw;
        }
        await Shutdown();
        return result;
    }
}
