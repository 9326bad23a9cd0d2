using Platform.Actors.Topics;
using Platform.Protocol.Messages;

namespace Platform.Actors.Kafka;

/// <summary>
/// CreateTopics: each topic goes to the topic registry, which validates and persists it (or, with
/// validate_only, only validates). num_partitions -1 takes the node's num.partitions; any replication factor
/// of -1 or above 0 is accepted, since durability comes from the shared journal, not from replicas, and the
/// topic reports a factor of 1. Manual replica assignments are refused: placement follows sharding.
/// </summary>
internal static class CreateTopicsHandler
{
    public const short MaxVersion = 7;

    public static void Register(KafkaApis apis, KafkaServices services) =>
        apis.Register<CreateTopicsRequest>(ApiKey.CreateTopics, 0, MaxVersion, CreateTopicsRequest.HeaderVersion, CreateTopicsResponse.HeaderVersion,
            CreateTopicsRequest.Read, (context, request) => HandleAsync(services, context, request));

    private static async Task<IKafkaMessage?> HandleAsync(KafkaServices services, RequestContext context, CreateTopicsRequest request)
    {
        var duplicates = request.Topics.GroupBy(t => t.Name).Where(g => g.Count() > 1).Select(g => g.Key).ToHashSet();
        var work = new List<Task<CreateTopicsResponse.CreatableTopicResult>>();
        foreach (var name in duplicates)
            work.Add(Task.FromResult(Failed(name, ErrorCode.InvalidRequest, $"Create topics request from client contains duplicate topic name '{name}'")));
        foreach (var topic in request.Topics.Where(t => !duplicates.Contains(t.Name)))
            work.Add(CreateAsync(services, context.ApiVersion, topic, request.validateOnly));
        var response = new CreateTopicsResponse();
        response.Topics.AddRange(await Task.WhenAll(work));
        return response;
    }

    private static async Task<CreateTopicsResponse.CreatableTopicResult> CreateAsync(
        KafkaServices services, short version, CreateTopicsRequest.CreatableTopic topic, bool validateOnly)
    {
        if (TopicNames.Validate(topic.Name) is { } invalid) return Failed(topic.Name, ErrorCode.InvalidTopicException, invalid);
        if (topic.Assignments.Count > 0)
            return Failed(topic.Name, ErrorCode.InvalidReplicaAssignment,
                "Manual replica assignments are not supported: partitions are placed by cluster sharding; give num_partitions instead");
        if (topic.NumPartitions == 0 || topic.NumPartitions < -1)
            return Failed(topic.Name, ErrorCode.InvalidPartitions, "Number of partitions must be larger than 0, or -1 to use the default value");
        if (topic.ReplicationFactor == 0 || topic.ReplicationFactor < -1)
            return Failed(topic.Name, ErrorCode.InvalidReplicationFactor, "Replication factor must be larger than 0, or -1 to use the default value");
        var configs = new Dictionary<string, string>();
        foreach (var config in topic.Configs)
        {
            if (config.Value is null) return Failed(topic.Name, ErrorCode.InvalidConfig, $"Null value not supported for topic config '{config.Name}'");
            if (!configs.TryAdd(config.Name, config.Value))
                return Failed(topic.Name, ErrorCode.InvalidRequest, $"Topic config '{config.Name}' is given more than once");
        }
        var partitions = topic.NumPartitions == -1 ? services.Node.AutoCreatePartitions : topic.NumPartitions;
        var result = await services.TopicCommandAsync(new CreateTopic(topic.Name, partitions, configs, validateOnly), validateOnly);
        if (result.Topic is not { } created || result.Error != ErrorCode.None)
            return Failed(topic.Name, result.Error, result.ErrorMessage);

        var answer = new CreateTopicsResponse.CreatableTopicResult
        {
            Name = topic.Name,
            TopicId = validateOnly ? Guid.Empty : created.TopicId,
            ErrorMessage = null,
            NumPartitions = created.PartitionCount,
            ReplicationFactor = 1,
        };
        if (version >= 5)
        {
            answer.Configs = ConfigDescriptions.Topic(created.Config, services.Node.TopicDefaults, services.PartitionSettings)
                .Select(c => new CreateTopicsResponse.CreatableTopicConfigs
                {
                    Name = c.Name,
                    Value = c.Value,
                    ReadOnly = c.ReadOnly,
                    ConfigSource = c.Source,
                    IsSensitive = false,
                })
                .ToList();
        }
        return answer;
    }

    private static CreateTopicsResponse.CreatableTopicResult Failed(string name, ErrorCode error, string? message) => new()
    {
        Name = name,
        ErrorCode = (short)error,
        ErrorMessage = message,
        Configs = null,
    };
}
