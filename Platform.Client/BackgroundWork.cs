namespace Platform.Client;

/// <summary>
/// The client's fire-and-forget work (a group's heartbeats and membership loop, closes after a stream ended):
/// nobody awaits these tasks, so an exception nobody expected would vanish with them and leave, say, a
/// member that silently stopped heartbeating. <see cref="Observe"/> hands such an exception to whoever can
/// report it (the consumer's next ConsumeAsync, a stage's log); cancellation is the normal end, not reported.
/// </summary>
internal static class BackgroundWork
{
    public static void Observe(this Task task, Action<Exception> report) =>
        task.ContinueWith(t => report(t.Exception!.GetBaseException()), CancellationToken.None,
            TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
}
