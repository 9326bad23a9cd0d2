using Akka.Actor;
using Akka.Cluster.Sharding;
using Platform.Actors.Configuration;
using Platform.Actors.Groups;
using Platform.Actors.Kafka;
using Platform.Actors.Partitions;

namespace Platform.Actors.Metrics;

/// <summary>
/// Gathers, once per scrape, the numbers that live inside actors (offsets, committed offsets, members): it asks the
/// local shard regions which partitions and groups this node hosts, then asks those entities, all at once and each
/// under the ask timeout. Observable instruments cannot await, so a scrape refreshes <see cref="Latest"/> first
/// and the instruments read it. An entity that does not answer in time is left out of that scrape.
/// </summary>
internal sealed class BrokerSampler(IActorRef partitions, IActorRef groups, TopicCache topics, HttpSettings settings)
{
    public BrokerSample Latest { get; private set; } = BrokerSample.Empty;

    public async Task RefreshAsync()
    {
        var hosted = await HostedEntities(partitions);
        var partitionSeries = hosted.Count <= settings.MaxPartitionSeries;
        var statuses = partitionSeries
            ? (await Task.WhenAll(hosted.Select(id => Status(PartitionEntity.Parse(id))))).OfType<PartitionStatus>().ToList()
            : [];
        var samples = statuses
            .Select(s => topics.Find(s.TopicId) is { } topic ? new PartitionSample(topic.Name, s.Partition, s.LogStartOffset, s.HighWatermark, s.SizeBytes) : null)
            .OfType<PartitionSample>()
            .OrderBy(p => p.Topic, StringComparer.Ordinal).ThenBy(p => p.Partition)
            .ToList();
        var known = statuses.ToDictionary(s => (s.TopicId, s.Partition), s => s.HighWatermark);
        var groupIds = await HostedEntities(groups);
        var groupSamples = (await Task.WhenAll(groupIds.Select(id => Group(id, known)))).OfType<GroupSample>().ToList();
        // Lag per partition is a series per group and partition: bounded like the partitions' own series.
        if (groupSamples.Sum(g => g.Lag.Count) > settings.MaxPartitionSeries)
            groupSamples = groupSamples.Select(g => g with { Lag = [] }).ToList();
        Latest = new BrokerSample(hosted.Count, partitionSeries, samples, groupSamples.OrderBy(g => g.GroupId, StringComparer.Ordinal).ToList());
    }

    private async Task<IReadOnlyList<string>> HostedEntities(IActorRef region)
    {
        try
        {
            var state = await region.Ask<CurrentShardRegionState>(GetShardRegionState.Instance, settings.AskTimeout);
            return state.Shards.SelectMany(s => s.EntityIds).ToList();
        }
        catch (Exception e) when (e is AskTimeoutException or TaskCanceledException)
        {
            return [];
        }
    }

    private async Task<PartitionStatus?> Status((Guid TopicId, int Partition) partition)
    {
        try
        {
            var status = await partitions.Ask<PartitionStatus>(new GetPartitionStatus(partition.TopicId, partition.Partition), settings.AskTimeout);
            return status.Error == ErrorCode.None ? status : null;
        }
        catch (Exception e) when (e is AskTimeoutException or TaskCanceledException)
        {
            return null;
        }
    }

    private async Task<GroupSample?> Group(string groupId, IReadOnlyDictionary<(Guid, int), long> knownEnds)
    {
        try
        {
            var describing = groups.Ask<GroupDescription>(new DescribeGroup(groupId), settings.AskTimeout);
            var fetching = groups.Ask<OffsetFetchResult>(new OffsetFetch(groupId, null), settings.AskTimeout);
            await Task.WhenAll(describing, fetching); // both asked at once; a timeout of either is observed here
            var described = await describing;
            var committed = await fetching;
            var lag = await Task.WhenAll(committed.Offsets.Where(o => o.Offset >= 0).Select(async o =>
            {
                if (topics.Find(o.Topic) is not { } topic) return null;
                var end = knownEnds.TryGetValue((topic.TopicId, o.Partition), out var known) ? known
                    : (await Status((topic.TopicId, o.Partition)))?.HighWatermark;
                return end is { } logEnd ? new LagSample(o.Topic, o.Partition, Math.Max(0, logEnd - o.Offset)) : null;
            }));
            if (described.Error != ErrorCode.None || committed.Error != ErrorCode.None) return null;
            var lags = lag.OfType<LagSample>().OrderBy(l => l.Topic, StringComparer.Ordinal).ThenBy(l => l.Partition).ToList();
            return new GroupSample(groupId, described.State, described.Members.Count, lags, lags.Sum(l => l.Lag));
        }
        catch (Exception e) when (e is AskTimeoutException or TaskCanceledException)
        {
            return null;
        }
    }
}
