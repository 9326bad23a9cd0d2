namespace Platform.Actors;

/// <summary>
/// Kafka's error codes, with Kafka's numbers and names, so that replies map one to one onto the Kafka
/// wire protocol and every Kafka engineer recognises them. Only the codes Platform answers with are listed.
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
    CoordinatorNotAvailable = 15,
    InvalidTopicException = 17,
    RecordListTooLarge = 18,
    IllegalGeneration = 22,
    InconsistentGroupProtocol = 23,
    InvalidGroupId = 24,
    UnknownMemberId = 25,
    InvalidSessionTimeout = 26,
    RebalanceInProgress = 27,
    TopicAlreadyExists = 36,
    InvalidPartitions = 37,
    InvalidReplicationFactor = 38,
    InvalidConfig = 40,
    InvalidRequest = 42,
    KafkaStorageError = 56,
    NonEmptyGroup = 68,
    GroupIdNotFound = 69,
    UnsupportedCompressionType = 76,
    GroupMaxSizeReached = 81,
    FencedInstanceId = 82,
}
