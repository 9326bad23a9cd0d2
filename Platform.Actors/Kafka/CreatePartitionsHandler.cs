using Platform.Actors.Topics;
using Platform.Protocol.Messages;

namespace Platform.Actors.Kafka;

/// <summary>
/// CreatePartitions: raises a topic's partition count through the registry (or, with validate_only, only
/// checks that it could). Manual assignments of the new partitions are refused: placement follows sharding.
/// </summary>
internal static class CreatePartitionsHandler
{
    public const short MaxVersion = 3;

    public static void Register(KafkaApis apis, KafkaServices services) =>
        apis.Register<CreatePartitionsRequest>(ApiKey.CreatePartitions, 0, MaxVersion, CreatePartitionsRequest.HeaderVersion,
            CreatePartitionsResponse.HeaderVersion, CreatePartitionsRequest.Read, (_, request) => HandleAsync(services, request));

    private static async Task<IKafkaMessage?> HandleAsync(KafkaServices services, CreatePartitionsRequest request)
    {
        var duplicates = request.Topics.GroupBy(t => t.Name).Where(g => g.Count() > 1).Select(g => g.Key).ToHashSet();
        var work = duplicates
            .Select(name => Task.FromResult(Result(name, ErrorCode.InvalidRequest, $"Duplicate topic '{name}' in the request")))
            .Concat(request.Topics.Where(t => !duplicates.Contains(t.Name)).Select(t => GrowAsync(services, t, request.ValidateOnly)));
        var response = new CreatePartitionsResponse();
        response.Results.AddRange(await Task.WhenAll(work));
        return response;
    }

    private static async Task<CreatePartitionsResponse.CreatePartitionsTopicResult> GrowAsync(
        KafkaServices services, CreatePartitionsRequest.CreatePartitionsTopic topic, bool validateOnly)
    {
        if (topic.Assignments is { Count: > 0 })
            return Result(topic.Name, ErrorCode.InvalidReplicaAssignment,
                "Manual replica assignments are not supported: partitions are placed by cluster sharding");
        var result = await services.TopicCommandAsync(new CreatePartitions(topic.Name, topic.Count, validateOnly), validateOnly);
        return Result(topic.Name, result.Error, result.ErrorMessage);
    }

    private static CreatePartitionsResponse.CreatePartitionsTopicResult Result(string name, ErrorCode error, string? message) => new()
    {
        Name = name,
        ErrorCode = (short)error,
        ErrorMessage = message,
    };
}
