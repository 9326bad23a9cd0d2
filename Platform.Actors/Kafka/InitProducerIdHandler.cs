using Akka.Actor;
using Platform.Actors.Producers;
using Platform.Protocol.Messages;

namespace Platform.Actors.Kafka;

/// <summary>
/// InitProducerId: an idempotent producer's id comes from the cluster's allocator (never the same twice,
/// across restarts and failover), with epoch 0; the partitions' idempotence tables then check its sequences.
/// As in Kafka, a producer without a transactional id always gets a fresh id. A transactional id is refused
/// with a message saying why, until transactions exist.
/// </summary>
internal static class InitProducerIdHandler
{
    public const short MaxVersion = 4;

    public static void Register(KafkaApis apis, KafkaServices services) =>
        apis.Register<InitProducerIdRequest>(ApiKey.InitProducerId, 0, MaxVersion, InitProducerIdRequest.HeaderVersion,
            InitProducerIdResponse.HeaderVersion, InitProducerIdRequest.Read, (_, request) => HandleAsync(services, request));

    private static async Task<IKafkaMessage?> HandleAsync(KafkaServices services, InitProducerIdRequest request)
    {
        if (request.TransactionalId is not null)
            return new InitProducerIdResponse { ErrorCode = (short)ErrorCode.UnsupportedVersion, ProducerId = -1, ProducerEpoch = -1 };
        try
        {
            var allocated = await services.ProducerIds.Ask<ProducerIdAllocated>(AllocateProducerId.Instance, services.Settings.SingletonRequestTimeout);
            return allocated.Error == ErrorCode.None
                ? new InitProducerIdResponse { ProducerId = allocated.ProducerId, ProducerEpoch = allocated.ProducerEpoch }
                : new InitProducerIdResponse { ErrorCode = (short)CoordinatorError(allocated.Error), ProducerId = -1, ProducerEpoch = -1 };
        }
        catch (Exception e) when (e is AskTimeoutException or TaskCanceledException)
        {
            // Retriable for every client: the allocator (a singleton) is moving or busy.
            return new InitProducerIdResponse { ErrorCode = (short)ErrorCode.CoordinatorNotAvailable, ProducerId = -1, ProducerEpoch = -1 };
        }
    }

    private static ErrorCode CoordinatorError(ErrorCode error) => error.IsRetriable() ? ErrorCode.CoordinatorNotAvailable : error;
}
