using System.Text;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Platform.Actors.Log;
using Record = Platform.Actors.Log.Record;

namespace Platform.Specs.Log;

public class RecordBatchSpecs
{
    private static List<(long Timestamp, byte[]? Key, byte[]? Value, Header[] Headers)> Records(byte[]?[] keys, byte[]?[] values, int[] deltas, string?[] headerKeys)
    {
        var count = Math.Max(1, Math.Max(keys.Length, values.Length));
        return Enumerable.Range(0, count).Select(i => (
            1_700_000_000_000L + (deltas.Length == 0 ? 0 : deltas[i % deltas.Length]),
            keys.Length == 0 ? null : keys[i % keys.Length],
            values.Length == 0 ? null : values[i % values.Length],
            headerKeys.Take(i % 4).Select((k, j) => new Header(k ?? "", j % 2 == 0 ? null : keys.ElementAtOrDefault(j))).ToArray()
        )).ToList();
    }

    private static byte[] Build(IEnumerable<(long Timestamp, byte[]? Key, byte[]? Value, Header[] Headers)> records, CompressionType compression, long baseOffset = 0)
    {
        var builder = new RecordBatchBuilder(compression);
        foreach (var r in records) builder.Add(r.Timestamp, r.Key, r.Value, r.Headers);
        return builder.Build(baseOffset);
    }

    private static void AssertSame(IReadOnlyList<(long Timestamp, byte[]? Key, byte[]? Value, Header[] Headers)> expected, IReadOnlyList<Record> actual, long baseOffset)
    {
        Assert.Equal(expected.Count, actual.Count);
        for (var i = 0; i < expected.Count; i++)
        {
            Assert.Equal(baseOffset + i, actual[i].Offset);
            Assert.Equal(expected[i].Timestamp, actual[i].Timestamp);
            Assert.Equal(expected[i].Key, actual[i].Key);
            Assert.Equal(expected[i].Value, actual[i].Value);
            Assert.Equal(expected[i].Headers.Select(h => h.Key), actual[i].Headers.Select(h => h.Key));
            Assert.Equal(expected[i].Headers.Select(h => h.Value), actual[i].Headers.Select(h => h.Value));
        }
    }

    [Property(MaxTest = 200)]
    public void Any_records_round_trip_uncompressed_and_gzipped(byte[]?[] keys, byte[]?[] values, int[] deltas, string?[] headerKeys, long baseOffset, bool gzip)
    {
        baseOffset = Math.Abs(baseOffset % (1L << 50));
        var records = Records(keys, values, deltas, headerKeys);
        var batch = Build(records, gzip ? CompressionType.Gzip : CompressionType.None, baseOffset);
        Assert.Equal(BatchError.None, RecordBatch.Validate(batch));
        Assert.Equal(records.Count, RecordBatch.RecordCount(batch));
        Assert.Equal(records.Count - 1, RecordBatch.LastOffsetDelta(batch));
        Assert.Equal(records.Max(r => r.Timestamp), RecordBatch.MaxTimestamp(batch));
        AssertSame(records, RecordBatch.Decode(batch), baseOffset);
    }

    [Property(MaxTest = 200)]
    public void Any_flipped_bit_under_the_crc_is_CorruptMessage(byte[]?[] values, NonNegativeInt position, byte flip)
    {
        var batch = Build(Records([], values, [], []), CompressionType.None);
        var index = 21 + position.Get % (batch.Length - 21);
        var mask = flip == 0 ? (byte)1 : flip;
        batch[index] ^= mask;
        Assert.Equal(BatchError.CorruptMessage, RecordBatch.Validate(batch));
        Assert.Throws<InvalidDataException>(() => RecordBatch.Decode(batch));
    }

    [Property(MaxTest = 300)]
    public void Garbage_never_crashes_the_decoder(byte[] garbage, byte[]?[] values, NonNegativeInt cut)
    {
        // Raw garbage, and a valid batch with its CRC recomputed over damaged records: both must end in
        // a clean InvalidDataException (or be accepted if they happen to be valid), never anything else.
        foreach (var candidate in new[] { garbage, Damaged(Build(Records([], values, [], []), CompressionType.None), cut.Get) })
        {
            try
            {
                RecordBatch.Decode(candidate);
            }
            catch (InvalidDataException)
            {
            }
            catch (NotSupportedException)
            {
            }
        }
    }

    private static byte[] Damaged(byte[] batch, int seed)
    {
        var random = new Random(seed);
        var copy = batch.ToArray();
        for (var i = 0; i < 3; i++) copy[61 + random.Next(Math.Max(1, copy.Length - 61)) % Math.Max(1, copy.Length - 61)] ^= (byte)random.Next(1, 256);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(copy.AsSpan(17), Crc32C.Compute(copy.AsSpan(21)));
        return copy;
    }

    [Fact]
    public void Setting_the_base_offset_keeps_the_crc_valid()
    {
        var batch = Build(Records([], [[1, 2, 3]], [], []), CompressionType.None);
        RecordBatch.SetBaseOffset(batch, 123_456);
        Assert.Equal(BatchError.None, RecordBatch.Validate(batch));
        Assert.Equal(123_456, RecordBatch.Decode(batch).Single().Offset);
    }

    [Fact]
    public void Truncated_batches_and_other_magic_bytes_are_refused()
    {
        var batch = Build(Records([], [[1, 2, 3]], [], []), CompressionType.None);
        Assert.Equal(BatchError.Truncated, RecordBatch.Validate(batch.AsSpan(0, batch.Length - 1)));
        Assert.Equal(BatchError.Truncated, RecordBatch.Validate(batch.AsSpan(0, 40)));
        var v1 = batch.ToArray();
        v1[16] = 1;
        Assert.Equal(BatchError.UnsupportedMagic, RecordBatch.Validate(v1));
    }

    [Fact]
    public void Split_walks_concatenated_batches_and_detects_a_cut()
    {
        var a = Build(Records([], [[1]], [], []), CompressionType.None);
        var b = Build(Records([], [[2], [3]], [], []), CompressionType.None);
        var both = a.Concat(b).ToArray();
        var ranges = new List<(int, int)>();
        Assert.True(RecordBatch.Split(both, ranges));
        Assert.Equal([(0, a.Length), (a.Length, b.Length)], ranges);
        Assert.False(RecordBatch.Split(both.AsSpan(0, both.Length - 5), []));
    }

    [Property(MaxTest = 100)]
    public void Hardware_and_table_crc32c_agree(byte[] data) =>
        Assert.Equal(Crc32C.ComputeSoftware(data), Crc32C.Compute(data));

    [Fact]
    public void Crc32c_matches_the_standard_check_value() =>
        Assert.Equal(0xE3069283u, Crc32C.Compute("123456789"u8));
}
