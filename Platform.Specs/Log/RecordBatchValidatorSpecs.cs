using System.Buffers.Binary;
using System.Text;
using Platform.Protocol.Records;

namespace Platform.Specs.Log;

/// <summary>
/// Kafka's LogValidator checks over RecordBatch v2 as the broker runs them on every produced batch: each
/// malformed batch gets Kafka's error, and over random damage the validator never throws, never accepts a
/// batch consumers cannot decode, and allocates nothing for an uncompressed batch.
/// </summary>
public sealed class RecordBatchValidatorSpecs
{
    private const long Now = 1_700_000_000_000;
    private static readonly TimestampWindow Window = new(Now, BeforeMaxMs: long.MaxValue, AfterMaxMs: 3_600_000, LogAppendTime: false);

    private static byte[] Batch(int records, CompressionType compression = CompressionType.None, long timestamp = Now)
    {
        var builder = new RecordBatchBuilder(compression);
        for (var i = 0; i < records; i++)
            builder.Add(timestamp + i, Encoding.UTF8.GetBytes("k" + i), Encoding.UTF8.GetBytes("value-" + i), [new Header("h", [(byte)i])]);
        return builder.Build();
    }

    /// <summary>What a hostile client does after changing bytes: a CRC that matches, so only the records can tell.</summary>
    private static byte[] Rechecksummed(byte[] batch)
    {
        BinaryPrimitives.WriteUInt32BigEndian(batch.AsSpan(17), Crc32C.Compute(batch.AsSpan(21)));
        return batch;
    }

    private static ErrorCode Error(byte[] batch, TimestampWindow? window = null)
    {
        Assert.Equal(BatchError.None, RecordBatch.Validate(batch));
        return RecordBatchValidator.Validate(batch, window ?? Window).Error;
    }

    [Theory]
    [InlineData(CompressionType.None)]
    [InlineData(CompressionType.Gzip)]
    [InlineData(CompressionType.Snappy)]
    [InlineData(CompressionType.Lz4)]
    [InlineData(CompressionType.Zstd)]
    public void A_well_formed_batch_passes_with_its_largest_timestamp(CompressionType compression)
    {
        var validation = RecordBatchValidator.Validate(Batch(5, compression), Window);
        Assert.True(validation.IsValid, validation.Message);
        Assert.Equal(Now + 4, validation.MaxTimestamp);
    }

    [Fact]
    public void A_header_claiming_more_records_than_the_batch_holds_is_INVALID_RECORD()
    {
        // The 69-byte batch that claimed 2^31-1 records and moved the high watermark to 2,147,483,647.
        var batch = Batch(1);
        BinaryPrimitives.WriteInt32BigEndian(batch.AsSpan(23), int.MaxValue - 1); // lastOffsetDelta
        BinaryPrimitives.WriteInt32BigEndian(batch.AsSpan(57), int.MaxValue); // record count
        Assert.Equal(ErrorCode.InvalidRecord, Error(Rechecksummed(batch)));
    }

    [Fact]
    public void A_header_claiming_fewer_records_than_the_batch_holds_is_INVALID_RECORD()
    {
        var batch = Batch(3);
        BinaryPrimitives.WriteInt32BigEndian(batch.AsSpan(23), 1);
        BinaryPrimitives.WriteInt32BigEndian(batch.AsSpan(57), 2);
        Assert.Equal(ErrorCode.InvalidRecord, Error(Rechecksummed(batch)));
    }

    [Fact]
    public void Offset_deltas_other_than_0_to_n_minus_1_are_INVALID_RECORD()
    {
        var batch = Batch(1);
        // Record: length varint, attributes, timestamp delta (0 → one byte), offset delta at header + 3.
        Assert.Equal(0, batch[RecordBatch.HeaderSize + 3]);
        batch[RecordBatch.HeaderSize + 3] = 2 * 7; // zig-zag 7
        Assert.Equal(ErrorCode.InvalidRecord, Error(Rechecksummed(batch)));
    }

    [Fact]
    public void Junk_record_bytes_with_a_matching_CRC_are_INVALID_RECORD()
    {
        var batch = Batch(3);
        new Random(7).NextBytes(batch.AsSpan(RecordBatch.HeaderSize));
        Assert.Equal(ErrorCode.InvalidRecord, Error(Rechecksummed(batch)));
    }

    [Theory]
    [InlineData(0x10)] // transactional: there are no transactions
    [InlineData(0x20)] // control: only the broker writes them
    [InlineData(0x40)] // delete horizon: only the log cleaner sets it
    [InlineData(0x100)] // unassigned
    public void Attribute_bits_a_client_may_not_set_are_INVALID_RECORD(short bit)
    {
        var batch = Batch(1);
        BinaryPrimitives.WriteInt16BigEndian(batch.AsSpan(21), bit);
        Assert.Equal(ErrorCode.InvalidRecord, Error(Rechecksummed(batch)));
    }

    [Fact]
    public void A_codec_id_that_is_not_Kafkas_is_UNSUPPORTED_COMPRESSION_TYPE()
    {
        var batch = Batch(1);
        BinaryPrimitives.WriteInt16BigEndian(batch.AsSpan(21), 6);
        Assert.Equal(ErrorCode.UnsupportedCompressionType, Error(Rechecksummed(batch)));
    }

    [Fact]
    public void Compressed_bytes_the_codec_cannot_read_are_CORRUPT_MESSAGE()
    {
        var batch = Batch(3, CompressionType.Zstd);
        batch.AsSpan(RecordBatch.HeaderSize).Fill(0x5A);
        Assert.Equal(ErrorCode.CorruptMessage, Error(Rechecksummed(batch)));
    }

    [Fact]
    public void Timestamps_outside_the_window_are_INVALID_TIMESTAMP_unless_the_topic_uses_LogAppendTime()
    {
        // The record timestamped long.MaxValue, which made `platform consume` stop.
        Assert.Equal(ErrorCode.InvalidTimestamp, Error(Batch(1, timestamp: long.MaxValue)));
        Assert.Equal(ErrorCode.InvalidTimestamp, Error(Batch(1, timestamp: Now + 3_600_001)));
        Assert.Equal(ErrorCode.None, Error(Batch(1, timestamp: Now + 3_600_000)));
        Assert.Equal(ErrorCode.InvalidTimestamp, Error(Batch(1, timestamp: Now - 1_001), Window with { BeforeMaxMs = 1_000 }));
        Assert.Equal(ErrorCode.None, Error(Batch(1, timestamp: 0)));
        Assert.Equal(ErrorCode.None, Error(Batch(1, timestamp: long.MaxValue - 10), Window with { LogAppendTime = true }));
    }

    [Fact]
    public void Log_append_time_stamps_the_header_and_consumers_read_the_brokers_time()
    {
        var batch = Batch(2);
        RecordBatch.SetMaxTimestamp(batch, 42, logAppendTime: true);
        Assert.Equal(BatchError.None, RecordBatch.Validate(batch));
        Assert.All(RecordBatch.Decode(batch), record => Assert.Equal(42, record.Timestamp));
    }

    [Fact]
    public void Random_damage_never_throws_never_passes_what_consumers_cannot_decode_and_allocates_nothing()
    {
        var random = new Random(12);
        var originals = new[] { Batch(1), Batch(7), Batch(40), Batch(12, CompressionType.Lz4), Batch(12, CompressionType.Gzip) };
        var accepted = 0;
        for (var round = 0; round < 20_000; round++)
        {
            var original = originals[round % originals.Length];
            var batch = (byte[])original.Clone();
            // 1-4 random bytes anywhere after the CRC, then a matching CRC: only the validator stands in the way.
            for (var n = random.Next(1, 5); n > 0; n--) batch[random.Next(RecordBatch.CrcStart, batch.Length)] = (byte)random.Next(256);
            Rechecksummed(batch);
            if (RecordBatch.Validate(batch) != BatchError.None) continue;
            var uncompressed = RecordBatch.Compression(batch) == CompressionType.None;
            var before = GC.GetAllocatedBytesForCurrentThread();
            var validation = RecordBatchValidator.Validate(batch, TimestampWindow.Unbounded(Now));
            var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            // Only a refusal's message allocates on an uncompressed batch; the pooled decompression buffer is rented, not allocated.
            if (uncompressed) Assert.True(allocated <= (validation.IsValid ? 0 : 4096), $"validating allocated {allocated} bytes");
            // A damaged compressed section may expand, but never past the decompression cap (pooled buffers doubling up to it).
            else Assert.True(allocated <= 2L * RecordBatch.MaxDecompressedSize + 64 * 1024, $"validating a compressed batch allocated {allocated} bytes");
            if (!validation.IsValid) continue;
            accepted++;
            var records = RecordBatch.Decode(batch);
            Assert.Equal(RecordBatch.RecordCount(batch), records.Count);
            Assert.Equal(Enumerable.Range(0, records.Count).Select(i => RecordBatch.BaseOffset(batch) + i), records.Select(r => r.Offset));
        }
        Assert.True(accepted > 0, "some damage (to values, timestamps) leaves a valid batch");
    }
}
