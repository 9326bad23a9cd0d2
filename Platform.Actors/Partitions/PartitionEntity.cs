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

/// <summary>
/// Routes <see cref="IPartitionMessage"/>s to their entity and shard. The ids are remembered per partition: sharding
/// asks for them on every message, in the region and again in the shard, and building the strings each time was 12 %
/// of what a node allocated at 10,000 records/s (issue #16's paced run: each allocation brings the next collection,
/// and its pause, nearer).
/// </summary>
internal sealed class PartitionMessageExtractor(int numberOfShards) : IMessageExtractor
{
    /// <summary>Beyond this many partitions remembered (deleted topics' among them) the cache starts over.</summary>
    private const int MaxRemembered = 100_000;

    private readonly System.Collections.Concurrent.ConcurrentDictionary<(Guid TopicId, int Partition), (string EntityId, string ShardId)> _ids = new();

    public string? EntityId(object message) => message is IPartitionMessage m ? Ids(m.TopicId, m.Partition).EntityId : null;

    public object EntityMessage(object message) => message;

    public string ShardId(object message) => message is IPartitionMessage m
        ? Ids(m.TopicId, m.Partition).ShardId
        : throw new ArgumentException($"Not a partition message: {message.GetType()}");

    private (string EntityId, string ShardId) Ids(Guid topicId, int partition)
    {
        if (_ids.TryGetValue((topicId, partition), out var ids)) return ids;
        if (_ids.Count >= MaxRemembered) _ids.Clear();
        var entityId = PartitionEntity.EntityId(topicId, partition);
        return _ids[(topicId, partition)] = (entityId, ShardId(entityId));
    }

    public string ShardId(string entityId, object? messageHint = null) =>
        PartitionEntity.ShardOf(entityId, numberOfShards).ToString(CultureInfo.InvariantCulture);
}
