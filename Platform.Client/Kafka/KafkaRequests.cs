using Platform.Protocol.Messages;

namespace Platform.Client.Kafka;

/// <summary>
/// The requests that the producer, the consumer, group membership and the admin client share, routed as
/// Kafka routes them: ListOffsets to each partition's leader, group requests to the group's coordinator
/// (looked up again when it moved). Every Kafka error becomes a <see cref="PlatformException"/>.
/// </summary>
internal static class KafkaRequests
{
    /// <summary>Kafka's ListOffsets specs: the high watermark and the log start offset.</summary>
    public const long Latest = -1, Earliest = -2;

    public static async Task<TResponse> RequestAsync<TResponse>(this BrokerConnection connection, ApiKey key, short maxVersion, IKafkaMessage request,
        TimeSpan timeout, CancellationToken cancellationToken = default, short minVersion = 0) where TResponse : IKafkaMessage =>
        await connection.SendAsync<TResponse>(key, connection.Version(key, maxVersion, minVersion), request, timeout, cancellationToken);

    public static PlatformException Error(short code, string? message, string fallback) =>
        new((ErrorCode)code, message ?? fallback);

    /// <summary>
    /// ListOffsets for each partition at <paramref name="timestamp"/> (or <see cref="Latest"/>/<see cref="Earliest"/>),
    /// one request per leader, retried while errors are retriable. A partition without a record at or after the
    /// timestamp answers -1. Per-partition errors that are not retriable are thrown.
    /// </summary>
    public static async Task<Dictionary<TopicPartition, long>> ListOffsetsAsync(this PlatformConnection connection,
        IReadOnlyCollection<TopicPartition> partitions, long timestamp, CancellationToken cancellationToken = default)
    {
        var result = new Dictionary<TopicPartition, long>();
        var remaining = partitions.Distinct().ToList();
        await connection.WithRetriesAsync(async () =>
        {
            var byLeader = new Dictionary<BrokerConnection, List<TopicPartition>>();
            foreach (var tp in remaining)
            {
                var leader = await connection.Cluster.LeaderAsync(tp.Topic, tp.Partition);
                if (!byLeader.TryGetValue(leader, out var list)) byLeader[leader] = list = [];
                list.Add(tp);
            }
            var answers = await Task.WhenAll(byLeader.Select(async entry =>
            {
                var request = new ListOffsetsRequest
                {
                    ReplicaId = -1,
                    Topics = entry.Value.GroupBy(tp => tp.Topic).Select(g => new ListOffsetsRequest.ListOffsetsTopic
                    {
                        Name = g.Key,
                        Partitions = g.Select(tp => new ListOffsetsRequest.ListOffsetsPartition { PartitionIndex = tp.Partition, Timestamp = timestamp, CurrentLeaderEpoch = -1 }).ToList(),
                    }).ToList(),
                };
                return await entry.Key.RequestAsync<ListOffsetsResponse>(ApiKey.ListOffsets, 7, request, connection.Settings.RequestTimeout, cancellationToken, minVersion: 1);
            }));
            PlatformException? retriable = null;
            foreach (var response in answers)
            foreach (var topic in response.Topics)
            foreach (var partition in topic.Partitions)
            {
                var tp = new TopicPartition(topic.Name, partition.PartitionIndex);
                if (partition.ErrorCode == 0)
                {
                    result[tp] = partition.Offset;
                    remaining.Remove(tp);
                    continue;
                }
                var error = (ErrorCode)partition.ErrorCode;
                if (error is ErrorCode.NotLeaderOrFollower or ErrorCode.LeaderNotAvailable or ErrorCode.UnknownTopicOrPartition) connection.Cluster.Invalidate(topic.Name);
                if (!RetryPolicy.IsRetriable(error))
                    throw new PlatformException(error, error == ErrorCode.UnknownTopicOrPartition ? $"Topic '{topic.Name}' has no partition {partition.PartitionIndex}" : $"ListOffsets for {tp} failed");
                retriable = new PlatformException(error, $"ListOffsets for {tp} failed");
            }
            if (retriable is not null) throw retriable;
            return true;
        }, cancellationToken, _ => { });
        return result;
    }

    /// <summary>
    /// A request to a group's coordinator: retried (after looking the coordinator up again) while the
    /// coordinator moves or is not available, until the request timeout; <paramref name="errorOf"/> says
    /// which error the response carries.
    /// </summary>
    public static Task<TResponse> CoordinatorRequestAsync<TResponse>(this PlatformConnection connection, string groupId, ApiKey key, short maxVersion,
        Func<BrokerConnection, short, IKafkaMessage> request, Func<TResponse, short> errorOf, string lane = "", TimeSpan? timeout = null,
        CancellationToken cancellationToken = default) where TResponse : IKafkaMessage =>
        connection.WithRetriesAsync(async () =>
        {
            BrokerConnection coordinator;
            try
            {
                coordinator = await connection.Cluster.CoordinatorAsync(groupId, lane);
            }
            catch (PlatformException e) when (RetryPolicy.IsRetriable(e.Code))
            {
                connection.Cluster.InvalidateCoordinator(groupId);
                throw;
            }
            var version = coordinator.Version(key, maxVersion);
            TResponse response;
            try
            {
                response = await coordinator.SendAsync<TResponse>(key, version, request(coordinator, version),
                    timeout ?? connection.Settings.RequestTimeout, cancellationToken);
            }
            catch (PlatformException e) when (e.Code == ErrorCode.NetworkException)
            {
                connection.Cluster.InvalidateCoordinator(groupId);
                throw;
            }
            var error = (ErrorCode)errorOf(response);
            if (error is ErrorCode.NotCoordinator or ErrorCode.CoordinatorNotAvailable or ErrorCode.CoordinatorLoadInProgress)
            {
                connection.Cluster.InvalidateCoordinator(groupId);
                throw new PlatformException(error, $"The coordinator of group '{groupId}' moved");
            }
            return response;
        }, cancellationToken);
}
