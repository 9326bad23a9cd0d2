namespace Platform.Client.Streams.Internal;

internal static class TaskFailure
{
    /// <summary>The exception a failed task stands for, without the AggregateException around it.</summary>
    public static Exception Of(Task task) =>
        task.Exception is { InnerExceptions.Count: 1 } e ? e.InnerException! : (Exception?)task.Exception ?? new InvalidOperationException("The operation failed");
}
