using Platform.Actors.Topics;
using Platform.Protocol.Messages;

namespace Platform.Actors.Kafka;

/// <summary>
/// AlterConfigs (the whole config of a resource: keys not named go back to their defaults) and
/// IncrementalAlterConfigs (SET, DELETE, APPEND, SUBTRACT per key) for topics, through the registry, which
/// persists the change and pushes it to the topic's partitions. Broker configs are the node's HOCON settings
/// and are read-only at runtime: altering one is an INVALID_REQUEST that says so.
/// </summary>
internal static class AlterConfigsHandler
{
    public const short AlterConfigsMaxVersion = 2;
    public const short IncrementalMaxVersion = 1;

    public static void Register(KafkaApis apis, KafkaServices services)
    {
        apis.Register<AlterConfigsRequest>(ApiKey.AlterConfigs, 0, AlterConfigsMaxVersion, AlterConfigsRequest.HeaderVersion,
            AlterConfigsResponse.HeaderVersion, AlterConfigsRequest.Read, (_, request) => HandleAsync(services, request));
        apis.Register<IncrementalAlterConfigsRequest>(ApiKey.IncrementalAlterConfigs, 0, IncrementalMaxVersion,
            IncrementalAlterConfigsRequest.HeaderVersion, IncrementalAlterConfigsResponse.HeaderVersion, IncrementalAlterConfigsRequest.Read,
            (_, request) => HandleAsync(services, request));
    }

    private sealed record Change(sbyte ResourceType, string ResourceName, IReadOnlyList<(string Name, sbyte Operation, string? Value)> Configs);

    private static async Task<IKafkaMessage?> HandleAsync(KafkaServices services, AlterConfigsRequest request)
    {
        var changes = request.Resources.Select(r => new Change(r.ResourceType, r.ResourceName,
            r.Configs.Select(c => (c.Name, (sbyte)ConfigOperation.Set, c.Value)).ToList()));
        var response = new AlterConfigsResponse();
        foreach (var (resource, error, message) in await AlterAsync(services, changes.ToList(), replace: true, request.ValidateOnly))
        {
            response.Responses.Add(new AlterConfigsResponse.AlterConfigsResourceResponse
            {
                ResourceType = resource.ResourceType,
                ResourceName = resource.ResourceName,
                ErrorCode = (short)error,
                ErrorMessage = message,
            });
        }
        return response;
    }

    private static async Task<IKafkaMessage?> HandleAsync(KafkaServices services, IncrementalAlterConfigsRequest request)
    {
        var changes = request.Resources.Select(r => new Change(r.ResourceType, r.ResourceName,
            r.Configs.Select(c => (c.Name, c.ConfigOperation, c.Value)).ToList()));
        var response = new IncrementalAlterConfigsResponse();
        foreach (var (resource, error, message) in await AlterAsync(services, changes.ToList(), replace: false, request.ValidateOnly))
        {
            response.Responses.Add(new IncrementalAlterConfigsResponse.AlterConfigsResourceResponse
            {
                ResourceType = resource.ResourceType,
                ResourceName = resource.ResourceName,
                ErrorCode = (short)error,
                ErrorMessage = message,
            });
        }
        return response;
    }

    private static async Task<(Change Resource, ErrorCode Error, string? Message)[]> AlterAsync(
        KafkaServices services, IReadOnlyList<Change> changes, bool replace, bool validateOnly)
    {
        var duplicates = changes.GroupBy(c => (c.ResourceType, c.ResourceName)).Where(g => g.Count() > 1).Select(g => g.Key).ToHashSet();
        return await Task.WhenAll(changes.Select(async change =>
        {
            var (error, message) = duplicates.Contains((change.ResourceType, change.ResourceName))
                ? (ErrorCode.InvalidRequest, "The resource is named more than once in the request")
                : await AlterAsync(services, change, replace, validateOnly);
            return (change, error, message);
        }));
    }

    private static async Task<(ErrorCode, string?)> AlterAsync(KafkaServices services, Change change, bool replace, bool validateOnly)
    {
        switch (change.ResourceType)
        {
            case ConfigDescriptions.BrokerResource or ConfigDescriptions.BrokerLoggerResource:
                return (ErrorCode.InvalidRequest,
                    "Broker configs are read-only at runtime: they are the node's settings (platform.* in its HOCON) and change with a restart");
            case ConfigDescriptions.TopicResource:
                break;
            default:
                return (ErrorCode.InvalidRequest, $"Resource type {change.ResourceType} is not supported: only topic configs can be altered");
        }
        if (TopicNames.Validate(change.ResourceName) is { } invalid) return (ErrorCode.InvalidTopicException, invalid);
        if (change.Configs.GroupBy(c => c.Name).FirstOrDefault(g => g.Count() > 1) is { } twice)
            return (ErrorCode.InvalidRequest, $"Error due to duplicate config keys: '{twice.Key}' is given more than once");
        var operations = new List<TopicConfigOperation>(change.Configs.Count);
        foreach (var (name, operation, value) in change.Configs)
        {
            if (operation is < 0 or > (sbyte)ConfigOperation.Subtract)
                return (ErrorCode.InvalidRequest, $"Unknown config operation {operation} for '{name}'");
            operations.Add(new TopicConfigOperation(name, (ConfigOperation)operation, value));
        }
        var result = await services.TopicCommandAsync(new AlterTopicConfig(change.ResourceName, operations, replace, validateOnly), validateOnly);
        return (result.Error, result.ErrorMessage);
    }
}
