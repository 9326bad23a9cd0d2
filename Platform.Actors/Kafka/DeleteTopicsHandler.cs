using Akka.Actor;
using Platform.Actors.Topics;
using Platform.Protocol.Messages;

namespace Platform.Actors.Kafka;

/// <summary>
/// DeleteTopics: by name (v0-5) or, from v6, by name or topic id. The registry deletes the topic and tells
/// its partitions to drop their journals; a re-created topic of the same name gets a new id and an empty log.
/// </summary>
internal static class DeleteTopicsHandler
{
    public const short MaxVersion = 6;

    public static void Register(KafkaApis apis, KafkaServices services) =>
        apis.Register<DeleteTopicsRequest>(ApiKey.DeleteTopics, 0, MaxVersion, DeleteTopicsRequest.HeaderVersion, DeleteTopicsResponse.HeaderVersion,
            DeleteTopicsRequest.Read, (context, request) => HandleAsync(services, context, request));

    private static async Task<IKafkaMessage?> HandleAsync(KafkaServices services, RequestContext context, DeleteTopicsRequest request)
    {
        var targets = context.ApiVersion >= 6
            ? request.Topics.Select(t => (t.Name, t.TopicId)).ToList()
            : request.TopicNames.Select(n => ((string?)n, Guid.Empty)).ToList();
        var names = targets.Where(t => t.Item1 is not null).GroupBy(t => t.Item1).Where(g => g.Count() > 1).Select(g => g.Key).ToHashSet();
        var ids = targets.Where(t => t.Item2 != Guid.Empty).GroupBy(t => t.Item2).Where(g => g.Count() > 1).Select(g => g.Key).ToHashSet();
        var response = new DeleteTopicsResponse();
        response.Responses.AddRange(await Task.WhenAll(targets.Select(t =>
            (t.Item1 is { } n && names.Contains(n)) || (t.Item2 != Guid.Empty && ids.Contains(t.Item2))
                ? Task.FromResult(Result(t.Item1, t.Item2, ErrorCode.InvalidRequest, "The topic is named more than once in the request"))
                : DeleteAsync(services, t.Item1, t.Item2))));
        return response;
    }

    private static async Task<DeleteTopicsResponse.DeletableTopicResult> DeleteAsync(KafkaServices services, string? name, Guid topicId)
    {
        if (name is not null && topicId != Guid.Empty)
            return Result(name, topicId, ErrorCode.InvalidRequest, "Give a topic's name or its id, not both");
        if (name is null)
        {
            if (topicId == Guid.Empty) return Result(null, topicId, ErrorCode.InvalidRequest, "Neither a topic name nor a topic id was given");
            var byId = services.Topics.Find(topicId) ?? await FindById(services, topicId);
            if (byId is null) return Result(null, topicId, ErrorCode.UnknownTopicId, $"Unknown topic id {topicId}");
            name = byId.Name;
        }
        var result = await services.TopicCommandAsync(new DeleteTopic(name), validateOnly: false);
        return Result(name, result.Topic?.TopicId ?? topicId, result.Error, result.ErrorMessage);
    }

    private static async Task<TopicInfo?> FindById(KafkaServices services, Guid topicId)
    {
        try
        {
            return (await services.Registry.Ask<TopicByIdResult>(new GetTopicById(topicId), services.RequestTimeout)).Topic;
        }
        catch (Exception e) when (e is AskTimeoutException or TaskCanceledException)
        {
            return null;
        }
    }

    private static DeleteTopicsResponse.DeletableTopicResult Result(string? name, Guid topicId, ErrorCode error, string? message) => new()
    {
        Name = name,
        TopicId = topicId,
        ErrorCode = (short)error,
        ErrorMessage = message,
    };
}
