using Akka.Actor;
using Platform.Actors.Groups;

namespace Platform.Actors.Kafka;

/// <summary>
/// How the group APIs reach coordinators: an Ask through the group shard region (or the group directory).
/// No answer in time (the coordinator is moving, or its node is gone) is null, which the handlers answer
/// with COORDINATOR_NOT_AVAILABLE: retriable, and it makes clients look the coordinator up again.
/// </summary>
internal static class GroupRequests
{
    public const string EmptyGroupId = "The group id must not be empty";

    public static Task<T?> AskCoordinatorAsync<T>(KafkaServices services, IGroupMessage message, TimeSpan? timeout = null) where T : class =>
        AskAsync<T>(services.Groups, message, timeout ?? services.RequestTimeout);

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
