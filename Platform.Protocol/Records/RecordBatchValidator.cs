using System.Buffers;

namespace Platform.Protocol.Records;

/// <summary>
/// The time window a CREATE_TIME record's timestamp must fall in, relative to the broker's clock (Kafka's
/// message.timestamp.before.max.ms / after.max.ms, each capped by message.timestamp.difference.max.ms).
/// </summary>
/// <param name="NowMs">The broker's clock when the batch is validated.</param>
/// <param name="BeforeMaxMs">How far in the past a timestamp may be.</param>
/// <param name="AfterMaxMs">How far in the future a timestamp may be.</param>
/// <param name="LogAppendTime">The topic replaces timestamps with the broker's (LOG_APPEND_TIME): none is checked.</param>
public readonly record struct TimestampWindow(long NowMs, long BeforeMaxMs, long AfterMaxMs, bool LogAppendTime)
{
    /// <summary>Every timestamp is accepted (Kafka's defaults before 4.0).</summary>
    public static TimestampWindow Unbounded(long nowMs) => new(nowMs, long.MaxValue, long.MaxValue, false);
}

/// <summary>What <see cref="RecordBatchValidator.Validate"/> found: Kafka's error and why, or the batch's largest record timestamp.</summary>
public readonly record struct BatchValidation(ErrorCode Error, string? Message, long MaxTimestamp)
{
    public bool IsValid => Error == ErrorCode.None;

    internal static BatchValidation Fail(ErrorCode error, string message) => new(error, message, -1);
}

/// <summary>
/// Kafka's LogValidator for RecordBatch v2, run on every produced batch before anything is stored: a batch
/// that passes decodes for every consumer. <see cref="RecordBatch.Validate"/> has checked framing and CRC;
/// this walks the records themselves. It only reads, so an uncompressed batch costs one pass over its bytes
/// and no allocation; a compressed one is decompressed once into a pooled buffer, bounded by
/// <see cref="RecordBatch.MaxDecompressedSize"/>. Errors as Kafka gives them: INVALID_RECORD for records that
/// do not parse or disagree with the header, INVALID_TIMESTAMP for a timestamp outside the window,
/// UNSUPPORTED_COMPRESSION_TYPE for a codec id that is not Kafka's, CORRUPT_MESSAGE for data a codec cannot read.
/// </summary>
public static class RecordBatchValidator
{
    /// <summary>Bits 0-2 codec, 3 timestamp type; a client may set nothing else here (4 transactional, 5 control, 6 delete horizon are broker-side or unsupported).</summary>
    private const short ClientAttributeBits = RecordBatch.CompressionMask | RecordBatch.LogAppendTimeFlag;

    private const short TransactionalFlag = 0x10;
    private const short ControlFlag = 0x20;

    /// <summary>
    /// Checks every record of <paramref name="batch"/>, which <see cref="RecordBatch.Validate"/> accepted: the
    /// attributes, the codec, the record count (real equals the header's), offset deltas 0..n-1, every length,
    /// varint and header inside its record and the batch, no bytes left over, and each timestamp against
    /// <paramref name="window"/>.
    /// </summary>
    public static BatchValidation Validate(ReadOnlySpan<byte> batch, TimestampWindow window)
    {
        var attributes = RecordBatch.Attributes(batch);
        if ((attributes & ControlFlag) != 0)
            return BatchValidation.Fail(ErrorCode.InvalidRecord, "Clients may not write control batches");
        if ((attributes & TransactionalFlag) != 0)
            return BatchValidation.Fail(ErrorCode.InvalidRecord, "Transactional batches are not supported: produce without transactional.id");
        if ((attributes & ~ClientAttributeBits) != 0)
            return BatchValidation.Fail(ErrorCode.InvalidRecord, $"Record batch attributes 0x{attributes:X4} set bits a client may not set");
        var compression = (CompressionType)(attributes & RecordBatch.CompressionMask);
        if (compression > CompressionType.Zstd) // ids 5-7; a comparison, as Enum.IsDefined may allocate
            return BatchValidation.Fail(ErrorCode.UnsupportedCompressionType, $"Compression codec id {(int)compression} is not one of Kafka's");
        var count = RecordBatch.RecordCount(batch);
        var firstTimestamp = RecordBatch.FirstTimestamp(batch);
        var checkTimestamps = !window.LogAppendTime && (attributes & RecordBatch.LogAppendTimeFlag) == 0;
        if (compression == CompressionType.None)
            return ValidateRecords(batch[RecordBatch.HeaderSize..], count, firstTimestamp, checkTimestamps, window);
        byte[] buffer;
        int length;
        try
        {
            buffer = RecordCompression.Decompress(compression, batch[RecordBatch.HeaderSize..], out length);
        }
        catch (InvalidDataException e)
        {
            return BatchValidation.Fail(ErrorCode.CorruptMessage, e.Message);
        }
        try
        {
            return ValidateRecords(buffer.AsSpan(0, length), count, firstTimestamp, checkTimestamps, window);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static BatchValidation ValidateRecords(ReadOnlySpan<byte> records, int count, long firstTimestamp, bool checkTimestamps, TimestampWindow window)
    {
        var position = 0;
        var maxTimestamp = long.MinValue;
        for (var i = 0; i < count; i++)
        {
            if (!VarInt.TryReadVarInt(records, ref position, out var length) || length <= 0 || length > records.Length - position)
                return Invalid(i, "has a length that does not fit in the batch");
            var body = records.Slice(position, length);
            position += length;
            var at = 1; // the record's attributes byte: unused in v2, as Kafka ignores it
            if (!VarInt.TryReadVarLong(body, ref at, out var timestampDelta)) return Invalid(i, "has a malformed timestamp delta");
            if (!VarInt.TryReadVarInt(body, ref at, out var offsetDelta)) return Invalid(i, "has a malformed offset delta");
            if (offsetDelta != i)
                return BatchValidation.Fail(ErrorCode.InvalidRecord, $"Record {i} has offset delta {offsetDelta}; offset deltas must run 0..{count - 1}");
            if (!SkipBytes(body, ref at, nullable: true)) return Invalid(i, "has a key length that does not fit");
            if (!SkipBytes(body, ref at, nullable: true)) return Invalid(i, "has a value length that does not fit");
            if (!VarInt.TryReadVarInt(body, ref at, out var headers) || headers < 0 || headers > (body.Length - at) / 2)
                return Invalid(i, "has a header count that does not fit");
            for (var h = 0; h < headers; h++)
            {
                if (!SkipBytes(body, ref at, nullable: false)) return Invalid(i, $"header {h} has a key length that does not fit");
                if (!SkipBytes(body, ref at, nullable: true)) return Invalid(i, $"header {h} has a value length that does not fit");
            }
            if (at != body.Length) return Invalid(i, $"is {body.Length} bytes long but its fields take {at}");
            var timestamp = unchecked(firstTimestamp + timestampDelta);
            if (checkTimestamps && OutsideWindow(timestamp, window))
                return BatchValidation.Fail(ErrorCode.InvalidTimestamp,
                    $"Record {i} has timestamp {timestamp}, outside [{window.NowMs} - {window.BeforeMaxMs}, {window.NowMs} + {window.AfterMaxMs}] (message.timestamp.before.max.ms / after.max.ms)");
            maxTimestamp = Math.Max(maxTimestamp, timestamp);
        }
        if (position != records.Length)
            return BatchValidation.Fail(ErrorCode.InvalidRecord,
                $"Record batch has {records.Length - position} bytes after the {count} records its header counts");
        return new BatchValidation(ErrorCode.None, null, maxTimestamp);
    }

    /// <summary>Kafka's check; -1 (no timestamp) passes, as in Kafka. Differences are computed without overflow.</summary>
    private static bool OutsideWindow(long timestamp, TimestampWindow window)
    {
        if (timestamp == -1) return false;
        if (timestamp < window.NowMs) return (ulong)((Int128)window.NowMs - timestamp) > (ulong)window.BeforeMaxMs;
        return (ulong)((Int128)timestamp - window.NowMs) > (ulong)window.AfterMaxMs;
    }

    private static BatchValidation Invalid(int index, string what) =>
        BatchValidation.Fail(ErrorCode.InvalidRecord, $"Record {index} {what}");

    /// <summary>A length-prefixed byte field (key, value, header key or value): -1 is null where <paramref name="nullable"/>.</summary>
    private static bool SkipBytes(ReadOnlySpan<byte> body, ref int position, bool nullable)
    {
        if (!VarInt.TryReadVarInt(body, ref position, out var length)) return false;
        if (length == -1) return nullable;
        if (length < 0 || length > body.Length - position) return false;
        position += length;
        return true;
    }
}
