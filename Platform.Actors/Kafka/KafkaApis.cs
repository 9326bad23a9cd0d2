using System.Diagnostics;
using Akka.Actor;
using Platform.Protocol.Messages;
using Platform.Protocol.Wire;

namespace Platform.Actors.Kafka;

/// <summary>Decodes one request body of a given version (a generated message's static <c>Read</c>).</summary>
internal delegate T RequestReader<out T>(ref KafkaReader reader, short version);

/// <summary>
/// The APIs a node serves over the Kafka listener, by API key: each with the versions it supports, its
/// decoder and its handler. What is registered here is exactly what ApiVersions advertises, so an API
/// that is not implemented is never offered to a client.
/// </summary>
internal sealed class KafkaApis
{
    /// <summary>Decodes a request from the reader and starts its handler; null means no response (acks=0).</summary>
    internal delegate Task<IKafkaMessage?>? Invoker(RequestContext context, ref KafkaReader reader);

    internal sealed record Api(ApiKey Key, short MinVersion, short MaxVersion, Func<short, short> RequestHeaderVersion,
        Func<short, short> ResponseHeaderVersion, Invoker Invoke);

    private readonly Dictionary<ApiKey, Api> _apis = new();

    public KafkaApis(ActorSystem system) => System = system;

    public ActorSystem System { get; }

    /// <summary>Counts every request and its time to a response, by API; null records nothing.</summary>
    public Metrics.BrokerMetrics? Metrics { get; init; }

    internal Api? Find(ApiKey key) => _apis.GetValueOrDefault(key);

    /// <summary>Every registered API with its version range, in key order: the body of ApiVersions.</summary>
    public IEnumerable<(ApiKey Key, short MinVersion, short MaxVersion)> Supported =>
        _apis.Values.OrderBy(a => a.Key).Select(a => (a.Key, a.MinVersion, a.MaxVersion));

    /// <summary>Registers an API; a handler returning null sends no response (only acks=0 produce does).</summary>
    public void Register<TRequest>(ApiKey key, short minVersion, short maxVersion, Func<short, short> requestHeaderVersion,
        Func<short, short> responseHeaderVersion, RequestReader<TRequest> read, Func<RequestContext, TRequest, Task<IKafkaMessage?>?> handle)
    {
        _apis[key] = new Api(key, minVersion, maxVersion, requestHeaderVersion, responseHeaderVersion,
            (RequestContext context, ref KafkaReader reader) =>
            {
                var started = Stopwatch.GetTimestamp();
                var response = handle(context, read(ref reader, context.ApiVersion));
                if (Metrics is not { } metrics) return response;
                if (response is null) metrics.Answered(key, started);
                else response.ContinueWith(_ => metrics.Answered(key, started), CancellationToken.None,
                    TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
                return response;
            });
    }

    /// <summary>The v0 ApiVersions answer to a version this broker does not know (KIP-511).</summary>
    internal IKafkaMessage UnsupportedApiVersions() => ApiVersionsHandler.Response(this, ErrorCode.UnsupportedVersion);
}
