using Platform.Protocol.Messages;

namespace Platform.Actors.Kafka;

/// <summary>ApiVersions: the APIs and version ranges this node serves, exactly those registered in <see cref="KafkaApis"/>.</summary>
internal static class ApiVersionsHandler
{
    public const short MaxVersion = 3;

    public static void Register(KafkaApis apis) =>
        apis.Register<ApiVersionsRequest>(ApiKey.ApiVersions, 0, MaxVersion, ApiVersionsRequest.HeaderVersion, ApiVersionsResponse.HeaderVersion,
            ApiVersionsRequest.Read, (_, _) => Task.FromResult<IKafkaMessage?>(Response(apis, ErrorCode.None)));

    public static ApiVersionsResponse Response(KafkaApis apis, ErrorCode error)
    {
        var response = new ApiVersionsResponse { ErrorCode = (short)error };
        foreach (var (key, min, max) in apis.Supported)
            response.ApiKeys.Add(new ApiVersionsResponse.ApiVersion { ApiKey = (short)key, MinVersion = min, MaxVersion = max });
        return response;
    }
}
