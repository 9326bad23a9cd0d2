namespace Platform.Protocol;

/// <summary>
/// Kafka's error codes, with Kafka's numbers and names, so that replies map one to one onto the Kafka
/// wire protocol and every Kafka engineer recognises them. Only the codes the broker answers with or the
/// client acts on are named: a code outside the list (from another Kafka broker) still travels as its number.
/// </summary>
public enum ErrorCode : short
{
    UnknownServerError = -1,
    None = 0,
    OffsetOutOfRange = 1,
    CorruptMessage = 2,
    UnknownTopicOrPartition = 3,
    InvalidFetchSize = 4,
    LeaderNotAvailable = 5,
    NotLeaderOrFollower = 6,
    RequestTimedOut = 7,
    MessageTooLarge = 10,
    OffsetMetadataTooLarge = 12,
    /// <summary>The connection to the node broke before an answer came; retriable.</summary>
    NetworkException = 13,
    CoordinatorLoadInProgress = 14,
    CoordinatorNotAvailable = 15,
    NotCoordinator = 16,
    InvalidTopicException = 17,
    InvalidRequiredAcks = 21,
    IllegalGeneration = 22,
    InconsistentGroupProtocol = 23,
    InvalidGroupId = 24,
    UnknownMemberId = 25,
    InvalidSessionTimeout = 26,
    RebalanceInProgress = 27,
    InvalidTimestamp = 32,
    UnsupportedVersion = 35,
    TopicAlreadyExists = 36,
    InvalidPartitions = 37,
    InvalidReplicationFactor = 38,
    InvalidReplicaAssignment = 39,
    InvalidConfig = 40,
    InvalidRequest = 42,
    /// <summary>A request the cluster's policy refuses: here, one that would pass the cluster's topic or partition limits.</summary>
    PolicyViolation = 44,
    /// <summary>An idempotent producer's batch skips sequence numbers: an earlier batch is missing.</summary>
    OutOfOrderSequenceNumber = 45,
    /// <summary>An idempotent producer's epoch is older than one the partition has seen (a zombie producer).</summary>
    InvalidProducerEpoch = 47,
    KafkaStorageError = 56,
    UnknownProducerId = 59,
    NonEmptyGroup = 68,
    GroupIdNotFound = 69,
    UnsupportedCompressionType = 76,
    MemberIdRequired = 79,
    GroupMaxSizeReached = 81,
    FencedInstanceId = 82,
    InvalidRecord = 87,
    UnknownTopicId = 100,
}

/// <summary>Which errors a client should retry, as Kafka's RetriableException subclasses mark them.</summary>
public static class ErrorCodeExtensions
{
    /// <summary>
    /// Transient conditions of a moving cluster: a lost connection, a timeout, a partition between homes,
    /// a failed journal write, or an idempotent producer's gap that its own retries will fill.
    /// </summary>
    public static bool IsRetriable(this ErrorCode code) => code is ErrorCode.NetworkException or ErrorCode.RequestTimedOut
        or ErrorCode.NotLeaderOrFollower or ErrorCode.LeaderNotAvailable or ErrorCode.KafkaStorageError
        or ErrorCode.CoordinatorNotAvailable or ErrorCode.OutOfOrderSequenceNumber;
}
