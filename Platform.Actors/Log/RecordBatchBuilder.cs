using System.Buffers;
using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace Platform.Actors.Log;

/// <summary>
/// Builds one Kafka RecordBatch v2: what a producer sends and what a partition stores as it is. Records
/// are encoded as they are added, into one growing buffer, so building a batch costs one copy of the
/// records section. Reusable after <see cref="Clear"/>.
/// </summary>
public sealed class RecordBatchBuilder(CompressionType compression = CompressionType.None)
{
    private readonly ArrayBufferWriter<byte> _records = new(1024);
    private long _firstTimestamp = -1;
    private long _maxTimestamp = -1;

    public int Count { get; private set; }

    /// <summary>Bytes of the batch uncompressed, header included; producers cut batches on it.</summary>
    public int EstimatedSizeInBytes => RecordBatch.HeaderSize + _records.WrittenCount;

    public void Add(long timestamp, byte[]? key, byte[]? value, IReadOnlyList<Header>? headers = null)
    {
        if (Count == 0) _firstTimestamp = timestamp;
        _maxTimestamp = Math.Max(_maxTimestamp, timestamp);
        var timestampDelta = timestamp - _firstTimestamp;
        var offsetDelta = Count;

        var headerBytes = headers is null ? null : new byte[headers.Count][];
        var bodySize = 1 + VarInt.SizeOf(timestampDelta) + VarInt.SizeOf(offsetDelta)
                       + VarInt.SizeOf(key?.Length ?? -1) + (key?.Length ?? 0)
                       + VarInt.SizeOf(value?.Length ?? -1) + (value?.Length ?? 0)
                       + VarInt.SizeOf(headers?.Count ?? 0);
        for (var i = 0; i < (headers?.Count ?? 0); i++)
        {
            var header = headers![i];
            headerBytes![i] = Encoding.UTF8.GetBytes(header.Key);
            bodySize += VarInt.SizeOf(headerBytes[i].Length) + headerBytes[i].Length
                        + VarInt.SizeOf(header.Value?.Length ?? -1) + (header.Value?.Length ?? 0);
        }

        VarInt.Write(_records, bodySize);
        _records.GetSpan(1)[0] = 0; // record attributes: unused in v2
        _records.Advance(1);
        VarInt.Write(_records, timestampDelta);
        VarInt.Write(_records, offsetDelta);
        WriteBytes(key);
        WriteBytes(value);
        VarInt.Write(_records, headers?.Count ?? 0);
        for (var i = 0; i < (headers?.Count ?? 0); i++)
        {
            WriteBytes(headerBytes![i]);
            WriteBytes(headers![i].Value);
        }
        Count++;
    }

    /// <summary>
    /// The finished batch. Producer id, epoch and base sequence default to Kafka's "none" (-1): Platform
    /// does not offer idempotent producers yet.
    /// </summary>
    public byte[] Build(long baseOffset = 0, long producerId = -1, short producerEpoch = -1, int baseSequence = -1)
    {
        ReadOnlySpan<byte> records = _records.WrittenSpan;
        byte[]? compressed = null;
        if (compression == CompressionType.Gzip)
        {
            using var output = new MemoryStream();
            using (var gzip = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true)) gzip.Write(records);
            compressed = output.ToArray();
            records = compressed;
        }
        else if (compression != CompressionType.None)
        {
            throw new NotSupportedException($"Compression codec {compression} is not supported");
        }

        var batch = new byte[RecordBatch.HeaderSize + records.Length];
        var span = batch.AsSpan();
        BinaryPrimitives.WriteInt64BigEndian(span, baseOffset);
        BinaryPrimitives.WriteInt32BigEndian(span[8..], batch.Length - 12);
        BinaryPrimitives.WriteInt32BigEndian(span[12..], -1); // partitionLeaderEpoch
        span[16] = RecordBatch.Magic;
        BinaryPrimitives.WriteInt16BigEndian(span[21..], (short)compression); // CreateTime, not transactional
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
        _records.Clear();
        Count = 0;
        _firstTimestamp = -1;
        _maxTimestamp = -1;
    }

    private void WriteBytes(byte[]? bytes)
    {
        VarInt.Write(_records, bytes?.Length ?? -1);
        if (bytes is null) return;
        bytes.CopyTo(_records.GetSpan(bytes.Length));
        _records.Advance(bytes.Length);
    }
}
