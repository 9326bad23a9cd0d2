using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace Platform.Protocol.Wire;

/// <summary>
/// Writes Kafka's primitive types into an <see cref="IBufferWriter{T}"/> (a PipeWriter on a connection, an
/// ArrayBufferWriter in a test), so responses go to the socket buffer without an intermediate array. Values that
/// cannot be encoded (a null where the version forbids one, a string too long for its prefix) throw
/// <see cref="KafkaProtocolException"/>.
/// </summary>
public sealed class KafkaWriter
{
    private readonly IBufferWriter<byte> _output;
    private readonly SizeCounter? _counter;
    private long _written;

    public KafkaWriter(IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        _output = output;
        _counter = output as SizeCounter;
    }

    /// <summary>Bytes written through this writer so far.</summary>
    public long Written => _written;

    public void WriteInt8(sbyte value)
    {
        _output.GetSpan(1)[0] = (byte)value;
        Advance(1);
    }

    public void WriteBool(bool value) => WriteInt8(value ? (sbyte)1 : (sbyte)0);

    public void WriteInt16(short value)
    {
        BinaryPrimitives.WriteInt16BigEndian(_output.GetSpan(2), value);
        Advance(2);
    }

    public void WriteUInt16(ushort value)
    {
        BinaryPrimitives.WriteUInt16BigEndian(_output.GetSpan(2), value);
        Advance(2);
    }

    public void WriteInt32(int value)
    {
        BinaryPrimitives.WriteInt32BigEndian(_output.GetSpan(4), value);
        Advance(4);
    }

    public void WriteInt64(long value)
    {
        BinaryPrimitives.WriteInt64BigEndian(_output.GetSpan(8), value);
        Advance(8);
    }

    public void WriteFloat64(double value)
    {
        BinaryPrimitives.WriteDoubleBigEndian(_output.GetSpan(8), value);
        Advance(8);
    }

    /// <summary>Kafka's Uuid byte order: the <see cref="Guid"/> written big-endian, see <see cref="KafkaReader.ReadUuid"/>.</summary>
    public void WriteUuid(Guid value)
    {
        if (!value.TryWriteBytes(_output.GetSpan(16), bigEndian: true, out _)) throw new InvalidOperationException("Guid did not fit 16 bytes");
        Advance(16);
    }

    public void WriteUnsignedVarInt(uint value)
    {
        var span = _output.GetSpan(5);
        var i = 0;
        while (value >= 0x80)
        {
            span[i++] = (byte)(value | 0x80);
            value >>= 7;
        }
        span[i++] = (byte)value;
        Advance(i);
    }

    public void WriteVarInt(int value) => WriteUnsignedVarInt((uint)((value << 1) ^ (value >> 31)));

    public void WriteVarLong(long value)
    {
        var raw = (ulong)((value << 1) ^ (value >> 63));
        var span = _output.GetSpan(10);
        var i = 0;
        while (raw >= 0x80)
        {
            span[i++] = (byte)(raw | 0x80);
            raw >>= 7;
        }
        span[i++] = (byte)raw;
        Advance(i);
    }

    /// <summary>A string that may not be null.</summary>
    public void WriteString(string value, bool compact)
    {
        if (value is null) throw new KafkaProtocolException("Null where a non-nullable string is required");
        WriteNullableString(value, compact);
    }

    /// <summary>A nullable string: int16 length (-1 for null), or unsigned varint length+1 (0 for null) when compact.</summary>
    public void WriteNullableString(string? value, bool compact)
    {
        if (value is null)
        {
            if (compact) WriteUnsignedVarInt(0);
            else WriteInt16(-1);
            return;
        }
        var length = Encoding.UTF8.GetByteCount(value);
        if (compact)
        {
            WriteUnsignedVarInt((uint)length + 1);
        }
        else
        {
            if (length > short.MaxValue) throw new KafkaProtocolException($"String of {length} bytes is longer than an int16 length allows");
            WriteInt16((short)length);
        }
        if (length == 0) return;
        Encoding.UTF8.GetBytes(value, _output.GetSpan(length));
        Advance(length);
    }

    public void WriteBytes(byte[] value, bool compact)
    {
        if (value is null) throw new KafkaProtocolException("Null where non-nullable bytes are required");
        WriteNullableBytes(value, compact);
    }

    public void WriteNullableBytes(byte[]? value, bool compact)
    {
        if (value is null)
        {
            WriteNullLength(compact);
            return;
        }
        WriteLength(value.Length, compact);
        WriteRaw(value);
    }

    /// <summary>A <c>records</c> field: the length prefix, then every part in order.</summary>
    public void WriteRecords(RecordSet? value, bool compact)
    {
        if (value is null)
        {
            WriteNullLength(compact);
            return;
        }
        WriteLength(value.Length, compact);
        var parts = value.Parts;
        var segments = _output as FrameSegments;
        for (var i = 0; i < parts.Count; i++)
        {
            // Into frame segments, a stored batch is referenced rather than copied; it is counted as written all the same.
            if (segments is not null && segments.TryReference(parts[i])) _written += parts[i].Length;
            else WriteRaw(parts[i].Span);
        }
    }

    /// <summary>An array's element count: int32, or unsigned varint count+1 when compact.</summary>
    public void WriteArrayCount(int count, bool compact) => WriteLength(count, compact);

    /// <summary>A null array: -1, or 0 when compact.</summary>
    public void WriteNullArray(bool compact) => WriteNullLength(compact);

    /// <summary>An empty tagged-field section.</summary>
    public void WriteEmptyTaggedFields() => WriteInt8(0);

    /// <summary>One tagged field whose value was encoded separately: tag, size, bytes.</summary>
    public void WriteTaggedField(int tag, ReadOnlySpan<byte> value)
    {
        WriteUnsignedVarInt((uint)tag);
        WriteUnsignedVarInt((uint)value.Length);
        WriteRaw(value);
    }

    /// <summary>Bytes as they are, with no prefix.</summary>
    public void WriteRaw(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length == 0) return;
        if (_counter is not null)
        {
            _counter.Advance(bytes.Length);
            _written += bytes.Length;
            return;
        }
        // In pieces of whatever the output has at hand: a stored batch of a megabyte then never asks a pooled
        // output (a PipeWriter) for one segment of a megabyte.
        while (bytes.Length > 0)
        {
            var span = _output.GetSpan(Math.Min(bytes.Length, 4096));
            var length = Math.Min(span.Length, bytes.Length);
            bytes[..length].CopyTo(span);
            Advance(length);
            bytes = bytes[length..];
        }
    }

    private void WriteLength(int length, bool compact)
    {
        if (compact) WriteUnsignedVarInt((uint)length + 1);
        else WriteInt32(length);
    }

    private void WriteNullLength(bool compact)
    {
        if (compact) WriteUnsignedVarInt(0);
        else WriteInt32(-1);
    }

    private void Advance(int count)
    {
        _output.Advance(count);
        _written += count;
    }
}
