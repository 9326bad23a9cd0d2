using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace Platform.Actors.Log;

/// <summary>
/// Reading Kafka's RecordBatch v2 (magic 2): header fields straight from the span for the broker's hot
/// path, validation before anything is stored, and full decoding for consumers. Multi-byte fields are
/// big-endian, as on Kafka's wire. Decoding treats every length as hostile: a malformed batch ends in an
/// <see cref="InvalidDataException"/>, never an out-of-range read or a huge allocation.
/// </summary>
public static class RecordBatch
{
    public const int HeaderSize = 61;
    public const byte Magic = 2;

    /// <summary>The CRC covers everything from the attributes on; offsets, length, epoch and magic are outside it.</summary>
    internal const int CrcStart = 21;

    public static long BaseOffset(ReadOnlySpan<byte> batch) => BinaryPrimitives.ReadInt64BigEndian(batch);

    /// <summary>The broker assigns offsets by patching this field: it is outside the CRC, so no re-checksum.</summary>
    public static void SetBaseOffset(Span<byte> batch, long baseOffset) => BinaryPrimitives.WriteInt64BigEndian(batch, baseOffset);

    public static int BatchLength(ReadOnlySpan<byte> batch) => BinaryPrimitives.ReadInt32BigEndian(batch[8..]);

    public static void SetPartitionLeaderEpoch(Span<byte> batch, int epoch) => BinaryPrimitives.WriteInt32BigEndian(batch[12..], epoch);

    public static CompressionType Compression(ReadOnlySpan<byte> batch) => (CompressionType)(BinaryPrimitives.ReadInt16BigEndian(batch[21..]) & 0x7);

    public static int LastOffsetDelta(ReadOnlySpan<byte> batch) => BinaryPrimitives.ReadInt32BigEndian(batch[23..]);

    public static long FirstTimestamp(ReadOnlySpan<byte> batch) => BinaryPrimitives.ReadInt64BigEndian(batch[27..]);

    public static long MaxTimestamp(ReadOnlySpan<byte> batch) => BinaryPrimitives.ReadInt64BigEndian(batch[35..]);

    public static int RecordCount(ReadOnlySpan<byte> batch) => BinaryPrimitives.ReadInt32BigEndian(batch[57..]);

    /// <summary>Checks that <paramref name="batch"/> is exactly one well-formed v2 batch with a matching CRC.</summary>
    public static BatchError Validate(ReadOnlySpan<byte> batch)
    {
        if (batch.Length < HeaderSize || (long)BatchLength(batch) + 12 != batch.Length) return BatchError.Truncated;
        if (batch[16] != Magic) return BatchError.UnsupportedMagic;
        if (BinaryPrimitives.ReadUInt32BigEndian(batch[17..]) != Crc32C.Compute(batch[CrcStart..])) return BatchError.CorruptMessage;
        var count = RecordCount(batch);
        if (count < 0 || (count > 0 && LastOffsetDelta(batch) != count - 1)) return BatchError.InvalidRecordCount;
        return BatchError.None;
    }

    /// <summary>
    /// Splits a concatenation of batches (a Kafka produce request's or fetch response's record set) into
    /// (start, length) ranges. Returns false if the data ends inside a batch.
    /// </summary>
    public static bool Split(ReadOnlySpan<byte> data, List<(int Start, int Length)> into)
    {
        var position = 0;
        while (position < data.Length)
        {
            if (data.Length - position < 12) return false;
            var length = (long)BatchLength(data[position..]) + 12;
            if (length < HeaderSize || length > data.Length - position) return false;
            into.Add((position, (int)length));
            position += (int)length;
        }
        return true;
    }

    public static IReadOnlyList<Record> Decode(ReadOnlySpan<byte> batch)
    {
        var records = new List<Record>(Math.Max(0, Math.Min(RecordCountOrZero(batch), 4096)));
        Decode(batch, records);
        return records;
    }

    /// <summary>Appends the batch's records to <paramref name="into"/> with absolute offsets and timestamps.</summary>
    public static void Decode(ReadOnlySpan<byte> batch, List<Record> into)
    {
        var error = Validate(batch);
        if (error != BatchError.None) throw new InvalidDataException($"Invalid record batch: {error}");
        var baseOffset = BaseOffset(batch);
        var firstTimestamp = FirstTimestamp(batch);
        var count = RecordCount(batch);
        var records = batch[HeaderSize..];
        var compression = Compression(batch);
        if (compression == CompressionType.Gzip) records = Gunzip(records);
        else if (compression != CompressionType.None)
            throw new NotSupportedException($"Compression codec {compression.ToString().ToLowerInvariant()} is not supported");

        var position = 0;
        for (var i = 0; i < count; i++)
        {
            var length = VarInt.Read(records, ref position);
            if (length < 0 || length > records.Length - position) throw new InvalidDataException($"Record {i} has an invalid length {length}");
            var end = position + (int)length;
            var body = records[..end];
            position++; // attributes
            var timestampDelta = VarInt.Read(body, ref position);
            var offsetDelta = VarInt.Read(body, ref position);
            var key = ReadBytes(body, ref position);
            var value = ReadBytes(body, ref position);
            var headerCount = VarInt.Read(body, ref position);
            if (headerCount < 0 || headerCount > end - position) throw new InvalidDataException($"Record {i} has an invalid header count {headerCount}");
            IReadOnlyList<Header> headers = [];
            if (headerCount > 0)
            {
                var array = new Header[headerCount];
                for (var h = 0; h < headerCount; h++)
                {
                    var headerKey = ReadBytes(body, ref position) ?? throw new InvalidDataException($"Record {i} has a null header key");
                    array[h] = new Header(Encoding.UTF8.GetString(headerKey), ReadBytes(body, ref position));
                }
                headers = array;
            }
            if (position != end) throw new InvalidDataException($"Record {i} is {length} bytes long but its fields take {position - end + length}");
            into.Add(new Record(baseOffset + offsetDelta, firstTimestamp + timestampDelta, key, value, headers));
        }
        if (position != records.Length) throw new InvalidDataException("Record batch has bytes after its last record");
    }

    private static int RecordCountOrZero(ReadOnlySpan<byte> batch) => batch.Length >= HeaderSize ? RecordCount(batch) : 0;

    private static byte[]? ReadBytes(ReadOnlySpan<byte> data, ref int position)
    {
        var length = VarInt.Read(data, ref position);
        if (length == -1) return null;
        if (length < -1 || length > data.Length - position) throw new InvalidDataException($"Invalid field length {length} in record batch");
        var bytes = data.Slice(position, (int)length).ToArray();
        position += (int)length;
        return bytes;
    }

    private static byte[] Gunzip(ReadOnlySpan<byte> compressed)
    {
        try
        {
            using var input = new MemoryStream(compressed.ToArray());
            using var gzip = new GZipStream(input, CompressionMode.Decompress);
            using var output = new MemoryStream();
            gzip.CopyTo(output);
            return output.ToArray();
        }
        catch (Exception e) when (e is InvalidDataException or IOException)
        {
            throw new InvalidDataException($"Gzip-compressed records cannot be decompressed: {e.Message}");
        }
    }
}
