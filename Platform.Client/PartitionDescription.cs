namespace Platform.Client;

/// <summary>
/// A partition as <c>topics describe</c> shows it: its log start offset and high watermark (ListOffsets
/// earliest and latest), and its leader's Kafka listener (host:port) from Metadata.
/// </summary>
public sealed record PartitionDescription(int Partition, long LogStartOffset, long HighWatermark, string Leader);
