namespace Platform.Protocol.Records;

/// <summary>Why a byte range is not a valid RecordBatch v2 (checked before anything is stored).</summary>
public enum BatchError
{
    None,
    /// <summary>Shorter than the header, or batchLength does not match the bytes given.</summary>
    Truncated,
    /// <summary>Not magic 2 (Platform stores only RecordBatch v2).</summary>
    UnsupportedMagic,
    /// <summary>The CRC32C does not match the bytes it covers.</summary>
    CorruptMessage,
    /// <summary>A negative record count, or lastOffsetDelta that disagrees with it.</summary>
    InvalidRecordCount,
}
