using System.Buffers;

namespace Platform.Protocol.Records;

/// <summary>
/// Kafka's zig-zag variable-length integers (ByteUtils.writeVarint/writeVarlong): 7 bits a byte, least
/// significant group first, so small magnitudes, positive or negative, take one byte. Readers follow
/// ByteUtils: a varint has at most 5 bytes and a varlong at most 10 (bits past 32/64 are dropped, as
/// Java drops them); longer or truncated encodings are <see cref="InvalidDataException"/>, because they
/// only ever come from a damaged or hostile batch.
/// </summary>
internal static class VarInt
{
    public const int MaxVarIntBytes = 5;
    public const int MaxVarLongBytes = 10;

    /// <summary>Encoded size of <paramref name="value"/>; the same for an int and the equal long.</summary>
    public static int SizeOf(long value)
    {
        var zigzag = ZigZag(value);
        var size = 1;
        while (zigzag >= 0x80)
        {
            size++;
            zigzag >>= 7;
        }
        return size;
    }

    /// <summary>Writes <paramref name="value"/> at the start of <paramref name="destination"/>; returns the bytes written.</summary>
    public static int Write(Span<byte> destination, long value)
    {
        var zigzag = ZigZag(value);
        var i = 0;
        while (zigzag >= 0x80)
        {
            destination[i++] = (byte)(zigzag | 0x80);
            zigzag >>= 7;
        }
        destination[i++] = (byte)zigzag;
        return i;
    }

    public static void Write(IBufferWriter<byte> writer, long value) =>
        writer.Advance(Write(writer.GetSpan(MaxVarLongBytes), value));

    /// <summary>Reads a varint (Kafka's int32 fields: lengths, offset deltas, counts) and moves past it.</summary>
    public static int ReadVarInt(ReadOnlySpan<byte> data, ref int position)
    {
        var start = position;
        if (TryReadVarInt(data, ref position, out var value)) return value;
        throw new InvalidDataException(position - start >= MaxVarIntBytes
            ? $"Varint longer than {MaxVarIntBytes} bytes in record batch"
            : "Record batch ends inside a varint");
    }

    /// <summary>Reads a varlong (Kafka's int64 fields: the timestamp delta) and moves past it.</summary>
    public static long ReadVarLong(ReadOnlySpan<byte> data, ref int position)
    {
        var start = position;
        if (TryReadVarLong(data, ref position, out var value)) return value;
        throw new InvalidDataException(position - start >= MaxVarLongBytes
            ? $"Varlong longer than {MaxVarLongBytes} bytes in record batch"
            : "Record batch ends inside a varlong");
    }

    /// <summary>As <see cref="ReadVarInt"/>, false for a truncated or over-long encoding: for validators, where bad input is an answer.</summary>
    public static bool TryReadVarInt(ReadOnlySpan<byte> data, ref int position, out int value)
    {
        uint raw = 0;
        for (var shift = 0; shift < 7 * MaxVarIntBytes; shift += 7)
        {
            if ((uint)position >= (uint)data.Length) break;
            var b = data[position++];
            raw |= (uint)(b & 0x7F) << shift;
            if ((b & 0x80) == 0)
            {
                value = (int)(raw >> 1) ^ -(int)(raw & 1);
                return true;
            }
        }
        value = 0;
        return false;
    }

    /// <summary>As <see cref="ReadVarLong"/>, false for a truncated or over-long encoding.</summary>
    public static bool TryReadVarLong(ReadOnlySpan<byte> data, ref int position, out long value)
    {
        ulong raw = 0;
        for (var shift = 0; shift < 7 * MaxVarLongBytes; shift += 7)
        {
            if ((uint)position >= (uint)data.Length) break;
            var b = data[position++];
            raw |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0)
            {
                value = (long)(raw >> 1) ^ -(long)(raw & 1);
                return true;
            }
        }
        value = 0;
        return false;
    }

    private static ulong ZigZag(long value) => (ulong)((value << 1) ^ (value >> 63));
}
