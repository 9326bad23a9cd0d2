namespace Platform.Protocol.Records;

/// <summary>
/// Kafka's compression codecs, with Kafka's ids: bits 0-2 of a batch's attributes. Only None and Gzip
/// can be built or decoded here (the BCL has gzip; the others would need native packages); the rest are
/// listed so a batch from a Kafka client can be recognised and refused with a precise error.
/// </summary>
public enum CompressionType
{
    None = 0,
    Gzip = 1,
    Snappy = 2,
    Lz4 = 3,
    Zstd = 4,
}
