using Platform.Client.Kafka;
using Platform.Protocol.Groups;
using Platform.Protocol.Messages;

namespace Platform.Client;

/// <summary>
/// Topic and group administration over Kafka's protocol (Kafka's AdminClient): CreateTopics, DeleteTopics,
/// CreatePartitions, DescribeConfigs, Metadata and ListOffsets for topics; ListGroups, DescribeGroups,
/// OffsetFetch, OffsetCommit and DeleteGroups for groups; Platform's DescribeClusterMembers (or Kafka's
/// DescribeCluster) for the cluster. Every failure is a <see cref="PlatformException"/> carrying Kafka's error code.
/// </summary>
public sealed class PlatformAdmin(PlatformConnection connection)
{
    private const sbyte TopicResource = 2;

    /// <summary>The cluster role in which a member announces its Kafka listener.</summary>
    private const string KafkaRolePrefix = "kafka=";

    private KafkaCluster Cluster => connection.Cluster;

    private TimeSpan Timeout => connection.Settings.RequestTimeout;

    public async Task<TopicMetadata> CreateTopicAsync(string name, int partitions, IReadOnlyDictionary<string, string>? configs = null)
    {
        var broker = await Cluster.AnyAsync();
        var response = await broker.RequestAsync<CreateTopicsResponse>(ApiKey.CreateTopics, 7, new CreateTopicsRequest
        {
            timeoutMs = (int)Timeout.TotalMilliseconds,
            Topics =
            [
                new CreateTopicsRequest.CreatableTopic
                {
                    Name = name,
                    NumPartitions = partitions,
                    ReplicationFactor = -1,
                    Configs = (configs ?? new Dictionary<string, string>())
                        .Select(c => new CreateTopicsRequest.CreateableTopicConfig { Name = c.Key, Value = c.Value }).ToList(),
                },
            ],
        }, Timeout);
        var result = response.Topics.Single();
        if (result.ErrorCode != 0) throw KafkaRequests.Error(result.ErrorCode, result.ErrorMessage, $"Creating topic '{name}' failed");
        Cluster.Invalidate(name);
        return result.TopicId != Guid.Empty
            ? new TopicMetadata(name, result.TopicId, result.NumPartitions > 0 ? result.NumPartitions : partitions)
            : await GetTopicAsync(name);
    }

    public async Task DeleteTopicAsync(string name)
    {
        var broker = await Cluster.AnyAsync();
        var version = broker.Version(ApiKey.DeleteTopics, 6);
        var request = new DeleteTopicsRequest { TimeoutMs = (int)Timeout.TotalMilliseconds };
        if (version >= 6) request.Topics = [new DeleteTopicsRequest.DeleteTopicState { Name = name }];
        else request.TopicNames = [name];
        var response = await broker.SendAsync<DeleteTopicsResponse>(ApiKey.DeleteTopics, version, request, Timeout);
        var result = response.Responses.Single();
        Cluster.Invalidate(name);
        if (result.ErrorCode != 0)
            throw KafkaRequests.Error(result.ErrorCode, (ErrorCode)result.ErrorCode == ErrorCode.UnknownTopicOrPartition ? $"Topic '{name}' does not exist" : result.ErrorMessage,
                $"Deleting topic '{name}' failed");
    }

    /// <summary>Raises the partition count to <paramref name="totalCount"/> (it can never go down).</summary>
    public async Task<TopicMetadata> CreatePartitionsAsync(string name, int totalCount)
    {
        var broker = await Cluster.AnyAsync();
        var response = await broker.RequestAsync<CreatePartitionsResponse>(ApiKey.CreatePartitions, 3, new CreatePartitionsRequest
        {
            TimeoutMs = (int)Timeout.TotalMilliseconds,
            Topics = [new CreatePartitionsRequest.CreatePartitionsTopic { Name = name, Count = totalCount, Assignments = null }],
        }, Timeout);
        var result = response.Results.Single();
        if (result.ErrorCode != 0) throw KafkaRequests.Error(result.ErrorCode, result.ErrorMessage, $"Adding partitions to '{name}' failed");
        return await GetTopicAsync(name);
    }

    public async Task<IReadOnlyList<TopicMetadata>> ListTopicsAsync()
    {
        var response = await connection.WithRetriesAsync(() => Cluster.RefreshAsync(null));
        return response.Topics.Where(t => t.ErrorCode == 0 && t.Name is not null)
            .Select(t => new TopicMetadata(t.Name!, t.TopicId, t.Partitions.Count))
            .OrderBy(t => t.Name, StringComparer.Ordinal).ToList();
    }

    public async Task<TopicMetadata> GetTopicAsync(string name)
    {
        var route = await connection.WithRetriesAsync(() => Cluster.TopicAsync(name, refresh: true));
        return new TopicMetadata(route.Name, route.TopicId, route.PartitionCount);
    }

    /// <summary>The topic with its configuration and each partition's log start, high watermark and leader.</summary>
    public async Task<TopicDescription> DescribeTopicAsync(string name)
    {
        var route = await connection.WithRetriesAsync(() => Cluster.TopicAsync(name, refresh: true));
        var partitions = Enumerable.Range(0, route.PartitionCount).Select(p => new TopicPartition(name, p)).ToList();
        var earliest = connection.ListOffsetsAsync(partitions, KafkaRequests.Earliest);
        var latest = connection.ListOffsetsAsync(partitions, KafkaRequests.Latest);
        var configs = DescribeConfigsAsync(name);
        await Task.WhenAll(earliest, latest, configs);
        var (starts, ends, brokers) = (await earliest, await latest, Cluster.Brokers);
        var described = partitions.Select(tp => new PartitionDescription(tp.Partition, starts.GetValueOrDefault(tp, -1),
            ends.GetValueOrDefault(tp, -1), brokers.TryGetValue(route.Leaders[tp.Partition], out var b) ? $"{b.Host}:{b.Port}" : "-")).ToList();
        return new TopicDescription(new TopicMetadata(name, route.TopicId, route.PartitionCount), described, await configs);
    }

    /// <summary>A topic's configuration as DescribeConfigs reports it (empty when the cluster does not serve DescribeConfigs).</summary>
    public async Task<IReadOnlyDictionary<string, string>> DescribeConfigsAsync(string topic)
    {
        var broker = await Cluster.AnyAsync();
        if (!broker.Supports(ApiKey.DescribeConfigs)) return new Dictionary<string, string>();
        var response = await broker.RequestAsync<DescribeConfigsResponse>(ApiKey.DescribeConfigs, 4, new DescribeConfigsRequest
        {
            Resources = [new DescribeConfigsRequest.DescribeConfigsResource { ResourceType = TopicResource, ResourceName = topic, ConfigurationKeys = null }],
        }, Timeout);
        var result = response.Results.Single();
        if (result.ErrorCode != 0) throw KafkaRequests.Error(result.ErrorCode, result.ErrorMessage, $"Describing the configuration of '{topic}' failed");
        return result.Configs.Where(c => c.Value is not null).OrderBy(c => c.Name, StringComparer.Ordinal).ToDictionary(c => c.Name, c => c.Value!);
    }

    /// <summary>Every group of the cluster: ListGroups asks each broker for the groups it coordinates.</summary>
    public async Task<IReadOnlyList<string>> ListGroupsAsync() =>
        (await ListGroupsPerBrokerAsync()).SelectMany(b => b.Value).Distinct().Order(StringComparer.Ordinal).ToList();

    private async Task<Dictionary<int, List<string>>> ListGroupsPerBrokerAsync()
    {
        await connection.WithRetriesAsync(() => Cluster.RefreshAsync([]));
        var brokers = Cluster.Brokers.Keys.ToList();
        var answers = await Task.WhenAll(brokers.Select(async id =>
        {
            var broker = await Cluster.NodeAsync(id);
            var response = await broker.RequestAsync<ListGroupsResponse>(ApiKey.ListGroups, 4, new ListGroupsRequest(), Timeout);
            if (response.ErrorCode != 0) throw KafkaRequests.Error(response.ErrorCode, null, "ListGroups failed");
            return (id, response.Groups.Select(g => g.GroupId).ToList());
        }));
        return answers.ToDictionary(a => a.id, a => a.Item2);
    }

    public async Task<GroupDescription> DescribeGroupAsync(string groupId)
    {
        var response = await connection.CoordinatorRequestAsync<DescribeGroupsResponse>(groupId, ApiKey.DescribeGroups, 5,
            (_, _) => new DescribeGroupsRequest { Groups = [groupId] }, r => r.Groups.Single().ErrorCode);
        var group = response.Groups.Single();
        if (group.ErrorCode != 0) throw KafkaRequests.Error(group.ErrorCode, null, $"Describing group '{groupId}' failed");
        var consumer = group.ProtocolType == ConsumerProtocol.ProtocolType;
        return new GroupDescription(group.GroupId, group.GroupState, group.ProtocolType, group.ProtocolData,
            group.Members.Select(m => new MemberDescription(m.MemberId, m.GroupInstanceId, m.ClientId, m.ClientHost,
                consumer ? DecodeAssignment(m.MemberAssignment) : [])).ToList());
    }

    private static IReadOnlyList<TopicPartition> DecodeAssignment(byte[] bytes)
    {
        try
        {
            return ConsumerProtocol.DecodeAssignment(bytes).Select(tp => new TopicPartition(tp.Topic, tp.Partition)).ToList();
        }
        catch (InvalidDataException)
        {
            return [];
        }
    }

    /// <summary>The Kafka listener (host:port) of the broker coordinating <paramref name="groupId"/> (FindCoordinator).</summary>
    public async Task<string> FindCoordinatorAsync(string groupId)
    {
        Cluster.InvalidateCoordinator(groupId);
        var coordinator = await connection.WithRetriesAsync(() => Cluster.CoordinatorAsync(groupId));
        return coordinator.Endpoint;
    }

    /// <summary>
    /// Committed offsets of a group (every partition it has one for, when <paramref name="partitions"/> is
    /// null); a partition without a committed offset has offset -1.
    /// </summary>
    public async Task<IReadOnlyList<TopicPartitionOffset>> FetchOffsetsAsync(string groupId, IReadOnlyList<TopicPartition>? partitions = null,
        CancellationToken cancellationToken = default)
    {
        var response = await connection.CoordinatorRequestAsync<OffsetFetchResponse>(groupId, ApiKey.OffsetFetch, 7,
            (_, _) => new OffsetFetchRequest
            {
                GroupId = groupId,
                Topics = partitions?.GroupBy(p => p.Topic).Select(g => new OffsetFetchRequest.OffsetFetchRequestTopic
                {
                    Name = g.Key, PartitionIndexes = g.Select(p => p.Partition).ToList(),
                }).ToList(),
            }, r => r.ErrorCode, cancellationToken: cancellationToken);
        if (response.ErrorCode != 0) throw KafkaRequests.Error(response.ErrorCode, null, $"Fetching the offsets of group '{groupId}' failed");
        var offsets = new List<TopicPartitionOffset>();
        foreach (var topic in response.Topics)
        foreach (var partition in topic.Partitions)
        {
            if (partition.ErrorCode != 0)
                throw KafkaRequests.Error(partition.ErrorCode, null, $"Fetching the offset of {topic.Name}-{partition.PartitionIndex} for group '{groupId}' failed");
            offsets.Add(new TopicPartitionOffset(topic.Name, partition.PartitionIndex, partition.CommittedOffset));
        }
        return offsets.OrderBy(o => o.Topic, StringComparer.Ordinal).ThenBy(o => o.Partition).ToList();
    }

    /// <summary>Commits offsets for a group without membership (generation -1): refused while the group has active members.</summary>
    public Task CommitOffsetsAsync(string groupId, IReadOnlyList<TopicPartitionOffset> offsets, CancellationToken cancellationToken = default) =>
        GroupCommit.CommitAsync(connection, groupId, "", -1, null, offsets, "", cancellationToken);

    /// <summary>
    /// The offsets a reset of <paramref name="groupId"/> on <paramref name="topic"/> would commit, one per partition,
    /// each kept within the partition's log start and high watermark; nothing is changed (commit the plan with
    /// <see cref="CommitOffsetsAsync"/>). Refused with <see cref="ErrorCode.NonEmptyGroup"/> while the group has
    /// active members, whose commits would overwrite the reset.
    /// </summary>
    public async Task<IReadOnlyList<TopicPartitionOffset>> PlanOffsetResetAsync(string groupId, string topic, OffsetResetTarget target)
    {
        var description = await DescribeGroupAsync(groupId);
        if (description.Members.Count > 0)
            throw new PlatformException(ErrorCode.NonEmptyGroup,
                $"Group '{groupId}' has {description.Members.Count} active members; offsets can only be reset while the group is inactive");
        var topicDescription = await DescribeTopicAsync(topic);
        var committed = await FetchOffsetsAsync(groupId, topicDescription.Partitions.Select(p => new TopicPartition(topic, p.Partition)).ToList());
        var plan = new List<TopicPartitionOffset>();
        foreach (var p in topicDescription.Partitions)
        {
            var current = committed.FirstOrDefault(c => c.Partition == p.Partition) is { Topic: not null } c ? c.Offset : -1;
            var wanted = target switch
            {
                OffsetResetTarget.ToEarliest => p.LogStartOffset,
                OffsetResetTarget.ToLatest => p.HighWatermark,
                OffsetResetTarget.ToOffset o => o.Value,
                OffsetResetTarget.ToTime t => await OffsetForTimeAsync(topic, p.Partition, t.Value),
                OffsetResetTarget.ShiftBy s => (current >= 0 ? current : p.LogStartOffset) + s.Value,
                _ => throw new ArgumentOutOfRangeException(nameof(target), target, "Unknown offset reset target"),
            };
            plan.Add(new TopicPartitionOffset(topic, p.Partition, Math.Clamp(wanted, p.LogStartOffset, p.HighWatermark)));
        }
        return plan;
    }

    public async Task DeleteGroupAsync(string groupId)
    {
        var response = await connection.CoordinatorRequestAsync<DeleteGroupsResponse>(groupId, ApiKey.DeleteGroups, 2,
            (_, _) => new DeleteGroupsRequest { GroupsNames = [groupId] }, r => r.Results.Single().ErrorCode);
        var result = response.Results.Single();
        if (result.ErrorCode != 0)
            throw KafkaRequests.Error(result.ErrorCode, (ErrorCode)result.ErrorCode switch
            {
                ErrorCode.GroupIdNotFound => $"Group '{groupId}' does not exist",
                ErrorCode.NonEmptyGroup => $"Group '{groupId}' has active members",
                _ => null,
            }, $"Deleting group '{groupId}' failed");
    }

    /// <summary>Per partition with a committed offset or an assignment: committed offset, log end and lag.</summary>
    public async Task<IReadOnlyList<PartitionLag>> GroupLagAsync(string groupId)
    {
        var description = await DescribeGroupAsync(groupId);
        var committed = (await FetchOffsetsAsync(groupId)).Where(o => o.Offset >= 0).ToList();
        var partitions = committed.Select(c => c.TopicPartition)
            .Concat(description.Members.SelectMany(m => m.Assignment)).Distinct()
            .OrderBy(tp => tp.Topic, StringComparer.Ordinal).ThenBy(tp => tp.Partition).ToList();
        var ends = new Dictionary<TopicPartition, long>();
        foreach (var topic in partitions.GroupBy(tp => tp.Topic))
        {
            try
            {
                var route = await Cluster.TopicAsync(topic.Key, refresh: true);
                var existing = topic.Where(tp => tp.Partition < route.PartitionCount).ToList();
                foreach (var (tp, end) in await connection.ListOffsetsAsync(existing, KafkaRequests.Latest)) ends[tp] = end;
            }
            catch (PlatformException e) when (e.Code == ErrorCode.UnknownTopicOrPartition)
            {
                // a deleted topic: no log end
            }
        }
        return partitions.Select(tp =>
        {
            long? current = committed.FirstOrDefault(c => c.TopicPartition == tp) is { Topic: not null } c ? c.Offset : null;
            var logEnd = ends.GetValueOrDefault(tp, -1);
            var owner = description.Members.FirstOrDefault(m => m.Assignment.Contains(tp));
            return new PartitionLag(tp.Topic, tp.Partition, current, logEnd, current is { } o && logEnd >= 0 ? logEnd - o : null,
                owner?.MemberId, owner?.ClientHost, owner?.ClientId);
        }).ToList();
    }

    /// <summary>
    /// The earliest offset whose record timestamp is at or after <paramref name="time"/> (Kafka's
    /// offsetsForTimes through ListOffsets), or the high watermark if there is none.
    /// </summary>
    public async Task<long> OffsetForTimeAsync(string topic, int partition, DateTimeOffset time)
    {
        var tp = new TopicPartition(topic, partition);
        var found = (await connection.ListOffsetsAsync([tp], time.ToUnixTimeMilliseconds()))[tp];
        return found >= 0 ? found : (await connection.ListOffsetsAsync([tp], KafkaRequests.Latest))[tp];
    }

    /// <summary>
    /// Every member of the cluster with its status, reachability, roles and the partitions and group
    /// coordinators it hosts, and the cluster's leader, from Platform's DescribeClusterMembers (any node
    /// answers for the whole cluster). A broker that does not advertise it (a Kafka broker) is described
    /// through Kafka's APIs instead: DescribeCluster's brokers, all "Up" and reachable, with the partitions
    /// each leads (Metadata) and the groups each coordinates (ListGroups).
    /// </summary>
    public Task<ClusterStatus> ClusterStatusAsync() =>
        connection.WithRetriesAsync(async () =>
        {
            var broker = await Cluster.AnyAsync();
            return broker.Supports(ApiKey.DescribeClusterMembers) ? await DescribeMembersAsync(broker) : await DescribeBrokersAsync(broker);
        });

    private async Task<ClusterStatus> DescribeMembersAsync(BrokerConnection broker)
    {
        var response = await broker.RequestAsync<DescribeClusterMembersResponse>(ApiKey.DescribeClusterMembers, 0, new DescribeClusterMembersRequest(), Timeout);
        if (response.ErrorCode != 0) throw KafkaRequests.Error(response.ErrorCode, response.ErrorMessage, "DescribeClusterMembers failed");
        var members = response.Members
            .Select(m => new ClusterMember(m.NodeId, KafkaListener(m.Roles) ?? m.Address, m.Status, m.Reachable, m.Roles, m.Partitions, m.Groups, m.Address))
            .OrderBy(m => m.Address, StringComparer.Ordinal).ToList();
        var leader = members.FirstOrDefault(m => m.ClusterAddress == response.Leader)?.Address ?? response.Leader;
        return new ClusterStatus(leader, members);
    }

    /// <summary>The Kafka listener a member announces in its roles (<c>kafka=host:port</c>), if it serves one.</summary>
    private static string? KafkaListener(IEnumerable<string> roles) =>
        roles.FirstOrDefault(r => r.StartsWith(KafkaRolePrefix, StringComparison.Ordinal) && r.Length > KafkaRolePrefix.Length)?[KafkaRolePrefix.Length..];

    private async Task<ClusterStatus> DescribeBrokersAsync(BrokerConnection broker)
    {
        var cluster = await broker.RequestAsync<DescribeClusterResponse>(ApiKey.DescribeCluster, 0, new DescribeClusterRequest(), Timeout);
        if (cluster.ErrorCode != 0) throw KafkaRequests.Error(cluster.ErrorCode, cluster.ErrorMessage, "DescribeCluster failed");
        var metadata = await Cluster.RefreshAsync(null);
        var led = metadata.Topics.SelectMany(t => t.Partitions).GroupBy(p => p.LeaderId).ToDictionary(g => g.Key, g => g.Count());
        var groups = await ListGroupsPerBrokerAsync();
        string Address(DescribeClusterResponse.DescribeClusterBroker b) => $"{b.Host}:{b.Port}";
        var members = cluster.Brokers.OrderBy(b => Address(b), StringComparer.Ordinal).Select(b => new ClusterMember(b.BrokerId, Address(b), "Up", true, ["broker"],
            led.GetValueOrDefault(b.BrokerId), groups.GetValueOrDefault(b.BrokerId)?.Count ?? 0, Address(b))).ToList();
        var leader = cluster.Brokers.FirstOrDefault(b => b.BrokerId == cluster.ControllerId) is { } controller ? Address(controller) : "";
        return new ClusterStatus(leader, members);
    }
}
