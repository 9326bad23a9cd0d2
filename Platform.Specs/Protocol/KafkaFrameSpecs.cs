using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Platform.Protocol.Messages;
using Platform.Protocol.Wire;

namespace Platform.Specs.Protocol;

/// <summary>Framing: whole frames are cut from a buffer that may hold less or more, sizes are bounded, and a
/// response goes out as size, header and body with its record parts in order.</summary>
public class KafkaFrameSpecs
{
    private static byte[] Frame(params byte[] payload)
    {
        var bytes = new byte[4 + payload.Length];
        BinaryPrimitives.WriteInt32BigEndian(bytes, payload.Length);
        payload.CopyTo(bytes, 4);
        return bytes;
    }

    /// <summary>A buffer writer that remembers the size hints it was asked for.</summary>
    private sealed class HintRecorder : IBufferWriter<byte>
    {
        private readonly ArrayBufferWriter<byte> _inner = new();
        public List<int> Hints { get; } = [];
        public ReadOnlySpan<byte> Written => _inner.WrittenSpan;
        public void Advance(int count) => _inner.Advance(count);
        public Memory<byte> GetMemory(int sizeHint = 0) { Hints.Add(sizeHint); return _inner.GetMemory(sizeHint); }
        public Span<byte> GetSpan(int sizeHint = 0) { Hints.Add(sizeHint); return _inner.GetSpan(sizeHint); }
    }

    [Fact]
    public void A_request_asks_its_buffer_for_the_whole_frame_first_and_a_rented_frame_holds_the_same_bytes()
    {
        var records = new byte[300 * 1024];
        Random.Shared.NextBytes(records);
        var request = new ProduceRequest
        {
            Acks = -1, TimeoutMs = 1000,
            TopicData = [new ProduceRequest.TopicProduceData { Name = "t", PartitionData = [new ProduceRequest.PartitionProduceData { Index = 0, Records = RecordSet.Of(records) }] }],
        };
        var header = new RequestHeader { RequestApiKey = (short)ApiKey.Produce, RequestApiVersion = 9, CorrelationId = 7, ClientId = "c" };
        var recorder = new HintRecorder();
        KafkaFrame.WriteRequest(recorder, header, ProduceRequest.HeaderVersion(9), request);
        // The first request is for the whole frame: a growing buffer is sized once, not doubled through the records.
        Assert.Equal(recorder.Written.Length, recorder.Hints[0]);

        var rented = new Platform.Client.Kafka.RentedFrame();
        KafkaFrame.WriteRequest(rented, header, ProduceRequest.HeaderVersion(9), request);
        Assert.True(recorder.Written.SequenceEqual(rented.Written.Span));
        rented.Return();
        Assert.Equal(0, rented.Written.Length);
    }

    [Fact]
    public void A_frame_is_taken_only_when_it_is_whole()
    {
        var two = Frame(1, 2, 3).Concat(Frame(4)).ToArray();
        var partial = new ReadOnlySequence<byte>(two, 0, 6);
        Assert.False(KafkaFrame.TryReadFrame(ref partial, 100, out _));
        Assert.Equal(6, partial.Length);

        var buffer = new ReadOnlySequence<byte>(two);
        Assert.True(KafkaFrame.TryReadFrame(ref buffer, 100, out var first));
        Assert.Equal(new byte[] { 1, 2, 3 }, first.ToArray());
        Assert.True(KafkaFrame.TryReadFrame(ref buffer, 100, out var second));
        Assert.Equal(new byte[] { 4 }, second.ToArray());
        Assert.False(KafkaFrame.TryReadFrame(ref buffer, 100, out _));
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(101)]
    [InlineData(int.MaxValue)]
    public void A_negative_or_oversized_frame_size_is_refused(int size)
    {
        var bytes = new byte[8];
        BinaryPrimitives.WriteInt32BigEndian(bytes, size);
        Assert.Throws<KafkaProtocolException>(() =>
        {
            var buffer = new ReadOnlySequence<byte>(bytes);
            KafkaFrame.TryReadFrame(ref buffer, 100, out _);
        });
    }

    [Fact]
    public void A_fetch_response_frame_carries_its_record_parts_back_to_back()
    {
        byte[] a = [1, 2, 3];
        byte[] b = [4, 5];
        var response = new FetchResponse
        {
            Responses =
            [
                new FetchResponse.FetchableTopicResponse
                {
                    Topic = "t",
                    Partitions = [new FetchResponse.PartitionData { PartitionIndex = 0, HighWatermark = 5, Records = RecordSet.Of([a, b]) }],
                },
            ],
        };
        var output = new ArrayBufferWriter<byte>();
        KafkaFrame.WriteResponse(output, correlationId: 9, FetchResponse.HeaderVersion(12), response, 12);

        var sequence = new ReadOnlySequence<byte>(output.WrittenMemory);
        Assert.True(KafkaFrame.TryReadFrame(ref sequence, 1 << 20, out var frame));
        Assert.Equal(0, sequence.Length);
        var reader = new KafkaReader(frame.ToArray());
        Assert.Equal(9, ResponseHeader.Read(ref reader, 1).CorrelationId);
        var read = FetchResponse.Read(ref reader, 12);
        Assert.Equal(0, reader.Remaining);
        var partition = Assert.Single(Assert.Single(read.Responses).Partitions);
        Assert.Equal(new byte[] { 1, 2, 3, 4, 5 }, partition.Records!.ToArray());
        Assert.Equal(5, partition.HighWatermark);
    }

    [Fact]
    public void Frame_segments_reference_the_stored_batches_of_a_fetch_response_and_hold_the_bytes_a_buffer_would()
    {
        var large = new byte[64 * 1024];
        var other = new byte[5000];
        Random.Shared.NextBytes(large);
        Random.Shared.NextBytes(other);
        byte[] small = [7, 8, 9];
        FetchResponse Response(int partitions) => new()
        {
            Responses =
            [
                new FetchResponse.FetchableTopicResponse
                {
                    Topic = "t",
                    Partitions = [.. Enumerable.Range(0, partitions).Select(p => new FetchResponse.PartitionData
                        { PartitionIndex = p, HighWatermark = 5, Records = RecordSet.Of(p == 0 ? [large, small] : [other]) })],
                },
            ],
        };
        var expected = new ArrayBufferWriter<byte>();
        var segments = new FrameSegments();
        // Two responses in a row, as the connection writes everything already answered in one pass.
        foreach (var (correlation, partitions) in new[] { (1, 2), (2, 1) })
        {
            KafkaFrame.WriteResponse(expected, correlation, FetchResponse.HeaderVersion(12), Response(partitions), 12);
            KafkaFrame.WriteResponse(segments, correlation, FetchResponse.HeaderVersion(12), Response(partitions), 12);
        }

        Assert.Equal(expected.WrittenCount, segments.Length);
        Assert.Equal(expected.WrittenSpan.ToArray(), segments.Segments.SelectMany(s => s.ToArray()).ToArray());
        // The batches of 4 KiB and more are the stored arrays themselves, once per response that carries them; the
        // 3-byte one was copied among the fields.
        var referenced = segments.Segments.Select(s => MemoryMarshal.TryGetArray(s, out var array) ? array.Array : null).ToList();
        Assert.Equal(2, referenced.Count(a => ReferenceEquals(a, large)));
        Assert.Equal(1, referenced.Count(a => ReferenceEquals(a, other)));
        Assert.DoesNotContain(referenced, a => ReferenceEquals(a, small));
        segments.Clear();
        Assert.Equal(0, segments.Length);
        Assert.Empty(segments.Segments);
    }

    [Fact]
    public void An_ApiVersions_response_header_is_always_version_0_and_a_request_header_names_its_client()
    {
        Assert.Equal(0, ApiVersionsResponse.HeaderVersion(3));
        Assert.Equal(1, MetadataResponse.HeaderVersion(9));
        Assert.Equal(0, MetadataResponse.HeaderVersion(8));
        Assert.Equal(2, ProduceRequest.HeaderVersion(9));
        Assert.Equal(1, ProduceRequest.HeaderVersion(8));

        var output = new ArrayBufferWriter<byte>();
        var header = new RequestHeader { RequestApiKey = (short)ApiKey.Metadata, RequestApiVersion = 12, CorrelationId = 4, ClientId = "me" };
        KafkaFrame.WriteRequest(output, header, MetadataRequest.HeaderVersion(12), new MetadataRequest { Topics = null });
        var sequence = new ReadOnlySequence<byte>(output.WrittenMemory);
        Assert.True(KafkaFrame.TryReadFrame(ref sequence, 1024, out var frame));
        var reader = new KafkaReader(frame.ToArray());
        var read = KafkaFrame.ReadRequestHeader(ref reader, out var headerVersion);
        Assert.Equal(2, headerVersion);
        Assert.Equal("me", read.ClientId);
        Assert.Null(((MetadataRequest)ApiVersionsTable.ReadRequest(ApiKey.Metadata, ref reader, 12)).Topics);
        Assert.Equal(0, reader.Remaining);
    }

    [Fact]
    public void The_version_table_lists_every_generated_api_with_kafka_3_8_ranges_and_platforms_extension()
    {
        Assert.Equal(27, ApiVersionsTable.All.Count);
        Assert.Contains(new ApiVersionRange(ApiKey.DescribeClusterMembers, 0, 0), ApiVersionsTable.All);
        Assert.Contains(new ApiVersionRange(ApiKey.Produce, 0, 11), ApiVersionsTable.All);
        Assert.Contains(new ApiVersionRange(ApiKey.Fetch, 0, 16), ApiVersionsTable.All);
        Assert.Contains(new ApiVersionRange(ApiKey.JoinGroup, 0, 9), ApiVersionsTable.All);
        Assert.True(ApiVersionsTable.IsSupported(ApiKey.ApiVersions, 3));
        Assert.False(ApiVersionsTable.IsSupported(ApiKey.ApiVersions, 4));
        Assert.False(ApiVersionsTable.IsSupported((ApiKey)999, 0));
    }
}
