using System.Buffers;

namespace Platform.Actors.Log;

/// <summary>
/// Kafka's zig-zag variable-length integers (ByteUtils.writeVarlong): small magnitudes, positive or
/// negative, take one byte. Readers reject overlong or truncated encodings.
/// </summary>
internal static class VarInt
{
    public static int SizeOf(long value)
    {
        var zigzag = (ulong)((value << 1) ^ (value >> 63));
        var size = 1;
        while (zigzag >= 0x80)
        {
            size++;
            zigzag >>= 7;
        }
        return size;
    }

    public static void Write(IBufferWriter<byte> writer, long value)
    {
        var zigzag = (ulong)((value << 1) ^ (value >> 63));
        var span = writer.GetSpan(10);
        var i = 0;
        while (zigzag >= 0x80)
        {
            span[i++] = (byte)(zigzag | 0x80);
            zigzag >>= 7;
        }
        span[i++] = (byte)zigzag;
        writer.Advance(i);
    }

    public static long Read(ReadOnlySpan<byte> data, ref int position)
    {
        ulong raw = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            if (position >= data.Length) throw new InvalidDataException("Record batch truncated inside a varint");
            var b = data[position++];
            raw |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0) return (long)(raw >> 1) ^ -(long)(raw & 1);
        }
        throw new InvalidDataException("Varint longer than 10 bytes in record batch");
    }
}
