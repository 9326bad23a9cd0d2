using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace Platform.Protocol.Records;

/// <summary>
/// Builds one Kafka RecordBatch v2: what a producer sends and a partition stores as it is. Each record is
/// encoded as it is added, straight into one growing buffer (header keys too, with no intermediate
/// arrays), so <see cref="EstimatedSizeInBytes"/> is exact for an uncompressed batch and building costs
/// one copy of the records section. Kafka's conventions: the first record's timestamp is the batch's
/// base timestamp (deltas may be negative), timestamp type CreateTime, offset deltas 0..n-1. Not thread-safe;
/// reusable after <see cref="Clear"/>.
/// </summary>
public sealed class RecordBatchBuilder(CompressionType compression = CompressionType.None)
{
    private readonly ArrayBufferWriter<byte> _records = new(1024);
    private long _firstTimestamp = -1;
    private long _maxTimestamp = -1;

    public CompressionType Compression { get; } = compression;

    public int Count { get; private set; }

    /// <summary>Bytes of the batch uncompressed, header included; producers cut batches at batch.size on it.</summary>
    public int EstimatedSizeInBytes => RecordBatch.HeaderSize + _records.WrittenCount;

    /// <summary>
    /// Appends a record. A null <paramref name="key"/> or <paramref name="value"/> is written as length -1,
    /// which Kafka distinguishes from an empty array; so are null header values.
    /// </summary>
    public void Add(long timestamp, byte[]? key, byte[]? value, IReadOnlyList<Header>? headers = null)
    {
        var firstTimestamp = Count == 0 ? timestamp : _firstTimestamp;
        var timestampDelta = timestamp - firstTimestamp;
        var offsetDelta = Count;
        var headerCount = headers?.Count ?? 0;

        long bodySize = 1 + VarInt.SizeOf(timestampDelta) + VarInt.SizeOf(offsetDelta)
                        + SizeOfBytes(key?.Length ?? -1) + SizeOfBytes(value?.Length ?? -1)
                        + VarInt.SizeOf(headerCount);
        for (var i = 0; i < headerCount; i++)
        {
            var header = headers![i];
            var keyLength = Encoding.UTF8.GetByteCount(header.Key ?? throw new ArgumentException($"Header {i} has a null key", nameof(headers)));
            bodySize += SizeOfBytes(keyLength) + SizeOfBytes(header.Value?.Length ?? -1);
        }
        if (bodySize > int.MaxValue - RecordBatch.HeaderSize - _records.WrittenCount - VarInt.MaxVarIntBytes)
            throw new ArgumentException($"A record of {bodySize} bytes does not fit in a record batch");

        var total = VarInt.SizeOf(bodySize) + (int)bodySize;
        var span = _records.GetSpan(total);
        var position = VarInt.Write(span, bodySize);
        span[position++] = 0; // record attributes: unused in v2
        position += VarInt.Write(span[position..], timestampDelta);
        position += VarInt.Write(span[position..], offsetDelta);
        position += WriteBytes(span[position..], key);
        position += WriteBytes(span[position..], value);
        position += VarInt.Write(span[position..], headerCount);
        for (var i = 0; i < headerCount; i++)
        {
            var header = headers![i];
            var keyLength = Encoding.UTF8.GetByteCount(header.Key);
            position += VarInt.Write(span[position..], keyLength);
            position += Encoding.UTF8.GetBytes(header.Key, span[position..]);
            position += WriteBytes(span[position..], header.Value);
        }
        _records.Advance(position);
        _firstTimestamp = firstTimestamp;
        _maxTimestamp = Count == 0 ? timestamp : Math.Max(_maxTimestamp, timestamp);
        Count++;
    }

    /// <summary>
    /// The finished batch; the builder keeps its records until <see cref="Clear"/>. The producer fields
    /// default to Kafka's "none" (-1), as a non-idempotent Kafka producer writes them; the partition leader
    /// epoch is -1 and the base offset is whatever the broker will overwrite. A codec compresses the records
    /// section (everything after the record count) in the framing Kafka's clients read (see
    /// <see cref="RecordCompression"/>); an id Kafka does not define throws <see cref="NotSupportedException"/>.
    /// </summary>
    public byte[] Build(long baseOffset = 0, long producerId = -1, short producerEpoch = -1, int baseSequence = -1)
    {
        ReadOnlySpan<byte> records = Compression == CompressionType.None
            ? _records.WrittenSpan
            : RecordCompression.Compress(Compression, _records.WrittenSpan).Span;

        var batch = new byte[RecordBatch.HeaderSize + records.Length];
        var span = batch.AsSpan();
        BinaryPrimitives.WriteInt64BigEndian(span, baseOffset);
        BinaryPrimitives.WriteInt32BigEndian(span[8..], batch.Length - RecordBatch.LogOverhead);
        BinaryPrimitives.WriteInt32BigEndian(span[12..], -1); // partitionLeaderEpoch: the leader's to set
        span[16] = RecordBatch.Magic;
        BinaryPrimitives.WriteInt16BigEndian(span[21..], (short)Compression); // CreateTime, not transactional, not control
        BinaryPrimitives.WriteInt32BigEndian(span[23..], Count - 1);
        BinaryPrimitives.WriteInt64BigEndian(span[27..], Count == 0 ? -1 : _firstTimestamp);
        BinaryPrimitives.WriteInt64BigEndian(span[35..], Count == 0 ? -1 : _maxTimestamp);
        BinaryPrimitives.WriteInt64BigEndian(span[43..], producerId);
        BinaryPrimitives.WriteInt16BigEndian(span[51..], producerEpoch);
        BinaryPrimitives.WriteInt32BigEndian(span[53..], baseSequence);
        BinaryPrimitives.WriteInt32BigEndian(span[57..], Count);
        records.CopyTo(span[RecordBatch.HeaderSize..]);
        BinaryPrimitives.WriteUInt32BigEndian(span[17..], Crc32C.Compute(span[RecordBatch.CrcStart..]));
        return batch;
    }

    public void Clear()
    {
        _records.ResetWrittenCount(); // no need to zero what the next batch overwrites
        Count = 0;
        _firstTimestamp = -1;
        _maxTimestamp = -1;
    }

    private static int SizeOfBytes(int length) => VarInt.SizeOf(length) + Math.Max(0, length);

    private static int WriteBytes(Span<byte> destination, byte[]? bytes)
    {
        if (bytes is null) return VarInt.Write(destination, -1);
        var written = VarInt.Write(destination, bytes.Length);
        bytes.CopyTo(destination[written..]);
        return written + bytes.Length;
    }
}
