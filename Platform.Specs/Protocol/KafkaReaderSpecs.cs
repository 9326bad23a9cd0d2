using System.Buffers;
using System.Buffers.Binary;
using Platform.Protocol.Messages;
using Platform.Protocol.Wire;

namespace Platform.Specs.Protocol;

/// <summary>
/// The reader's bounds: malformed input ends in <see cref="KafkaProtocolException"/>, and no claimed count or
/// length is allocated for before it is checked against the bytes actually there.
/// </summary>
public class KafkaReaderSpecs
{
    private static long AllocatedWhileRefusing(Action read)
    {
        Assert.Throws<KafkaProtocolException>(read); // the first run pays for JIT and the exception machinery
        var before = GC.GetAllocatedBytesForCurrentThread();
        Assert.Throws<KafkaProtocolException>(read);
        return GC.GetAllocatedBytesForCurrentThread() - before;
    }

    private static void ReadProduce(byte[] bytes, short version)
    {
        var reader = new KafkaReader(bytes);
        ProduceRequest.Read(ref reader, version);
    }

    [Fact]
    public void A_16_byte_frame_claiming_two_billion_topics_fails_before_allocating_for_them()
    {
        // ProduceRequest v3: null transactional id, acks, timeout, then an int32 topic count of 2^31-1.
        var frame = new byte[16];
        BinaryPrimitives.WriteInt16BigEndian(frame, -1);
        BinaryPrimitives.WriteInt16BigEndian(frame.AsSpan(2), 1);
        BinaryPrimitives.WriteInt32BigEndian(frame.AsSpan(4), 1000);
        BinaryPrimitives.WriteInt32BigEndian(frame.AsSpan(8), int.MaxValue);
        Assert.True(AllocatedWhileRefusing(() => ReadProduce(frame, 3)) < 16 * 1024);
    }

    [Fact]
    public void A_compact_count_near_two_to_the_32_fails_before_allocating()
    {
        // ProduceRequest v9: compact null transactional id (0), acks, timeout, unsigned varint 0xFFFFFFFF.
        byte[] frame = [0, 0, 1, 0, 0, 3, 232, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 0, 0, 0, 0];
        Assert.True(AllocatedWhileRefusing(() => ReadProduce(frame, 9)) < 16 * 1024);
    }

    [Fact]
    public void A_byte_length_larger_than_the_frame_fails_before_allocating()
    {
        byte[] frame = [0x7F, 0xFF, 0xFF, 0xFF, 1, 2, 3];
        Assert.True(AllocatedWhileRefusing(() =>
        {
            var reader = new KafkaReader(frame);
            reader.ReadBytes(compact: false);
        }) < 16 * 1024);
    }

    [Theory]
    [InlineData(new byte[] { 0xFF, 0xFE, 0 }, false)] // string length -2
    [InlineData(new byte[] { 0x80, 0x00 }, false)] // string length -32768
    [InlineData(new byte[] { 0x00, 0x05, 0x61 }, false)] // 5 bytes claimed, 1 there
    [InlineData(new byte[] { 0x00, 0x02, 0xC3, 0x28 }, false)] // invalid UTF-8
    [InlineData(new byte[] { 0x00, 0x01, 0xFF }, false)] // invalid UTF-8
    [InlineData(new byte[] { 0x03, 0xED, 0xA0 }, true)] // compact: a lone surrogate, cut short
    [InlineData(new byte[] { 0x80, 0x80, 0x80, 0x80, 0x80, 0x01 }, true)] // varint longer than 5 bytes
    [InlineData(new byte[] { 0x80, 0x80 }, true)] // varint cut short
    public void A_malformed_string_is_refused(byte[] bytes, bool compact)
    {
        Assert.Throws<KafkaProtocolException>(() =>
        {
            var reader = new KafkaReader(bytes);
            reader.ReadNullableString(compact);
        });
    }

    [Fact]
    public void Null_is_refused_where_the_version_does_not_allow_it()
    {
        // MetadataRequest v0 has a non-nullable topic array: -1 is malformed there, and null in v1+.
        byte[] nullTopics = [0xFF, 0xFF, 0xFF, 0xFF];
        Assert.Throws<KafkaProtocolException>(() =>
        {
            var reader = new KafkaReader(nullTopics);
            MetadataRequest.Read(ref reader, 0);
        });
        var v1 = new KafkaReader(nullTopics);
        Assert.Null(MetadataRequest.Read(ref v1, 1).Topics);
        Assert.Throws<KafkaProtocolException>(() => MessageSamples.Write(new MetadataRequest { Topics = null }, 0));
    }

    [Theory]
    [InlineData(new byte[] { 0xFF, 0xFF, 0xFF, 0xFE })] // -2
    [InlineData(new byte[] { 0x80, 0x00, 0x00, 0x00 })] // int.MinValue
    public void A_negative_length_other_than_minus_one_is_refused(byte[] bytes)
    {
        Assert.Throws<KafkaProtocolException>(() =>
        {
            var reader = new KafkaReader(bytes);
            reader.ReadNullableBytes(compact: false);
        });
        Assert.Throws<KafkaProtocolException>(() =>
        {
            var reader = new KafkaReader(bytes);
            reader.ReadNullableArrayCount(compact: false, 1);
        });
    }

    [Fact]
    public void A_version_outside_the_range_is_refused_on_read_and_write()
    {
        Assert.Throws<KafkaProtocolException>(() =>
        {
            var reader = new KafkaReader([]);
            ProduceRequest.Read(ref reader, ProduceRequest.HighestVersion + 1);
        });
        Assert.Throws<KafkaProtocolException>(() => MessageSamples.Write(new ProduceRequest(), -1));
    }

    [Fact]
    public void A_non_default_value_in_a_version_without_the_field_is_refused_unless_ignorable()
    {
        // ProduceRequest.TransactionalId exists from v3 and is not ignorable; FetchRequest.MaxBytes (v3+) is.
        Assert.Throws<KafkaProtocolException>(() => MessageSamples.Write(new ProduceRequest { TransactionalId = "tx" }, 2));
        var fetch = MessageSamples.Write(new FetchRequest { MaxBytes = 10 }, 2);
        Assert.Equal(int.MaxValue, ((FetchRequest)MessageSamples.Read(typeof(FetchRequest), fetch, 2)).MaxBytes);
    }

    [Fact]
    public void Varints_decode_at_their_limits()
    {
        var buffer = new ArrayBufferWriter<byte>();
        var writer = new KafkaWriter(buffer);
        writer.WriteUnsignedVarInt(uint.MaxValue);
        writer.WriteVarInt(int.MinValue);
        writer.WriteVarLong(long.MinValue);
        writer.WriteVarLong(long.MaxValue);
        var reader = new KafkaReader(buffer.WrittenSpan);
        Assert.Equal(uint.MaxValue, reader.ReadUnsignedVarInt());
        Assert.Equal(int.MinValue, reader.ReadVarInt());
        Assert.Equal(long.MinValue, reader.ReadVarLong());
        Assert.Equal(long.MaxValue, reader.ReadVarLong());
        Assert.Equal(0, reader.Remaining);
    }

    [Fact]
    public void Kafka_uuid_bytes_are_the_guid_in_big_endian_order()
    {
        // Kafka's Uuid(0x0011223344556677L, 0x8899AABBCCDDEEFFL) writes its most significant long, then its least.
        var guid = Guid.Parse("00112233-4455-6677-8899-aabbccddeeff");
        var buffer = new ArrayBufferWriter<byte>();
        new KafkaWriter(buffer).WriteUuid(guid);
        Assert.Equal(Convert.FromHexString("00112233445566778899AABBCCDDEEFF"), buffer.WrittenSpan.ToArray());
        var reader = new KafkaReader(buffer.WrittenSpan);
        Assert.Equal(guid, reader.ReadUuid());
        Assert.Equal("00112233445566778899aabbccddeeff", guid.ToString("N"));
    }
}
