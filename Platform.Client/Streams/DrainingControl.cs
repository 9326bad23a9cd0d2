namespace Platform.Client.Streams;

/// <summary>
/// A source's control together with the stream's completion (the committer sink's task): the common
/// materialized value of a pipeline, so that it can be stopped without losing commits:
/// <c>.ToMaterialized(Committer.Sink(settings), DrainingControl&lt;Done&gt;.Create)</c>.
/// </summary>
public sealed class DrainingControl<T> : IControl
{
    private DrainingControl(IControl control, Task<T> streamCompletion)
    {
        Control = control;
        StreamCompletion = streamCompletion;
    }

    public IControl Control { get; }

    public Task<T> StreamCompletion { get; }

    public static DrainingControl<T> Create(IControl control, Task<T> streamCompletion) => new(control, streamCompletion);

    public Task Stop() => Control.Stop();

    public Task Shutdown() => Control.Shutdown();

    public Task IsShutdown => Control.IsShutdown;

    public Task<TResult> DrainAndShutdown<TResult>(Task<TResult> streamCompletion) => Control.DrainAndShutdown(streamCompletion);

    /// <summary>Stops the source, lets the stream finish and commit, then closes the consumer.</summary>
    public Task<T> DrainAndShutdown() => Control.DrainAndShutdown(StreamCompletion);
}
