using System.Collections.Concurrent;
using Platform.Protocol.Messages;

namespace Platform.Client.Kafka;

/// <summary>A topic as the cluster's metadata describes it: its partitions and each one's leader.</summary>
internal sealed record TopicRoute(string Name, Guid TopicId, IReadOnlyList<int> Leaders)
{
    public int PartitionCount => Leaders.Count;
}

/// <summary>
/// The client's view of a Kafka cluster: one <see cref="BrokerConnection"/> per broker (as Kafka clients keep),
/// the brokers and topics from Metadata, and routing of each request to the broker that should get it (a
/// partition's leader, a group's coordinator, or any broker). Bootstrap servers are only a way in: after the
/// first Metadata the brokers it names are used, and when every known broker is unreachable the bootstrap
/// list is tried again, which is how a client follows a cluster whose members change.
/// Connections are kept per lane: the default lane carries short requests, and a client part whose
/// requests park on the broker (a consumer's long-poll fetches, a group member's JoinGroup) opens a lane of
/// its own, so that Kafka's in-order responses never hold a producer's acknowledgement behind a long poll
/// (Kafka's Java client likewise keeps its coordinator connection apart). A lane's connections close
/// with <see cref="CloseLaneAsync"/>: for a group member, that is what tells the coordinator it is gone.
/// </summary>
internal sealed class KafkaCluster : IAsyncDisposable
{
    private readonly IReadOnlyList<(string Host, int Port)> _bootstrap;
    private readonly string _clientId;
    private readonly TimeSpan _requestTimeout;
    private readonly ConcurrentDictionary<string, Task<BrokerConnection>> _connections = new();
    private readonly ConcurrentDictionary<string, string> _laneClientIds = new();
    private readonly ConcurrentDictionary<string, TopicRoute> _topics = new();
    private readonly ConcurrentDictionary<string, int> _coordinators = new();
    private volatile IReadOnlyDictionary<int, (string Host, int Port)> _brokers = new Dictionary<int, (string, int)>();
    private readonly CancellationTokenSource _disposed = new();

    public KafkaCluster(IReadOnlyList<(string Host, int Port)> bootstrap, string clientId, TimeSpan requestTimeout)
    {
        if (bootstrap.Count == 0) throw new ArgumentException("At least one bootstrap server is needed", nameof(bootstrap));
        _bootstrap = bootstrap;
        _clientId = clientId;
        _requestTimeout = requestTimeout;
    }

    public TimeSpan RequestTimeout => _requestTimeout;

    /// <summary>
    /// Gives a lane its own client id (Kafka's client.id, sent in every request header): a group member's lane
    /// carries the member's, which is what the coordinator reports in DescribeGroups.
    /// </summary>
    public void SetLaneClientId(string lane, string clientId) => _laneClientIds[lane] = clientId;

    /// <summary>The lane's connection to host:port, opened once and re-opened after it broke.</summary>
    private async Task<BrokerConnection> ConnectionAsync(string host, int port, string lane = "")
    {
        var key = $"{lane}@{host}:{port}";
        var clientId = _laneClientIds.GetValueOrDefault(lane, _clientId);
        while (true)
        {
            var task = _connections.GetOrAdd(key, _ => BrokerConnection.ConnectAsync(host, port, clientId, _requestTimeout, _disposed.Token));
            try
            {
                var connection = await task;
                if (!connection.IsBroken) return connection;
            }
            catch
            {
                _connections.TryRemove(new KeyValuePair<string, Task<BrokerConnection>>(key, task));
                throw;
            }
            // Broken: replace it, once, for every caller.
            _connections.TryRemove(new KeyValuePair<string, Task<BrokerConnection>>(key, task));
        }
    }

    /// <summary>A connection to the broker with <paramref name="nodeId"/>, or to any broker if it is unknown.</summary>
    public async Task<BrokerConnection> NodeAsync(int nodeId, string lane = "")
    {
        if (nodeId < 0) throw new PlatformException(ErrorCode.LeaderNotAvailable, "The partition has no leader at the moment");
        if (_brokers.TryGetValue(nodeId, out var broker))
        {
            try
            {
                return await ConnectionAsync(broker.Host, broker.Port, lane);
            }
            catch (PlatformException e) when (e.Code == ErrorCode.NetworkException)
            {
                // The broker is gone: learn the cluster again (through the bootstrap servers if need be) for the retry.
                await TryRefreshAsync();
                throw;
            }
        }
        await RefreshAsync([]);
        return _brokers.TryGetValue(nodeId, out broker)
            ? await ConnectionAsync(broker.Host, broker.Port, lane)
            : throw new PlatformException(ErrorCode.LeaderNotAvailable, $"Broker {nodeId} is not in the cluster's metadata");
    }

    private async Task TryRefreshAsync()
    {
        try
        {
            await RefreshAsync([]);
        }
        catch (PlatformException)
        {
            // nothing reachable now: the caller's retry tries again
        }
    }

    /// <summary>The brokers of the last Metadata, by node id.</summary>
    public IReadOnlyDictionary<int, (string Host, int Port)> Brokers => _brokers;

    /// <summary>Closes every connection of <paramref name="lane"/>.</summary>
    public async Task CloseLaneAsync(string lane)
    {
        _laneClientIds.TryRemove(lane, out _);
        foreach (var (key, task) in _connections.ToList())
        {
            if (!key.StartsWith(lane + "@", StringComparison.Ordinal) || !_connections.TryRemove(new KeyValuePair<string, Task<BrokerConnection>>(key, task))) continue;
            try
            {
                await (await task).DisposeAsync();
            }
            catch (Exception e) when (e is PlatformException or OperationCanceledException)
            {
            }
        }
    }

    /// <summary>Any reachable broker: the known ones first, then the bootstrap servers, in order.</summary>
    public async Task<BrokerConnection> AnyAsync(string lane = "")
    {
        var candidates = _brokers.Values.Concat(_bootstrap).Distinct().ToList();
        PlatformException? last = null;
        foreach (var (host, port) in candidates)
        {
            try
            {
                return await ConnectionAsync(host, port, lane);
            }
            catch (PlatformException e) when (RetryPolicy.IsRetriable(e.Code))
            {
                last = e;
            }
        }
        throw last ?? new PlatformException(ErrorCode.NetworkException, "No broker is reachable");
    }

    /// <summary>Sends Metadata for <paramref name="topics"/> (empty: the brokers only; null: every topic) and caches what it says.</summary>
    public async Task<MetadataResponse> RefreshAsync(IReadOnlyList<string>? topics, bool allowAutoCreate = false)
    {
        var connection = await AnyAsync();
        var version = connection.Version(ApiKey.Metadata, 12, min: 1);
        var request = new MetadataRequest
        {
            Topics = topics?.Select(t => new MetadataRequest.MetadataRequestTopic { Name = t }).ToList(),
            AllowAutoTopicCreation = allowAutoCreate,
        };
        var response = await connection.SendAsync<MetadataResponse>(ApiKey.Metadata, version, request, _requestTimeout);
        _brokers = response.Brokers.ToDictionary(b => b.NodeId, b => (b.Host, b.Port));
        foreach (var topic in response.Topics)
        {
            if (topic.ErrorCode == 0 && topic.Name is { } name)
                _topics[name] = RouteOf(topic);
            else if (topic.Name is { } gone)
                _topics.TryRemove(gone, out _);
        }
        return response;
    }

    private static TopicRoute RouteOf(MetadataResponse.MetadataResponseTopic topic) =>
        new(topic.Name!, topic.TopicId, topic.Partitions.OrderBy(p => p.PartitionIndex).Select(p => p.LeaderId).ToList());

    /// <summary>A topic's metadata, from the cache unless <paramref name="refresh"/>; an unknown topic throws its Kafka error.</summary>
    public async Task<TopicRoute> TopicAsync(string topic, bool allowAutoCreate = false, bool refresh = false)
    {
        if (!refresh && _topics.TryGetValue(topic, out var known)) return known;
        var response = await RefreshAsync([topic], allowAutoCreate);
        var entry = response.Topics.FirstOrDefault(t => t.Name == topic);
        if (entry is null) throw new PlatformException(ErrorCode.UnknownTopicOrPartition, $"Topic '{topic}' does not exist");
        if (entry.ErrorCode != 0)
            throw new PlatformException((ErrorCode)entry.ErrorCode, (ErrorCode)entry.ErrorCode == ErrorCode.UnknownTopicOrPartition
                ? $"Topic '{topic}' does not exist" : $"Metadata for topic '{topic}' failed");
        // From this response, not the cache: another partition's retry may have invalidated the topic in between
        // (a KeyNotFoundException that failed a producer's batches while its partitions moved).
        return RouteOf(entry);
    }

    /// <summary>Forgets what is cached about <paramref name="topic"/>, after an error that says it moved.</summary>
    public void Invalidate(string topic) => _topics.TryRemove(topic, out _);

    /// <summary>
    /// The connection to the leader of a partition. When the cached leader cannot be reached (its broker is
    /// gone, or no longer in the cluster's metadata) the topic's route is forgotten, so the caller's retry
    /// asks Metadata for the new leader instead of trying the dead one until its timeout.
    /// </summary>
    public async Task<BrokerConnection> LeaderAsync(string topic, int partition, bool allowAutoCreate = false, string lane = "")
    {
        var metadata = await TopicAsync(topic, allowAutoCreate);
        if (partition < 0 || partition >= metadata.PartitionCount)
        {
            metadata = await TopicAsync(topic, allowAutoCreate, refresh: true);
            if (partition < 0 || partition >= metadata.PartitionCount)
                throw new PlatformException(ErrorCode.UnknownTopicOrPartition, $"Topic '{topic}' has no partition {partition}");
        }
        try
        {
            return await NodeAsync(metadata.Leaders[partition], lane);
        }
        catch (PlatformException e) when (RetryPolicy.IsRetriable(e.Code))
        {
            Invalidate(topic);
            throw;
        }
    }

    /// <summary>The connection to a group's coordinator (FindCoordinator, cached until <see cref="InvalidateCoordinator"/>).</summary>
    public async Task<BrokerConnection> CoordinatorAsync(string groupId, string lane = "")
    {
        if (_coordinators.TryGetValue(groupId, out var nodeId) && _brokers.ContainsKey(nodeId)) return await NodeAsync(nodeId, lane);
        var connection = await AnyAsync();
        var version = connection.Version(ApiKey.FindCoordinator, 3);
        var response = await connection.SendAsync<FindCoordinatorResponse>(ApiKey.FindCoordinator, version,
            new FindCoordinatorRequest { CoordinatorKey = groupId, KeyType = 0 }, _requestTimeout);
        if (response.ErrorCode != 0) throw new PlatformException((ErrorCode)response.ErrorCode, response.ErrorMessage ?? $"No coordinator for group '{groupId}'");
        _coordinators[groupId] = response.NodeId;
        var brokers = new Dictionary<int, (string, int)>(_brokers) { [response.NodeId] = (response.Host, response.Port) };
        _brokers = brokers;
        return await ConnectionAsync(response.Host, response.Port, lane);
    }

    public void InvalidateCoordinator(string groupId) => _coordinators.TryRemove(groupId, out _);

    public async ValueTask DisposeAsync()
    {
        await _disposed.CancelAsync();
        foreach (var task in _connections.Values)
        {
            try
            {
                await (await task).DisposeAsync();
            }
            catch (Exception e) when (e is PlatformException or OperationCanceledException)
            {
            }
        }
        _disposed.Dispose();
    }
}
