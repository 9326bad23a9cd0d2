using System.Buffers.Binary;
using System.Net.Sockets;
using Akka.Actor;
using Akka.Cluster;
using Platform.Actors.Configuration;
using Platform.Actors.Kafka;
using Platform.Actors.Topics;

namespace Platform.Actors.Health;

/// <summary>
/// What /health/ready checks, all at once and each under its own bound: the node is an Up cluster member, the
/// topic registry answers, a journal write round trip succeeds, and the Kafka listener answers a real request.
/// It runs on the HTTP request's thread and only asks actors (never blocks one).
/// </summary>
internal sealed class ReadinessChecks(ActorSystem system, IActorRef registry, IActorRef storageProbe, KafkaListener kafka, KafkaSettings kafkaSettings,
    HttpSettings settings)
{
    public async Task<HealthReport> RunAsync() =>
        HealthReport.Of(await Task.WhenAll(Task.FromResult(ClusterMember()), Registry(), Storage(), Listener()));

    private HealthCheckResult ClusterMember()
    {
        var self = Cluster.Get(system).SelfMember;
        return self.Status == MemberStatus.Up
            ? HealthCheckResult.Passed("cluster", $"Up member {self.Address}")
            : HealthCheckResult.Failed("cluster", $"Member {self.Address} is {self.Status}, not Up");
    }

    private async Task<HealthCheckResult> Registry()
    {
        try
        {
            // The cheapest question the registry singleton answers, wherever it runs.
            await registry.Ask<TopicByIdResult>(new GetTopicById(Guid.Empty), settings.AskTimeout);
            return HealthCheckResult.Passed("topic-registry", "The topic registry answered");
        }
        catch (Exception e) when (e is AskTimeoutException or TaskCanceledException)
        {
            return HealthCheckResult.Failed("topic-registry", $"The topic registry did not answer within {settings.AskTimeout.TotalSeconds:0.###}s");
        }
    }

    private async Task<HealthCheckResult> Storage()
    {
        try
        {
            var result = await storageProbe.Ask<StorageProbeResult>(ProbeStorage.Instance, settings.StorageProbeTimeout);
            return result.Ok ? HealthCheckResult.Passed("storage", result.Reason) : HealthCheckResult.Failed("storage", result.Reason);
        }
        catch (Exception e) when (e is AskTimeoutException or TaskCanceledException)
        {
            return HealthCheckResult.Failed("storage", $"No journal write was acknowledged within {settings.StorageProbeTimeout.TotalSeconds:0.###}s");
        }
    }

    /// <summary>
    /// An ApiVersions v0 request over a fresh connection: a listening socket accepts TCP connections into its
    /// backlog before the node serves them, so only an answer shows that the listener is really accepting.
    /// </summary>
    private async Task<HealthCheckResult> Listener()
    {
        using var timeout = new CancellationTokenSource(settings.ListenerProbeTimeout);
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync(kafkaSettings.Host, kafka.Port, timeout.Token);
            var stream = client.GetStream();
            const int correlationId = 0x4845414C; // "HEAL"
            var request = new byte[4 + 2 + 2 + 4 + 2];
            BinaryPrimitives.WriteInt32BigEndian(request, request.Length - 4);
            BinaryPrimitives.WriteInt16BigEndian(request.AsSpan(4), 18); // ApiVersions
            BinaryPrimitives.WriteInt16BigEndian(request.AsSpan(6), 0);
            BinaryPrimitives.WriteInt32BigEndian(request.AsSpan(8), correlationId);
            BinaryPrimitives.WriteInt16BigEndian(request.AsSpan(12), -1); // no client id
            await stream.WriteAsync(request, timeout.Token);
            var header = new byte[8];
            await stream.ReadExactlyAsync(header, timeout.Token);
            return BinaryPrimitives.ReadInt32BigEndian(header.AsSpan(4)) == correlationId
                ? HealthCheckResult.Passed("kafka-listener", $"The Kafka listener on port {kafka.Port} answered ApiVersions")
                : HealthCheckResult.Failed("kafka-listener", "The Kafka listener answered with another correlation id");
        }
        catch (OperationCanceledException)
        {
            return HealthCheckResult.Failed("kafka-listener", $"The Kafka listener on port {kafka.Port} did not answer within {settings.ListenerProbeTimeout.TotalSeconds:0.###}s");
        }
        catch (Exception e) when (e is SocketException or IOException)
        {
            return HealthCheckResult.Failed("kafka-listener", $"The Kafka listener on port {kafka.Port} is not accepting: {e.Message}");
        }
    }
}
