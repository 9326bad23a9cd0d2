using Akka.Actor;
using Platform.Actors.Topics;
using Platform.Protocol.Messages;

namespace Platform.Actors.Kafka;

/// <summary>
/// Metadata: the cluster's Up members as brokers, and for each topic its partitions with the member hosting
/// each as leader (and only replica: durability comes from the shared journal, not from replicas). Leader
/// epochs are reported as unknown (-1), which tells clients not to fence on them.
/// </summary>
internal static class MetadataHandler
{
    public const short MaxVersion = 12;

    public static void Register(KafkaApis apis, KafkaServices services) =>
        apis.Register<MetadataRequest>(ApiKey.Metadata, 0, MaxVersion, MetadataRequest.HeaderVersion, MetadataResponse.HeaderVersion,
            MetadataRequest.Read, (context, request) => HandleAsync(services, context, request));

    private static async Task<IKafkaMessage?> HandleAsync(KafkaServices services, RequestContext context, MetadataRequest request)
    {
        var response = new MetadataResponse
        {
            ClusterId = services.ClusterId,
            ControllerId = services.Brokers.ControllerId,
        };
        var brokers = services.Brokers.Current();
        var ids = brokers.Select(b => b.NodeId).ToHashSet();
        foreach (var broker in brokers)
            response.Brokers.Add(new MetadataResponse.MetadataResponseBroker { NodeId = broker.NodeId, Host = broker.Host, Port = broker.Port });

        // v0 asks for every topic with an empty list; v1+ with a null list.
        var all = request.Topics is null || (context.ApiVersion == 0 && request.Topics.Count == 0);
        if (all)
        {
            var topics = services.Topics.Ready ? services.Topics.All.ToList() : (await AllFromRegistry(services)).ToList();
            foreach (var topic in topics.OrderBy(t => t.Name, StringComparer.Ordinal)) response.Topics.Add(Describe(services, ids, topic));
            return response;
        }
        // Before v4 a Metadata request for an unknown topic could auto-create it; from v4 the client says.
        var autoCreate = context.ApiVersion < 4 || request.AllowAutoTopicCreation;
        foreach (var requested in request.Topics!.Where(t => t.Name is null))
        {
            // v10+ may name a topic by id alone (KIP-516).
            response.Topics.Add(services.Topics.Find(requested.TopicId) is { } byId
                ? Describe(services, ids, byId)
                : new MetadataResponse.MetadataResponseTopic { Name = context.ApiVersion >= 12 ? null : "", TopicId = requested.TopicId, ErrorCode = (short)ErrorCode.UnknownTopicId });
        }
        var lookups = await Task.WhenAll(request.Topics!.Where(t => t.Name is not null).Select(t => Lookup(services, t.Name!, autoCreate)));
        foreach (var lookup in lookups)
        {
            response.Topics.Add(lookup.Topic is { } topic
                ? Describe(services, ids, topic)
                : new MetadataResponse.MetadataResponseTopic { Name = lookup.Name, ErrorCode = (short)lookup.Error });
        }
        return response;
    }

    private static async Task<TopicLookup> Lookup(KafkaServices services, string name, bool autoCreate)
    {
        try
        {
            return await services.LookupAsync(name, autoCreate);
        }
        catch (Exception e) when (e is TimeoutException or TaskCanceledException)
        {
            return new TopicLookup(name, ErrorCode.LeaderNotAvailable, "The topic registry did not answer in time", null);
        }
    }

    private static async Task<IEnumerable<TopicInfo>> AllFromRegistry(KafkaServices services)
    {
        var result = await services.Registry.Ask<TopicsResult>(new GetTopics([], false), services.RequestTimeout);
        return result.Topics.Where(t => t.Topic is not null).Select(t => t.Topic!);
    }

    /// <summary>A leader must be a listed broker: a partition whose host is not (yet) one is shown on this node, which forwards.</summary>
    private static MetadataResponse.MetadataResponseTopic Describe(KafkaServices services, HashSet<int> brokers, TopicInfo topic)
    {
        var described = new MetadataResponse.MetadataResponseTopic { Name = topic.Name, TopicId = topic.TopicId };
        for (var p = 0; p < topic.PartitionCount; p++)
        {
            var leader = services.LeaderOf(topic.TopicId, p);
            if (!brokers.Contains(leader)) leader = services.Brokers.SelfNodeId;
            described.Partitions.Add(new MetadataResponse.MetadataResponsePartition
            {
                PartitionIndex = p,
                LeaderId = leader,
                ReplicaNodes = [leader],
                IsrNodes = [leader],
            });
        }
        return described;
    }
}
