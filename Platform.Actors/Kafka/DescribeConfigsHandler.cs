using System.Globalization;
using Akka.Actor;
using Platform.Actors.Topics;
using Platform.Protocol.Messages;

namespace Platform.Actors.Kafka;

/// <summary>
/// DescribeConfigs for topics (their configs, TOPIC_CONFIG or DEFAULT_CONFIG) and for this broker (the node's
/// settings under Kafka's names, read-only). Other resource types are answered with INVALID_REQUEST.
/// </summary>
internal static class DescribeConfigsHandler
{
    public const short MaxVersion = 4;

    public static void Register(KafkaApis apis, KafkaServices services) =>
        apis.Register<DescribeConfigsRequest>(ApiKey.DescribeConfigs, 0, MaxVersion, DescribeConfigsRequest.HeaderVersion,
            DescribeConfigsResponse.HeaderVersion, DescribeConfigsRequest.Read, (context, request) => HandleAsync(services, context, request));

    private static async Task<IKafkaMessage?> HandleAsync(KafkaServices services, RequestContext context, DescribeConfigsRequest request)
    {
        var response = new DescribeConfigsResponse();
        response.Results.AddRange(await Task.WhenAll(request.Resources.Select(r => DescribeAsync(services, context.ApiVersion, request, r))));
        return response;
    }

    private static async Task<DescribeConfigsResponse.DescribeConfigsResult> DescribeAsync(
        KafkaServices services, short version, DescribeConfigsRequest request, DescribeConfigsRequest.DescribeConfigsResource resource)
    {
        var result = new DescribeConfigsResponse.DescribeConfigsResult
        {
            ResourceType = resource.ResourceType,
            ResourceName = resource.ResourceName,
            ErrorMessage = null,
        };
        var (configs, error, message) = await ConfigsOf(services, resource);
        if (error != ErrorCode.None)
        {
            result.ErrorCode = (short)error;
            result.ErrorMessage = message;
            return result;
        }
        var keys = resource.ConfigurationKeys?.ToHashSet();
        foreach (var config in configs!.Where(c => keys is null || keys.Contains(c.Name)))
        {
            var described = new DescribeConfigsResponse.DescribeConfigsResourceResult
            {
                Name = config.Name,
                Value = config.Value,
                ReadOnly = config.ReadOnly,
                IsDefault = version == 0 && config.Source == ConfigDescriptions.DefaultConfigSource, // v1+ say it with ConfigSource
                ConfigSource = config.Source,
                IsSensitive = false,
                ConfigType = config.Type,
                Documentation = request.IncludeDocumentation ? config.Documentation : null,
            };
            if (request.IncludeSynonyms && version >= 1)
            {
                described.Synonyms.Add(new DescribeConfigsResponse.DescribeConfigsSynonym { Name = config.Name, Value = config.Value, Source = config.Source });
                if (config.Synonym is { } synonym)
                {
                    described.Synonyms.Add(new DescribeConfigsResponse.DescribeConfigsSynonym
                    {
                        Name = synonym.Name,
                        Value = synonym.Value,
                        Source = ConfigDescriptions.StaticBrokerConfigSource,
                    });
                }
            }
            result.Configs.Add(described);
        }
        return result;
    }

    private static async Task<(IEnumerable<ConfigDescription>? Configs, ErrorCode Error, string? Message)> ConfigsOf(
        KafkaServices services, DescribeConfigsRequest.DescribeConfigsResource resource)
    {
        switch (resource.ResourceType)
        {
            case ConfigDescriptions.TopicResource:
                if (TopicNames.Validate(resource.ResourceName) is { } invalid) return (null, ErrorCode.InvalidTopicException, invalid);
                TopicLookup lookup;
                try
                {
                    lookup = await services.LookupAsync(resource.ResourceName, autoCreate: false);
                }
                catch (Exception e) when (e is AskTimeoutException or TaskCanceledException)
                {
                    return (null, ErrorCode.RequestTimedOut, "The topic registry did not answer within the request timeout");
                }
                return lookup.Topic is { } topic
                    ? (ConfigDescriptions.Topic(topic.Config, services.Node.TopicDefaults, services.PartitionSettings), ErrorCode.None, null)
                    : (null, ErrorCode.UnknownTopicOrPartition, $"Topic '{resource.ResourceName}' does not exist");
            case ConfigDescriptions.BrokerResource:
                var self = services.Brokers.SelfNodeId.ToString(CultureInfo.InvariantCulture);
                if (resource.ResourceName.Length > 0 && resource.ResourceName != self)
                    return (null, ErrorCode.InvalidRequest, $"Unexpected broker id, expected {self} or empty string, but received {resource.ResourceName}");
                return (ConfigDescriptions.Broker(services), ErrorCode.None, null);
            default:
                return (null, ErrorCode.InvalidRequest, $"Resource type {resource.ResourceType} is not supported: only topics (2) and brokers (4) have configs here");
        }
    }
}
