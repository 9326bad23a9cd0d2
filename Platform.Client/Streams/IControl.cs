namespace Platform.Client.Streams;

/// <summary>
/// What a consumer source materializes (Alpakka's Consumer.Control): the handle to stop reading, to close
/// the consumer after the stream's commits, or both in the right order.
/// </summary>
public interface IControl
{
    /// <summary>Completes the source; the consumer stays open so that commits of records in the stream still work.</summary>
    Task Stop();

    /// <summary>
    /// Completes the source, waits until every record it emitted is committed (committable sources, at most
    /// the settings' stop-timeout), then closes the consumer (leaving its group).
    /// </summary>
    Task Shutdown();

    /// <summary>Completes once the consumer is closed, whatever closed it (Shutdown, a failure, cancellation).</summary>
    Task IsShutdown { get; }

    /// <summary>Stop, wait for <paramref name="streamCompletion"/> (so every record reaches the end of the
    /// stream and its commit), then Shutdown. A failed stream still shuts down, and the failure is rethrown.</summary>
    Task<T> DrainAndShutdown<T>(Task<T> streamCompletion);
}
