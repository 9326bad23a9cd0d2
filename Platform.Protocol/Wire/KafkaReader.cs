using System.Buffers.Binary;
using System.Text;
using System.Text.Unicode;

namespace Platform.Protocol.Wire;

/// <summary>
/// Reads Kafka's primitive types from one frame. Every read checks the bytes left first and every claimed length
/// or count is checked against them before anything is allocated, so a hostile or truncated frame ends in a
/// <see cref="KafkaProtocolException"/>, never an IndexOutOfRangeException or a gigabyte-sized array. A ref struct
/// over a span: decoding a request allocates nothing but the values it produces.
/// </summary>
public ref struct KafkaReader
{
    private readonly ReadOnlySpan<byte> _data;
    /// <summary>The frame as memory when the caller owns it for good: <c>records</c> fields then point into it.</summary>
    private readonly ReadOnlyMemory<byte> _owned;
    private readonly bool _isOwned;
    private int _position;

    public KafkaReader(ReadOnlySpan<byte> data)
    {
        _data = data;
        _position = 0;
    }

    /// <summary>
    /// A reader over a frame the caller hands over for good (it is never reused): a <c>records</c> field is then a
    /// slice of it instead of a copy, so a fetch response's record batches are copied once, off the socket, and
    /// the records a consumer hands out point into that copy.
    /// </summary>
    public KafkaReader(ReadOnlyMemory<byte> ownedFrame)
    {
        _data = ownedFrame.Span;
        _owned = ownedFrame;
        _isOwned = true;
        _position = 0;
    }

    /// <summary>Bytes not read yet.</summary>
    public readonly int Remaining => _data.Length - _position;

    /// <summary>Bytes read so far.</summary>
    public readonly int Position => _position;

    public sbyte ReadInt8() => (sbyte)Take(1)[0];

    public bool ReadBool() => Take(1)[0] != 0;

    public short ReadInt16() => BinaryPrimitives.ReadInt16BigEndian(Take(2));

    public ushort ReadUInt16() => BinaryPrimitives.ReadUInt16BigEndian(Take(2));

    public int ReadInt32() => BinaryPrimitives.ReadInt32BigEndian(Take(4));

    public long ReadInt64() => BinaryPrimitives.ReadInt64BigEndian(Take(8));

    public double ReadFloat64() => BinaryPrimitives.ReadDoubleBigEndian(Take(8));

    /// <summary>Kafka's Uuid: the most significant long then the least significant, both big-endian, which is a
    /// <see cref="Guid"/> read big-endian (its "N" format shows the 16 bytes in wire order).</summary>
    public Guid ReadUuid() => new(Take(16), bigEndian: true);

    /// <summary>An unsigned varint (KIP-482 lengths, counts and tags): at most 5 bytes.</summary>
    public uint ReadUnsignedVarInt()
    {
        uint value = 0;
        for (var shift = 0; shift < 35; shift += 7)
        {
            if (_position >= _data.Length) throw Truncated("an unsigned varint");
            var b = _data[_position++];
            if (shift == 28 && (b & 0xF0) != 0) throw new KafkaProtocolException("Unsigned varint does not fit 32 bits");
            value |= (uint)(b & 0x7F) << shift;
            if ((b & 0x80) == 0) return value;
        }
        throw new KafkaProtocolException("Unsigned varint longer than 5 bytes");
    }

    /// <summary>A zig-zag varint, as in record headers.</summary>
    public int ReadVarInt()
    {
        var raw = ReadUnsignedVarInt();
        return (int)(raw >> 1) ^ -(int)(raw & 1);
    }

    /// <summary>A zig-zag varlong: at most 10 bytes.</summary>
    public long ReadVarLong()
    {
        ulong raw = 0;
        for (var shift = 0; shift < 70; shift += 7)
        {
            if (_position >= _data.Length) throw Truncated("a varlong");
            var b = _data[_position++];
            if (shift == 63 && (b & 0xFE) != 0) throw new KafkaProtocolException("Varlong does not fit 64 bits");
            raw |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0) return (long)(raw >> 1) ^ -(long)(raw & 1);
        }
        throw new KafkaProtocolException("Varlong longer than 10 bytes");
    }

    /// <summary>A string that may not be null: int16 length, or unsigned varint length+1 when compact.</summary>
    public string ReadString(bool compact) =>
        ReadNullableString(compact) ?? throw new KafkaProtocolException("Null where a non-nullable string is required");

    /// <summary>A nullable string: length -1 (or compact 0) is null.</summary>
    public string? ReadNullableString(bool compact)
    {
        int length;
        if (compact)
        {
            length = (int)Math.Min(ReadUnsignedVarInt(), int.MaxValue) - 1;
        }
        else
        {
            length = ReadInt16();
        }
        if (length == -1) return null;
        if (length < 0) throw new KafkaProtocolException($"Negative string length {length}");
        var bytes = Take(length);
        if (!Utf8.IsValid(bytes)) throw new KafkaProtocolException("String is not valid UTF-8");
        return Encoding.UTF8.GetString(bytes);
    }

    /// <summary>Bytes that may not be null: int32 length, or unsigned varint length+1 when compact.</summary>
    public byte[] ReadBytes(bool compact) =>
        ReadNullableBytes(compact) ?? throw new KafkaProtocolException("Null where non-nullable bytes are required");

    public byte[]? ReadNullableBytes(bool compact)
    {
        var length = ReadLength(compact);
        return length == -1 ? null : Take(length).ToArray();
    }

    /// <summary>
    /// A <c>records</c> field as a one-part <see cref="RecordSet"/>, or null: a slice of an owned frame, else a copy
    /// of its bytes (a span's memory may be reused once the reader is done).
    /// </summary>
    public RecordSet? ReadRecords(bool compact)
    {
        var length = ReadLength(compact);
        if (length == -1) return null;
        var start = _position;
        var bytes = Take(length);
        return _isOwned ? RecordSet.Of(_owned.Slice(start, length)) : RecordSet.Of(bytes.ToArray());
    }

    /// <summary>
    /// The element count of an array that may not be null. The count is checked against the bytes left, at
    /// <paramref name="minElementSize"/> (at least 1) bytes an element, before the caller allocates for it.
    /// </summary>
    public int ReadArrayCount(bool compact, int minElementSize)
    {
        var count = ReadNullableArrayCount(compact, minElementSize);
        if (count == -1) throw new KafkaProtocolException("Null where a non-nullable array is required");
        return count;
    }

    /// <summary>As <see cref="ReadArrayCount"/>, with -1 for a null array.</summary>
    public int ReadNullableArrayCount(bool compact, int minElementSize)
    {
        var count = ReadLength(compact);
        if (count > 0 && (long)count * Math.Max(1, minElementSize) > Remaining)
        {
            throw new KafkaProtocolException($"Array claims {count} elements but only {Remaining} bytes are left");
        }
        return count;
    }

    /// <summary>The start of a tagged-field section (KIP-482): how many tagged fields follow.</summary>
    public int ReadTaggedFieldCount()
    {
        var count = ReadUnsignedVarInt();
        if (count > (uint)Remaining) throw new KafkaProtocolException($"Tagged-field section claims {count} fields but only {Remaining} bytes are left");
        return (int)count;
    }

    /// <summary>One tagged field's tag and its bytes; the caller decodes a known tag from them and ignores the rest.</summary>
    public ReadOnlySpan<byte> ReadTaggedField(out int tag)
    {
        var raw = ReadUnsignedVarInt();
        if (raw > int.MaxValue) throw new KafkaProtocolException($"Tag {raw} out of range");
        tag = (int)raw;
        var size = ReadUnsignedVarInt();
        if (size > (uint)Remaining) throw new KafkaProtocolException($"Tagged field {tag} claims {size} bytes but only {Remaining} are left");
        return Take((int)size);
    }

    /// <summary>Reads and discards a whole tagged-field section: for a struct that knows no tags.</summary>
    public void SkipTaggedFields()
    {
        var count = ReadTaggedFieldCount();
        for (var i = 0; i < count; i++) ReadTaggedField(out _);
    }

    /// <summary>The next <paramref name="length"/> bytes, without copying.</summary>
    public ReadOnlySpan<byte> ReadSpan(int length)
    {
        if (length < 0) throw new KafkaProtocolException($"Negative length {length}");
        return Take(length);
    }

    private int ReadLength(bool compact)
    {
        int length;
        if (compact)
        {
            var raw = ReadUnsignedVarInt();
            if (raw > int.MaxValue) throw new KafkaProtocolException($"Compact length {raw} out of range");
            length = (int)raw - 1;
        }
        else
        {
            length = ReadInt32();
        }
        if (length < -1) throw new KafkaProtocolException($"Negative length {length}");
        return length;
    }

    private ReadOnlySpan<byte> Take(int count)
    {
        if ((uint)count > (uint)(_data.Length - _position)) throw Truncated($"{count} bytes");
        var span = _data.Slice(_position, count);
        _position += count;
        return span;
    }

    private readonly KafkaProtocolException Truncated(string what) =>
        new($"Frame ends early: {what} needed at position {_position}, {Remaining} bytes left");
}
