using Platform.Actors;
using Platform.Actors.Gateway;
using Platform.Actors.Groups;
using Platform.Protocol.Groups;
using Platform.Actors.Partitions;
using Platform.Actors.Serialization;
using Platform.Actors.Topics;

namespace Platform.Client;

/// <summary>Per-partition state as <c>topics describe</c> shows it.</summary>
public sealed record PartitionDescription(int Partition, long LogStartOffset, long HighWatermark, string Leader, long SizeBytes);

public sealed record TopicDescription(TopicInfo Topic, IReadOnlyList<PartitionDescription> Partitions);

/// <summary>One row of a group's lag: LAG = LOG-END-OFFSET − CURRENT-OFFSET, as kafka-consumer-groups.sh shows it.</summary>
public sealed record PartitionLag(string Topic, int Partition, long? CurrentOffset, long LogEndOffset, long? Lag,
    string? MemberId, string? Host, string? ClientId);

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

    public async Task<IReadOnlyList<string>> ListGroupsAsync() =>
        (await connection.RequestAsync<GroupList>(ListGroups.Instance)).GroupIds;

    public async Task<GroupDescription> DescribeGroupAsync(string groupId)
    {
        var description = await connection.RequestAsync<GroupDescription>(new DescribeGroup(groupId));
        return description.Error == ErrorCode.None ? description : throw new PlatformException(description.Error, description.ErrorMessage ?? "");
    }

    /// <summary>Committed offsets of a group (every partition it has one for, when <paramref name="partitions"/> is null).</summary>
    public async Task<IReadOnlyList<CommittedOffset>> FetchOffsetsAsync(string groupId, IReadOnlyList<TopicPartition>? partitions = null)
    {
        var result = await connection.RequestAsync<OffsetFetchResult>(new OffsetFetch(groupId,
            partitions?.Select(p => new TopicPartitionId(p.Topic, p.Partition)).ToList()));
        return result.Error == ErrorCode.None ? result.Offsets : throw new PlatformException(result.Error, result.ErrorMessage ?? "");
    }

    /// <summary>Commits offsets for a group without membership (generation -1): refused while the group has active members.</summary>
    public async Task CommitOffsetsAsync(string groupId, IReadOnlyList<TopicPartitionOffset> offsets)
    {
        var result = await connection.RequestAsync<OffsetCommitResult>(new OffsetCommit(groupId, "", -1, null,
            offsets.Select(o => new OffsetCommitEntry(o.Topic, o.Partition, o.Offset, null)).ToList()));
        if (result.Error != ErrorCode.None) throw new PlatformException(result.Error, result.ErrorMessage ?? "");
        if (result.Partitions.FirstOrDefault(p => p.Error != ErrorCode.None) is { } failed)
            throw new PlatformException(failed.Error, $"Topic '{failed.Topic}' has no partition {failed.Partition}");
    }

    public async Task DeleteGroupAsync(string groupId)
    {
        var result = await connection.RequestAsync<DeleteGroupResult>(new DeleteGroup(groupId));
        if (result.Error != ErrorCode.None) throw new PlatformException(result.Error, result.ErrorMessage ?? "");
    }

    /// <summary>Per partition with a committed offset or an assignment: committed offset, log end and lag.</summary>
    public async Task<IReadOnlyList<PartitionLag>> GroupLagAsync(string groupId)
    {
        var description = await DescribeGroupAsync(groupId);
        var committed = await FetchOffsetsAsync(groupId);
        var partitions = committed.Select(c => new TopicPartitionId(c.Topic, c.Partition))
            .Concat(description.Members.SelectMany(m => m.Assignment)).Distinct().Order().ToList();
        var topics = new Dictionary<string, TopicInfo?>();
        var rows = new List<PartitionLag>();
        foreach (var tp in partitions)
        {
            if (!topics.TryGetValue(tp.Topic, out var topic))
            {
                try
                {
                    topic = await GetTopicAsync(tp.Topic);
                }
                catch (PlatformException e) when (e.Code == ErrorCode.UnknownTopicOrPartition)
                {
                    topic = null;
                }
                topics[tp.Topic] = topic;
            }
            var current = committed.FirstOrDefault(c => c.Topic == tp.Topic && c.Partition == tp.Partition)?.Offset ?? -1;
            var logEnd = topic is null || tp.Partition >= topic.PartitionCount ? -1 : (await PartitionStatusAsync(topic.TopicId, tp.Partition)).HighWatermark;
            var owner = description.Members.FirstOrDefault(m => m.Assignment.Contains(tp));
            rows.Add(new PartitionLag(tp.Topic, tp.Partition, current >= 0 ? current : null, logEnd,
                current >= 0 && logEnd >= 0 ? logEnd - current : null, owner?.MemberId, owner?.ClientHost, owner?.ClientId));
        }
        return rows;
    }

    /// <summary>
    /// The earliest offset whose record timestamp is at or after <paramref name="time"/> (the high watermark
    /// if there is none): the partition's index gives where to start, a scan of the records the exact offset.
    /// </summary>
    public async Task<long> OffsetForTimeAsync(string topic, int partition, DateTimeOffset time)
    {
        var info = await GetTopicAsync(topic);
        var ms = time.ToUnixTimeMilliseconds();
        var start = await connection.RequestAsync<OffsetForTimestamp>(new FindOffsetForTimestamp(info.TopicId, partition, ms));
        if (start.Error != ErrorCode.None) throw new PlatformException(start.Error, start.ErrorMessage ?? "");
        var offset = start.Offset;
        while (true)
        {
            var fetch = await connection.RequestAsync<FetchResult>(new Fetch(info.TopicId, partition, offset, 1 << 20, 0, 0));
            if (fetch.Error != ErrorCode.None) throw new PlatformException(fetch.Error, fetch.ErrorMessage ?? "");
            if (fetch.Batches.Count == 0) return fetch.HighWatermark;
            foreach (var batch in fetch.Batches)
            foreach (var record in Platform.Protocol.Records.RecordBatch.Decode(batch))
            {
                if (record.Offset < offset) continue;
                if (record.Timestamp >= ms) return record.Offset;
                offset = record.Offset + 1;
            }
        }
    }

    /// <summary>The cluster as the connected node sees it: members, their state, leader and what each hosts.</summary>
    public Task<ClusterStatus> ClusterStatusAsync() => connection.RequestAsync<ClusterStatus>(GetClusterStatus.Instance);

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
