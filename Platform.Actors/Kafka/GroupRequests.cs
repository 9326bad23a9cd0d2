using Akka.Actor;
using Platform.Actors.Groups;

namespace Platform.Actors.Kafka;

/// <summary>
/// How the group APIs reach coordinators: an Ask through the node's <see cref="GroupRouter"/> (the group shard
/// region for a join or commit, the group directory for the rest), or to the group directory itself.
/// No answer in time (the coordinator is moving, or its node is gone) is null, which the handlers answer
/// with COORDINATOR_NOT_AVAILABLE: retriable, and it makes clients look the coordinator up again.
/// </summary>
internal static class GroupRequests
{
    public const string EmptyGroupId = "The group id must not be empty";

    /// <summary>The coordinator's answer, the router's refusal of an invalid group id, or null when none came in time.</summary>
    public static Task<T?> AskCoordinatorAsync<T>(KafkaServices services, IGroupMessage message, TimeSpan? timeout = null) where T : class =>
        services.GroupRouter.Refusal(message) is { } refusal
            ? Task.FromResult(refusal as T)
            : AskAsync<T>(services.GroupRouter.TargetOf(message), message, timeout ?? services.RequestTimeout);

    public static Task<T?> AskDirectoryAsync<T>(KafkaServices services, object message) where T : class =>
        AskAsync<T>(services.GroupDirectory, message, services.RequestTimeout);

    private static async Task<T?> AskAsync<T>(IActorRef target, object message, TimeSpan timeout) where T : class
    {
        try
        {
            return await target.Ask<T>(message, timeout);
        }
        catch (Exception e) when (e is AskTimeoutException or TaskCanceledException)
        {
            return null;
        }
    }
}
