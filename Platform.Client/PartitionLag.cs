namespace Platform.Client;

/// <summary>One row of a group's lag: LAG = LOG-END-OFFSET − CURRENT-OFFSET, as kafka-consumer-groups.sh shows it.</summary>
public sealed record PartitionLag(string Topic, int Partition, long? CurrentOffset, long LogEndOffset, long? Lag,
    string? MemberId, string? Host, string? ClientId);
