using System.Globalization;
using Akka.Cluster.Sharding;
using Platform.Actors.Partitions;

namespace Platform.Actors.Groups;

/// <summary>Names and placement of group coordinators: entity id = group id, stable FNV-1a shard placement.</summary>
internal static class GroupEntity
{
    public const string TypeName = "group";

    public static string PersistenceId(string groupId) => "group-" + groupId;
}

/// <summary>Routes <see cref="IGroupMessage"/>s to the coordinator of their group.</summary>
internal sealed class GroupMessageExtractor(int numberOfShards) : IMessageExtractor
{
    public string? EntityId(object message) => (message as IGroupMessage)?.GroupId;

    public object EntityMessage(object message) => message;

    public string ShardId(object message) =>
        ShardId(EntityId(message) ?? throw new ArgumentException($"Not a group message: {message.GetType()}"));

    public string ShardId(string entityId, object? messageHint = null) =>
        PartitionEntity.ShardOf(entityId, numberOfShards).ToString(CultureInfo.InvariantCulture);
}
