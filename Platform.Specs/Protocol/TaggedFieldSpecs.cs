using System.Buffers;
using Platform.Protocol.Messages;
using Platform.Protocol.Wire;

namespace Platform.Specs.Protocol;

/// <summary>
/// KIP-482 tagged fields: unknown tags are skipped wherever a tagged section may stand, known ones are written
/// only when they differ from their default, and a tag claiming more bytes than there are is refused.
/// </summary>
public class TaggedFieldSpecs
{
    private static byte[] Write(Action<KafkaWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>();
        write(new KafkaWriter(buffer));
        return buffer.WrittenSpan.ToArray();
    }

    [Fact]
    public void Unknown_tags_after_a_message_are_skipped()
    {
        var bytes = Write(w =>
        {
            w.WriteString("client", compact: true);
            w.WriteString("1.0", compact: true);
            w.WriteUnsignedVarInt(2);
            w.WriteTaggedField(7, [1, 2, 3]);
            w.WriteTaggedField(300, new byte[200]);
        });
        var reader = new KafkaReader(bytes);
        var request = ApiVersionsRequest.Read(ref reader, 3);
        Assert.Equal("client", request.ClientSoftwareName);
        Assert.Equal("1.0", request.ClientSoftwareVersion);
        Assert.Equal(0, reader.Remaining);
    }

    [Fact]
    public void Unknown_tags_in_a_nested_struct_and_in_the_request_header_are_skipped()
    {
        var bytes = Write(w =>
        {
            // RequestHeader v2, then ApiVersionsResponse v3 whose first ApiKeys element carries an unknown tag.
            w.WriteInt16(18);
            w.WriteInt16(3);
            w.WriteInt32(42);
            w.WriteNullableString("c", compact: false);
            w.WriteUnsignedVarInt(1);
            w.WriteTaggedField(5, [9]);
        });
        var reader = new KafkaReader(bytes);
        var header = RequestHeader.Read(ref reader, 2);
        Assert.Equal(42, header.CorrelationId);
        Assert.Equal("c", header.ClientId);
        Assert.Equal(0, reader.Remaining);

        var response = Write(w =>
        {
            w.WriteInt16(0);
            w.WriteArrayCount(1, compact: true);
            w.WriteInt16(0);
            w.WriteInt16(0);
            w.WriteInt16(9);
            w.WriteUnsignedVarInt(1);
            w.WriteTaggedField(77, [1, 2]);
            w.WriteInt32(0);
            w.WriteEmptyTaggedFields();
        });
        var responseReader = new KafkaReader(response);
        var key = Assert.Single(ApiVersionsResponse.Read(ref responseReader, 3).ApiKeys);
        Assert.Equal(9, key.MaxVersion);
        Assert.Equal(0, responseReader.Remaining);
    }

    [Fact]
    public void A_tagged_field_is_written_only_when_it_differs_from_its_default()
    {
        var plain = MessageSamples.Write(new ApiVersionsResponse(), 3);
        var withTag = MessageSamples.Write(new ApiVersionsResponse { ZkMigrationReady = true }, 3);
        // error code, empty compact array, throttle time, then the tagged section: 0 fields, or tag 3 of one byte.
        Assert.Equal(Convert.FromHexString("0000" + "01" + "00000000" + "00"), plain);
        Assert.Equal(Convert.FromHexString("0000" + "01" + "00000000" + "01" + "03" + "01" + "01"), withTag);
        Assert.True(((ApiVersionsResponse)MessageSamples.Read(typeof(ApiVersionsResponse), withTag, 3)).ZkMigrationReady);
    }

    [Fact]
    public void A_known_tag_is_decoded_and_tags_come_in_ascending_order()
    {
        var request = new FetchRequest { ClusterId = "cluster", ReplicaState = new FetchRequest.ReplicaStateData { ReplicaId = 3, ReplicaEpoch = 7 } };
        var bytes = MessageSamples.Write(request, 15);
        var read = (FetchRequest)MessageSamples.Read(typeof(FetchRequest), bytes, 15);
        Assert.Equal("cluster", read.ClusterId);
        Assert.Equal(3, read.ReplicaState.ReplicaId);
        Assert.Equal(7, read.ReplicaState.ReplicaEpoch);
        var tail = bytes[^26..]; // count, tag 0 (size 8), tag 1 (size 13): the message ends with its tagged section
        Assert.Equal(Convert.FromHexString("02" + "00" + "08" + "08" + Convert.ToHexString("cluster"u8) + "01" + "0D"), tail[..13]);
    }

    [Fact]
    public void A_tagged_field_claiming_more_bytes_than_remain_is_refused()
    {
        var bytes = Write(w =>
        {
            w.WriteString("a", compact: true);
            w.WriteString("b", compact: true);
            w.WriteUnsignedVarInt(1);
            w.WriteUnsignedVarInt(0);
            w.WriteUnsignedVarInt(1000);
        });
        Assert.Throws<KafkaProtocolException>(() => MessageSamples.Read(typeof(ApiVersionsRequest), bytes, 3));
    }
}
