using Platform.Actors;
using Platform.Actors.Gateway;
using Platform.Actors.Partitions;
using Platform.Actors.Serialization;
using Platform.Actors.Topics;

namespace Platform.Client;

/// <summary>Per-partition state as <c>topics describe</c> shows it.</summary>
public sealed record PartitionDescription(int Partition, long LogStartOffset, long HighWatermark, string Leader, long SizeBytes);

public sealed record TopicDescription(TopicInfo Topic, IReadOnlyList<PartitionDescription> Partitions);

/// <summary>Topic administration (Kafka's AdminClient): every failure is a <see cref="PlatformException"/>
/// carrying Kafka's error code.</summary>
public sealed class PlatformAdmin(PlatformConnection connection)
{
    public Task<TopicInfo> CreateTopicAsync(string name, int partitions, IReadOnlyDictionary<string, string>? configs = null) =>
        Command(new CreateTopic(name, partitions, configs ?? new Dictionary<string, string>()));

    public Task<TopicInfo> DeleteTopicAsync(string name) => Command(new DeleteTopic(name));

    /// <summary>Raises the partition count to <paramref name="totalCount"/> (it can never go down).</summary>
    public Task<TopicInfo> CreatePartitionsAsync(string name, int totalCount) => Command(new CreatePartitions(name, totalCount));

    public async Task<IReadOnlyList<TopicInfo>> ListTopicsAsync()
    {
        var result = await connection.RequestAsync<TopicsResult>(new GetTopics([], false));
        return result.Topics.Select(t => t.Topic!).ToList();
    }

    public Task<TopicInfo> GetTopicAsync(string name) => connection.GetTopicAsync(name, allowAutoCreate: false);

    /// <summary>The topic with each partition's log start, high watermark and leader node.</summary>
    public async Task<TopicDescription> DescribeTopicAsync(string name)
    {
        var topic = await GetTopicAsync(name);
        var statuses = await Task.WhenAll(Enumerable.Range(0, topic.PartitionCount).Select(p => PartitionStatusAsync(topic.TopicId, p)));
        return new TopicDescription(topic, statuses.Select(s =>
            new PartitionDescription(s.Partition, s.LogStartOffset, s.HighWatermark, s.Leader, s.SizeBytes)).ToList());
    }

    public Task<NodeStats> GetNodeStatsAsync() => connection.RequestAsync<NodeStats>(GetNodeStats.Instance);

    /// <summary>Stops a partition and returns its status after it recovered again (the recovery time included).</summary>
    public async Task<PartitionStatus> RestartPartitionAsync(string topic, int partition)
    {
        var info = await GetTopicAsync(topic);
        Check(await connection.RequestAsync<PartitionStatus>(new RestartPartition(info.TopicId, partition)));
        return await PartitionStatusAsync(info.TopicId, partition);
    }

    internal async Task<PartitionStatus> PartitionStatusAsync(Guid topicId, int partition) =>
        Check(await connection.RequestAsync<PartitionStatus>(new GetPartitionStatus(topicId, partition)));

    private static PartitionStatus Check(PartitionStatus status) =>
        status.Error == ErrorCode.None ? status : throw new PlatformException(status.Error, status.ErrorMessage ?? "");

    private async Task<TopicInfo> Command(IPlatformMessage command)
    {
        var result = await connection.RequestAsync<TopicCommandResult>(command);
        return result.Error == ErrorCode.None
            ? result.Topic!
            : throw new PlatformException(result.Error, result.ErrorMessage ?? result.Error.ToString());
    }
}
