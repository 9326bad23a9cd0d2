using System.Globalization;
using System.Text;
using Akka.Cluster.Sharding;

namespace Platform.Actors.Partitions;

/// <summary>
/// Names and placement of partition entities. Placement uses FNV-1a of the entity id's UTF-8 bytes: it is
/// the same in every process and every .NET version, unlike <c>string.GetHashCode</c>, so all nodes agree
/// on which shard holds which partition.
/// </summary>
internal static class PartitionEntity
{
    public const string TypeName = "partition";

    public static string EntityId(Guid topicId, int partition) =>
        string.Create(CultureInfo.InvariantCulture, $"{topicId:N}-{partition}");

    public static (Guid TopicId, int Partition) Parse(string entityId)
    {
        var dash = entityId.LastIndexOf('-');
        return (Guid.ParseExact(entityId[..dash], "N"), int.Parse(entityId[(dash + 1)..], CultureInfo.InvariantCulture));
    }

    /// <summary>Topic id in the persistence id: a deleted and re-created topic never sees old events.</summary>
    public static string PersistenceId(Guid topicId, int partition) =>
        string.Create(CultureInfo.InvariantCulture, $"partition-{topicId:N}-{partition}");

    public static int ShardOf(string entityId, int numberOfShards) => (int)(Fnv1a(entityId) % (uint)numberOfShards);

    internal static uint Fnv1a(string value)
    {
        var hash = 2166136261u;
        Span<byte> buffer = stackalloc byte[256];
        var bytes = Encoding.UTF8.GetByteCount(value) <= buffer.Length ? buffer[..Encoding.UTF8.GetBytes(value, buffer)] : Encoding.UTF8.GetBytes(value);
        foreach (var b in bytes)
        {
            hash ^= b;
            hash *= 16777619u;
        }
        return hash;
    }
}

/// <summary>Routes <see cref="IPartitionMessage"/>s to their entity and shard.</summary>
internal sealed class PartitionMessageExtractor(int numberOfShards) : IMessageExtractor
{
    public string? EntityId(object message) =>
        message is IPartitionMessage m ? PartitionEntity.EntityId(m.TopicId, m.Partition) : null;

    public object EntityMessage(object message) => message;

    public string ShardId(object message) =>
        ShardId(EntityId(message) ?? throw new ArgumentException($"Not a partition message: {message.GetType()}"));

    public string ShardId(string entityId, object? messageHint = null) =>
        PartitionEntity.ShardOf(entityId, numberOfShards).ToString(CultureInfo.InvariantCulture);
}
