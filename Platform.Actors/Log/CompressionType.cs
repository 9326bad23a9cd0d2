namespace Platform.Actors.Log;

/// <summary>Kafka's compression codecs: bits 0-2 of a batch's attributes.</summary>
public enum CompressionType
{
    None = 0,
    Gzip = 1,
    Snappy = 2,
    Lz4 = 3,
    Zstd = 4,
}
