using System.Buffers;
using FsCheck.Xunit;
using Platform.Actors.Log;
using Platform.Protocol.Records;

namespace Platform.Specs.Log;

public class VarIntSpecs
{
    // Zig-zag encodings as Kafka's ByteUtils writes them.
    [Theory]
    [InlineData(0L, "00")]
    [InlineData(-1L, "01")]
    [InlineData(1L, "02")]
    [InlineData(-64L, "7F")]
    [InlineData(63L, "7E")]
    [InlineData(64L, "8001")]
    [InlineData(300L, "D804")]
    [InlineData(int.MaxValue, "FEFFFFFF0F")]
    [InlineData(int.MinValue, "FFFFFFFF0F")]
    [InlineData(long.MaxValue, "FEFFFFFFFFFFFFFFFF01")]
    [InlineData(long.MinValue, "FFFFFFFFFFFFFFFFFF01")]
    public void Encodes_as_Kafka_does(long value, string hex)
    {
        var writer = new ArrayBufferWriter<byte>();
        VarInt.Write(writer, value);
        Assert.Equal(hex, Convert.ToHexString(writer.WrittenSpan));
        Assert.Equal(hex.Length / 2, VarInt.SizeOf(value));
        var position = 0;
        Assert.Equal(value, VarInt.ReadVarLong(writer.WrittenSpan, ref position));
        Assert.Equal(hex.Length / 2, position);
        if (value is >= int.MinValue and <= int.MaxValue)
        {
            position = 0;
            Assert.Equal((int)value, VarInt.ReadVarInt(writer.WrittenSpan, ref position));
        }
    }

    [Property(MaxTest = 500)]
    public void Longs_and_ints_round_trip(long value, int small)
    {
        Span<byte> buffer = stackalloc byte[VarInt.MaxVarLongBytes * 2];
        var written = VarInt.Write(buffer, value);
        written += VarInt.Write(buffer[written..], small);
        Assert.Equal(VarInt.SizeOf(value) + VarInt.SizeOf(small), written);
        var position = 0;
        Assert.Equal(value, VarInt.ReadVarLong(buffer, ref position));
        Assert.Equal(small, VarInt.ReadVarInt(buffer, ref position));
        Assert.Equal(written, position);
    }

    [Fact]
    public void Truncated_and_overlong_encodings_are_invalid_data()
    {
        var position = 0;
        Assert.Throws<InvalidDataException>(() => VarInt.ReadVarInt([0x80, 0x80], ref position));
        position = 0;
        Assert.Throws<InvalidDataException>(() => VarInt.ReadVarInt([0x80, 0x80, 0x80, 0x80, 0x80, 0x00], ref position));
        position = 0;
        Assert.Throws<InvalidDataException>(() => VarInt.ReadVarLong(Enumerable.Repeat((byte)0x80, 10).Append((byte)0).ToArray(), ref position));
        position = 0;
        Assert.Throws<InvalidDataException>(() => VarInt.ReadVarLong([], ref position));
    }
}
