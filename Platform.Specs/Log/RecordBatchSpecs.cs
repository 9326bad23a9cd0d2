using System.Buffers.Binary;
using System.IO.Compression;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Platform.Actors.Log;
using Platform.Protocol.Records;
using Record = Platform.Protocol.Records.Record;

namespace Platform.Specs.Log;

/// <summary>What a producer hands the builder for one record.</summary>
public sealed record TestRecord(long Timestamp, byte[]? Key, byte[]? Value, Header[] Headers);

/// <summary>A whole batch's worth of input, with where the broker would put it.</summary>
public sealed record TestBatch(TestRecord[] Records, long BaseOffset, CompressionType Compression)
{
    public override string ToString() =>
        $"{Records.Length} records, base offset {BaseOffset}, {Compression}: " +
        string.Join("; ", Records.Select(r => $"ts={r.Timestamp} key={Show(r.Key)} value={Show(r.Value)} headers=[{string.Join(",", r.Headers.Select(h => $"{h.Key}={Show(h.Value)}"))}]"));

    private static string Show(byte[]? bytes) => bytes is null ? "null" : Convert.ToHexString(bytes);
}

/// <summary>
/// Generators for the codec properties: null versus empty keys, values and header values, header keys
/// with multi-byte and surrogate-pair characters, timestamps from realistic to the extremes of a long
/// (deltas then wrap), and record counts from empty to enough for multi-byte offset deltas.
/// </summary>
public static class CodecArbitraries
{
    private static readonly string[] KeyPieces = ["a", "Z", "0", "-", ".", "_", " ", "é", "ü", "ß", "Ω", "中", "文", "€", "😀", "🚀", "\u0000"];

    private static Gen<long> Long =>
        Gen.Choose(int.MinValue, int.MaxValue).Zip(Gen.Choose(int.MinValue, int.MaxValue), (high, low) => ((long)high << 32) | (uint)low);

    private static Gen<byte[]> Bytes(int maxLength) =>
        Gen.Choose(0, maxLength).SelectMany(n => Gen.ArrayOf(Gen.Choose(0, 255).Select(b => (byte)b), n));

    private static Gen<byte[]?> NullableBytes(int maxLength) => Gen.Frequency(
        (1, Gen.Constant<byte[]?>(null)),
        (1, Gen.Constant<byte[]?>([])),
        (6, Bytes(maxLength).Select(b => (byte[]?)b)));

    private static Gen<string> HeaderKey =>
        Gen.Choose(0, 12).SelectMany(n => Gen.ArrayOf(Gen.Elements(KeyPieces), n)).Select(pieces => string.Concat(pieces));

    private static Gen<Header> Header => HeaderKey.Zip(NullableBytes(20), (key, value) => new Header(key, value));

    private static Gen<long> Timestamp(long first) => Gen.Frequency(
        (8, Gen.Choose(-100_000, 100_000).Select(delta => first + delta)),
        (1, Long),
        (1, Gen.Elements(-1L, 0L, long.MinValue, long.MaxValue)));

    private static Gen<TestRecord> Record(long first) =>
        from timestamp in Timestamp(first)
        from key in NullableBytes(40)
        from value in NullableBytes(300)
        from headerCount in Gen.Frequency((3, Gen.Constant(0)), (2, Gen.Choose(1, 4)))
        from headers in Gen.ArrayOf(Header, headerCount)
        select new TestRecord(timestamp, key, value, headers);

    public static Arbitrary<TestBatch> Batches() => Arb.From(
        from first in Gen.Frequency((8, Gen.Choose(0, 1_000_000).Select(t => 1_700_000_000_000L + t)), (1, Long))
        from count in Gen.Frequency((1, Gen.Constant(0)), (8, Gen.Choose(1, 20)), (1, Gen.Choose(64, 200)))
        from records in Gen.ArrayOf(Record(first), count)
        from baseOffset in Gen.Frequency((1, Gen.Constant(0L)), (3, Long.Select(l => l & ((1L << 50) - 1))))
        from compression in Gen.Elements(RecordBatchSpecs.Codecs)
        select new TestBatch(records, baseOffset, compression));
}

public class RecordBatchSpecs
{
    /// <summary>Every codec Kafka defines, uncompressed included.</summary>
    public static readonly CompressionType[] Codecs =
        [CompressionType.None, CompressionType.Gzip, CompressionType.Snappy, CompressionType.Lz4, CompressionType.Zstd];

    public static TheoryData<CompressionType> Compressed =>
        [CompressionType.Gzip, CompressionType.Snappy, CompressionType.Lz4, CompressionType.Zstd];

    private static byte[] Build(TestBatch batch)
    {
        var builder = new RecordBatchBuilder(batch.Compression);
        foreach (var r in batch.Records) builder.Add(r.Timestamp, r.Key, r.Value, r.Headers);
        return builder.Build(batch.BaseOffset);
    }

    private static byte[] Build(CompressionType compression, params byte[]?[] values)
    {
        var builder = new RecordBatchBuilder(compression);
        for (var i = 0; i < values.Length; i++)
            builder.Add(1_700_000_000_000L + i, values[i] is null ? null : [(byte)i], values[i], i % 2 == 0 ? [] : [new Header("h", values[i])]);
        return builder.Build();
    }

    private static void AssertSame(TestBatch expected, IReadOnlyList<Record> actual)
    {
        Assert.Equal(expected.Records.Length, actual.Count);
        for (var i = 0; i < actual.Count; i++)
        {
            var (e, a) = (expected.Records[i], actual[i]);
            Assert.Equal(expected.BaseOffset + i, a.Offset);
            Assert.Equal(e.Timestamp, a.Timestamp);
            Assert.Equal(e.Key, a.Key);
            Assert.Equal(e.Value, a.Value);
            Assert.Equal(e.Headers.Select(h => h.Key), a.Headers.Select(h => h.Key));
            Assert.Equal(e.Headers.Select(h => h.Value), a.Headers.Select(h => h.Value));
        }
    }

    /// <summary>Recomputes the CRC after a deliberate change, so the checks behind it are what is tested.</summary>
    private static void Reseal(byte[] batch) =>
        BinaryPrimitives.WriteUInt32BigEndian(batch.AsSpan(17), Crc32C.Compute(batch.AsSpan(21)));

    private static void DecodeCleanlyOrRefuse(byte[] candidate)
    {
        var into = new List<Record> { new(-1, -1, null, null, []) };
        try
        {
            RecordBatch.Decode(candidate, into);
        }
        catch (Exception e) when (e is InvalidDataException or NotSupportedException)
        {
            Assert.Single(into); // nothing half-decoded is left behind
        }
    }

    [Property(Arbitrary = new[] { typeof(CodecArbitraries) }, MaxTest = 300)]
    public void Any_records_round_trip_with_every_codec(TestBatch input)
    {
        var batch = Build(input);
        Assert.Equal(BatchError.None, RecordBatch.Validate(batch));
        Assert.Equal(input.BaseOffset, RecordBatch.BaseOffset(batch));
        Assert.Equal(input.Compression, RecordBatch.Compression(batch));
        Assert.Equal(input.Records.Length, RecordBatch.RecordCount(batch));
        Assert.Equal(input.Records.Length - 1, RecordBatch.LastOffsetDelta(batch));
        Assert.Equal(input.Records.Length == 0 ? -1 : input.Records[0].Timestamp, RecordBatch.FirstTimestamp(batch));
        Assert.Equal(input.Records.Length == 0 ? -1 : input.Records.Max(r => r.Timestamp), RecordBatch.MaxTimestamp(batch));
        AssertSame(input, RecordBatch.Decode(batch));
    }

    [Property(Arbitrary = new[] { typeof(CodecArbitraries) }, MaxTest = 300)]
    public void Decoding_into_views_gives_the_records_of_the_copying_decode_with_uncompressed_values_pointing_into_the_batch(TestBatch input)
    {
        var batch = Build(input);
        var views = new List<RecordView>();
        RecordBatch.Decode(batch.AsMemory(), views);
        AssertSame(input, views.Select(v => new Record(v.Offset, v.Timestamp, v.Key?.ToArray(), v.Value?.ToArray(), v.Headers)).ToList());
        if (input.Compression != CompressionType.None) return;
        // Uncompressed: every non-empty value is a slice of the batch itself, not a copy.
        foreach (var value in views.Select(v => v.Value).OfType<ReadOnlyMemory<byte>>().Where(v => v.Length > 0))
        {
            Assert.True(System.Runtime.InteropServices.MemoryMarshal.TryGetArray(value, out var segment));
            Assert.Same(batch, segment.Array);
        }
    }

    [Fact]
    public void A_corrupt_batch_decoded_into_views_throws_and_leaves_nothing_behind()
    {
        var batch = Build(CompressionType.None, [1, 2, 3], [4, 5]);
        batch[^1] ^= 0xFF;
        var into = new List<RecordView> { new(-1, -1, null, null, []) };
        Assert.Throws<InvalidDataException>(() => RecordBatch.Decode(batch.AsMemory(), into));
        Assert.Single(into);
    }

    [Property(Arbitrary = new[] { typeof(CodecArbitraries) }, MaxTest = 100)]
    public void Estimated_size_is_the_uncompressed_batch_size_and_clear_resets(TestBatch input)
    {
        var builder = new RecordBatchBuilder();
        builder.Add(5, [1], [2]);
        builder.Clear();
        Assert.Equal(0, builder.Count);
        Assert.Equal(RecordBatch.HeaderSize, builder.EstimatedSizeInBytes);
        foreach (var r in input.Records) builder.Add(r.Timestamp, r.Key, r.Value, r.Headers);
        Assert.Equal(input.Records.Length, builder.Count);
        var batch = builder.Build(input.BaseOffset);
        Assert.Equal(builder.EstimatedSizeInBytes, batch.Length);
        Assert.Equal(Build(input with { Compression = CompressionType.None }), batch);
    }

    [Fact]
    public void Producer_fields_and_leader_epoch_are_written_and_read_back()
    {
        var builder = new RecordBatchBuilder();
        builder.Add(1, null, [1]);
        var batch = builder.Build(baseOffset: 10, producerId: 77, producerEpoch: 3, baseSequence: 12);
        Assert.Equal((10L, 77L, (short)3, 12, -1), (RecordBatch.BaseOffset(batch), RecordBatch.ProducerId(batch),
            RecordBatch.ProducerEpoch(batch), RecordBatch.BaseSequence(batch), RecordBatch.PartitionLeaderEpoch(batch)));
        Assert.Equal(RecordBatch.Magic, batch[16]);
        Assert.Equal(0, RecordBatch.Attributes(batch)); // CreateTime, uncompressed, not transactional

        RecordBatch.SetPartitionLeaderEpoch(batch, 5);
        Assert.Equal(5, RecordBatch.PartitionLeaderEpoch(batch));
        Assert.Equal(BatchError.None, RecordBatch.Validate(batch));
    }

    [Fact]
    public void An_empty_batch_builds_validates_and_decodes_to_nothing()
    {
        foreach (var compression in Codecs)
        {
            var batch = new RecordBatchBuilder(compression).Build();
            Assert.Equal(BatchError.None, RecordBatch.Validate(batch));
            Assert.Equal(0, RecordBatch.RecordCount(batch));
            Assert.Equal(-1, RecordBatch.LastOffsetDelta(batch));
            Assert.Empty(RecordBatch.Decode(batch));
        }
    }

    [Property(MaxTest = 300)]
    public void Any_flipped_bit_under_the_crc_is_CorruptMessage(byte[][] values, NonNegativeInt position, byte flip, NonNegativeInt codec)
    {
        var batch = Build(Codecs[codec.Get % Codecs.Length], values.Length == 0 ? [[]] : values);
        var index = 21 + position.Get % (batch.Length - 21);
        batch[index] ^= flip == 0 ? (byte)1 : flip;
        Assert.Equal(BatchError.CorruptMessage, RecordBatch.Validate(batch));
        var error = Assert.Throws<InvalidDataException>(() => RecordBatch.Decode(batch));
        Assert.Contains("CRC32C", error.Message);
    }

    [Fact]
    public void Every_bit_of_the_fields_before_the_crc_region_is_classified()
    {
        var original = Build(CompressionType.None, [1, 2, 3], null, []);
        for (var index = 0; index < 21; index++)
        for (var bit = 0; bit < 8; bit++)
        {
            var batch = original.ToArray();
            batch[index] ^= (byte)(1 << bit);
            var expected = index switch
            {
                < 8 => BatchError.None, // base offset: the broker's to set
                < 12 => BatchError.Truncated, // batch length no longer matches
                < 16 => BatchError.None, // partition leader epoch: the leader's to set
                16 => BatchError.UnsupportedMagic,
                _ => BatchError.CorruptMessage, // the stored CRC itself
            };
            Assert.Equal(expected, RecordBatch.Validate(batch));
        }
    }

    [Fact]
    public void Setting_the_base_offset_keeps_the_crc_valid()
    {
        var batch = Build(CompressionType.None, [1, 2, 3], [4]);
        RecordBatch.SetBaseOffset(batch, 123_456);
        Assert.Equal(BatchError.None, RecordBatch.Validate(batch));
        Assert.Equal([123_456L, 123_457L], RecordBatch.Decode(batch).Select(r => r.Offset));
    }

    [Fact]
    public void Truncated_batches_and_other_magic_bytes_are_refused()
    {
        var batch = Build(CompressionType.None, [1, 2, 3]);
        Assert.Equal(BatchError.Truncated, RecordBatch.Validate(batch.AsSpan(0, batch.Length - 1)));
        Assert.Equal(BatchError.Truncated, RecordBatch.Validate(batch.AsSpan(0, 40)));
        Assert.Equal(BatchError.Truncated, RecordBatch.Validate([]));
        Assert.Equal(BatchError.Truncated, RecordBatch.Validate(batch.Concat(batch).ToArray())); // two batches are not one
        Assert.Throws<InvalidDataException>(() => RecordBatch.Decode(batch.AsSpan(0, batch.Length - 1)));

        var v1 = batch.ToArray();
        v1[16] = 1;
        Assert.Equal(BatchError.UnsupportedMagic, RecordBatch.Validate(v1));
        Assert.Contains("magic 1", Assert.Throws<InvalidDataException>(() => RecordBatch.Decode(v1)).Message);
    }

    [Fact]
    public void A_record_count_that_disagrees_with_the_last_offset_delta_is_refused()
    {
        var batch = Build(CompressionType.None, [1], [2]);
        BinaryPrimitives.WriteInt32BigEndian(batch.AsSpan(57), 3);
        Reseal(batch);
        Assert.Equal(BatchError.InvalidRecordCount, RecordBatch.Validate(batch));
        BinaryPrimitives.WriteInt32BigEndian(batch.AsSpan(57), -1);
        Reseal(batch);
        Assert.Equal(BatchError.InvalidRecordCount, RecordBatch.Validate(batch));
        Assert.Throws<InvalidDataException>(() => RecordBatch.Decode(batch));
    }

    [Theory]
    [InlineData(5)]
    [InlineData(6)]
    [InlineData(7)]
    public void Codec_ids_kafka_does_not_define_are_refused(int id)
    {
        Assert.Equal($"compression codec id {id} is not supported",
            Assert.Throws<NotSupportedException>(() => new RecordBatchBuilder((CompressionType)id).Build()).Message);

        var batch = Build(CompressionType.None, [1]);
        BinaryPrimitives.WriteInt16BigEndian(batch.AsSpan(21), (short)id);
        Reseal(batch);
        Assert.Equal(BatchError.None, RecordBatch.Validate(batch));
        Assert.Contains($"unknown compression codec id {id}", Assert.Throws<InvalidDataException>(() => RecordBatch.Decode(batch)).Message);
    }

    [Fact]
    public void Snappy_is_written_in_snappy_java_framing_with_32_KiB_chunks()
    {
        // Kafka's Java consumer reads only this framing; librdkafka recognises it by the magic.
        var batch = Build(CompressionType.Snappy, Enumerable.Range(0, 10).Select(i => Enumerable.Repeat((byte)i, 10_000).ToArray()).ToArray());
        var records = batch.AsSpan(RecordBatch.HeaderSize);
        Assert.Equal("82534E4150505900" + "00000001" + "00000001", Convert.ToHexString(records[..16]));
        var chunks = 0;
        for (var position = 16; position < records.Length; chunks++)
            position += 4 + BinaryPrimitives.ReadInt32BigEndian(records[position..]);
        Assert.True(chunks > 1, $"{chunks} chunk(s) for about 100 KB of records");
        Assert.Equal(10, RecordBatch.Decode(batch).Count);
    }

    [Fact]
    public void Lz4_is_a_frame_of_independent_blocks_as_Kafkas_java_reader_requires()
    {
        var records = Build(CompressionType.Lz4, [1, 2, 3]).AsSpan(RecordBatch.HeaderSize);
        Assert.Equal(0x184D2204u, BinaryPrimitives.ReadUInt32LittleEndian(records)); // LZ4 frame magic
        var flags = records[4];
        Assert.Equal(0b01, flags >> 6); // frame version 1
        Assert.NotEqual(0, flags & 0x20); // blocks independent
        Assert.Equal(0, flags & 0x10); // no block checksums
        Assert.Equal(0x40, records[5]); // 64 KiB blocks
    }

    [Fact]
    public void Zstd_is_a_standard_frame()
    {
        var records = Build(CompressionType.Zstd, [1, 2, 3]).AsSpan(RecordBatch.HeaderSize);
        Assert.Equal(0xFD2FB528u, BinaryPrimitives.ReadUInt32LittleEndian(records)); // zstd frame magic
    }

    [Fact]
    public void Log_append_time_gives_every_record_the_max_timestamp()
    {
        var builder = new RecordBatchBuilder();
        builder.Add(1000, null, [1]);
        builder.Add(900, null, [2]);
        builder.Add(1500, null, [3]);
        var batch = builder.Build();
        Assert.Equal([1000L, 900L, 1500L], RecordBatch.Decode(batch).Select(r => r.Timestamp));
        batch[22] |= 0x08; // timestamp type bit of the attributes
        Reseal(batch);
        Assert.Equal([1500L, 1500L, 1500L], RecordBatch.Decode(batch).Select(r => r.Timestamp));
    }

    [Fact]
    public void Null_and_empty_are_different_everywhere()
    {
        var builder = new RecordBatchBuilder();
        builder.Add(1, null, null, [new Header("null", null), new Header("", [])]);
        builder.Add(2, [], [], null);
        var records = RecordBatch.Decode(builder.Build());
        Assert.Null(records[0].Key);
        Assert.Null(records[0].Value);
        Assert.Equal(new (string, byte[]?)[] { ("null", null), ("", []) }, records[0].Headers.Select(h => (h.Key, h.Value)));
        Assert.Equal(Array.Empty<byte>(), records[1].Key);
        Assert.Equal(Array.Empty<byte>(), records[1].Value);
        Assert.Empty(records[1].Headers);
    }

    [Fact]
    public void A_header_without_a_key_is_refused_by_the_builder()
    {
        var builder = new RecordBatchBuilder();
        Assert.Throws<ArgumentException>(() => builder.Add(1, null, null, [default]));
        Assert.Equal(0, builder.Count);
        Assert.Equal(RecordBatch.HeaderSize, builder.EstimatedSizeInBytes);
    }

    [Property(MaxTest = 500)]
    public void Garbage_never_crashes_the_decoder(byte[] garbage, byte[][] values, int seed, NonNegativeInt codec)
    {
        // Raw garbage, garbage behind a plausible header, and valid batches damaged anywhere (header fields
        // included) with the CRC recomputed so the parser itself is exercised: each must decode or end in a
        // clean InvalidDataException/NotSupportedException, never anything else.
        var random = new Random(seed);
        DecodeCleanlyOrRefuse(garbage);
        var compression = Codecs[codec.Get % Codecs.Length];
        DecodeCleanlyOrRefuse(WithHeader(garbage, random.Next(-2, 10), compression));

        var valid = Build(compression, values.Length == 0 ? [[9]] : values);
        for (var attempt = 0; attempt < 4; attempt++)
        {
            var damaged = valid.ToArray();
            var flips = random.Next(1, 4);
            for (var i = 0; i < flips; i++)
            {
                // Mostly the records section, sometimes the count, offsets delta, timestamps or attributes.
                var index = random.Next(4) == 0 ? random.Next(21, RecordBatch.HeaderSize) : random.Next(RecordBatch.HeaderSize, damaged.Length);
                damaged[index] ^= (byte)random.Next(1, 256);
            }
            Reseal(damaged);
            DecodeCleanlyOrRefuse(damaged);

            var cut = valid.AsSpan(0, random.Next(RecordBatch.HeaderSize, valid.Length + 1)).ToArray();
            BinaryPrimitives.WriteInt32BigEndian(cut.AsSpan(8), cut.Length - 12);
            Reseal(cut);
            DecodeCleanlyOrRefuse(cut);
        }
    }

    /// <summary>Arbitrary bytes as the records section of an otherwise valid header claiming <paramref name="count"/> records.</summary>
    private static byte[] WithHeader(byte[] records, int count, CompressionType compression)
    {
        var batch = new byte[RecordBatch.HeaderSize + records.Length];
        BinaryPrimitives.WriteInt32BigEndian(batch.AsSpan(8), batch.Length - 12);
        batch[16] = RecordBatch.Magic;
        batch[22] = (byte)compression;
        BinaryPrimitives.WriteInt32BigEndian(batch.AsSpan(23), count - 1);
        BinaryPrimitives.WriteInt32BigEndian(batch.AsSpan(57), count);
        records.CopyTo(batch, RecordBatch.HeaderSize);
        Reseal(batch);
        return batch;
    }

    [Fact]
    public void Lengths_that_point_past_the_record_are_invalid_data_not_huge_allocations()
    {
        // One record whose value claims int.MaxValue bytes, and a batch claiming int.MaxValue records.
        // length, attributes, timestamp delta 0, offset delta 0, null key, value length int.MaxValue, no headers
        byte[] record = [0x00, 0x00, 0x00, 0x00, 0x01, 0xFE, 0xFF, 0xFF, 0xFF, 0x0F, 0x00];
        record[0] = (byte)((record.Length - 1) << 1);
        Assert.Contains("value length 2147483647", Assert.Throws<InvalidDataException>(() => RecordBatch.Decode(WithHeader(record, 1, CompressionType.None))).Message);

        var huge = Build(CompressionType.None, [1]);
        BinaryPrimitives.WriteInt32BigEndian(huge.AsSpan(23), int.MaxValue - 1);
        BinaryPrimitives.WriteInt32BigEndian(huge.AsSpan(57), int.MaxValue);
        Reseal(huge);
        Assert.Equal(BatchError.None, RecordBatch.Validate(huge));
        Assert.Contains("claims 2147483647 records", Assert.Throws<InvalidDataException>(() => RecordBatch.Decode(huge)).Message);
    }

    /// <summary>Just over <see cref="RecordBatch.MaxDecompressedSize"/> zeros, compressed as Kafka's clients would.</summary>
    private static byte[] Bomb(CompressionType compression)
    {
        var zeros = new byte[RecordBatch.MaxDecompressedSize + 1];
        switch (compression)
        {
            case CompressionType.Gzip:
            {
                using var compressed = new MemoryStream();
                using (var gzip = new GZipStream(compressed, CompressionLevel.Fastest, leaveOpen: true)) gzip.Write(zeros);
                return compressed.ToArray();
            }
            case CompressionType.Snappy:
                return XerialSnappy.Encode(zeros);
            default:
                // LZ4 and zstd through the builder's own codec: a records section of zeros is as good as any.
                return RecordCompression.Compress(compression, zeros).ToArray();
        }
    }

    [Theory]
    [MemberData(nameof(Compressed))]
    public void A_compression_bomb_is_refused_before_it_fills_memory(CompressionType compression)
    {
        var batch = WithHeader(Bomb(compression), 1, compression);
        Assert.True(batch.Length < RecordBatch.MaxDecompressedSize / 10, $"a bomb of {batch.Length} bytes");
        Assert.Contains("expand beyond", Assert.Throws<InvalidDataException>(() => RecordBatch.Decode(batch)).Message);
    }

    [Fact]
    public void Snappy_blocks_that_claim_a_huge_size_are_refused_before_allocating_it()
    {
        // A raw snappy block starts with its uncompressed length as a varint: here 2^31 - 1, then nothing.
        byte[] raw = [0xFF, 0xFF, 0xFF, 0xFF, 0x07, 0x00];
        Assert.Contains("expand beyond", Assert.Throws<InvalidDataException>(() => RecordBatch.Decode(WithHeader(raw, 1, CompressionType.Snappy))).Message);

        // The same block as a chunk of snappy-java's framing, and framing whose chunks add up past the limit.
        var framed = XerialSnappy.Encode([]).AsSpan(0, XerialSnappy.HeaderSize).ToArray()
            .Concat(new byte[] { 0, 0, 0, (byte)raw.Length }).Concat(raw).ToArray();
        Assert.Contains("expand beyond", Assert.Throws<InvalidDataException>(() => RecordBatch.Decode(WithHeader(framed, 1, CompressionType.Snappy))).Message);
        var halfLimit = XerialSnappy.Encode(new byte[RecordBatch.MaxDecompressedSize / 2 + 1]);
        var twice = halfLimit.Concat(halfLimit.AsSpan(XerialSnappy.HeaderSize).ToArray()).ToArray();
        Assert.Contains("expand beyond", Assert.Throws<InvalidDataException>(() => RecordBatch.Decode(WithHeader(twice, 1, CompressionType.Snappy))).Message);
    }

    [Fact]
    public void A_zstd_frame_that_claims_a_huge_content_size_is_refused()
    {
        // Frame header: magic, descriptor 0xE0 (single segment, 8-byte content size), content size 2^40, then
        // a raw block of 3 bytes marked last: far less data than claimed.
        var frame = new byte[4 + 1 + 8 + 3 + 3];
        BinaryPrimitives.WriteUInt32LittleEndian(frame, 0xFD2FB528);
        frame[4] = 0xE0;
        BinaryPrimitives.WriteUInt64LittleEndian(frame.AsSpan(5), 1UL << 40);
        frame[13] = (3 << 3) | 1; // block header: size 3, raw, last
        Assert.Throws<InvalidDataException>(() => RecordBatch.Decode(WithHeader(frame, 1, CompressionType.Zstd)));
    }

    [Theory]
    [MemberData(nameof(Compressed))]
    public void Garbage_as_compressed_records_is_invalid_data(CompressionType compression)
    {
        var random = new Random(7);
        foreach (var length in new[] { 0, 1, 4, 17, 100, 5000 })
        {
            var garbage = new byte[length];
            random.NextBytes(garbage);
            var error = Assert.Throws<InvalidDataException>(() => RecordBatch.Decode(WithHeader(garbage, 1, compression)));
            Assert.DoesNotContain("expand beyond", error.Message);
        }

        // A valid stream cut in the middle.
        var valid = Build(compression, [1, 2, 3], [4, 5, 6]).AsSpan(RecordBatch.HeaderSize).ToArray();
        Assert.Throws<InvalidDataException>(() => RecordBatch.Decode(WithHeader(valid[..(valid.Length / 2)], 2, compression)));
    }

    [Fact]
    public void Decode_appends_to_a_list_and_leaves_it_alone_on_failure()
    {
        var good = Build(CompressionType.None, [1], [2]);
        var bad = good.ToArray();
        bad[^1] ^= 0xFF;
        var into = new List<Record>();
        RecordBatch.Decode(good, into);
        RecordBatch.Decode(good, into);
        Assert.Equal(4, into.Count);
        Assert.Throws<InvalidDataException>(() => RecordBatch.Decode(bad, into));
        Assert.Equal(4, into.Count);
    }

    [Fact]
    public void Split_walks_concatenated_batches_and_detects_a_cut()
    {
        var a = Build(CompressionType.None, [1]);
        var b = Build(CompressionType.Gzip, [2], [3]);
        var both = a.Concat(b).ToArray();
        var ranges = new List<(int, int)>();
        Assert.True(RecordBatch.Split(both, ranges));
        Assert.Equal([(0, a.Length), (a.Length, b.Length)], ranges);
        Assert.True(RecordBatch.Split([], ranges = []));
        Assert.Empty(ranges);

        // A fetch cut inside the second batch: the first is still reported, the cut is signalled.
        Assert.False(RecordBatch.Split(both.AsSpan(0, both.Length - 5), ranges = []));
        Assert.Equal([(0, a.Length)], ranges);
        Assert.False(RecordBatch.Split(both.AsSpan(0, a.Length + 11), []));

        var nonsense = a.ToArray();
        BinaryPrimitives.WriteInt32BigEndian(nonsense.AsSpan(8), -12);
        Assert.False(RecordBatch.Split(nonsense, []));
    }
}
