namespace Platform.Protocol.Records;

/// <summary>
/// Kafka's compression codecs, with Kafka's ids: bits 0-2 of a batch's attributes. Every one can be built
/// and decoded, in the framings Kafka's clients use (snappy-java's snappy framing, the LZ4 frame format,
/// zstd frames); ids 5-7 are not codecs and a batch carrying one is refused as invalid.
/// </summary>
public enum CompressionType
{
    None = 0,
    Gzip = 1,
    Snappy = 2,
    Lz4 = 3,
    Zstd = 4,
}
