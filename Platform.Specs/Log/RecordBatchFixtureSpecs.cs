using System.Text.Json;
using Platform.Actors.Log;
using Platform.Protocol.Records;
using Record = Platform.Protocol.Records.Record;

namespace Platform.Specs.Log;

/// <summary>
/// Batches written by kafka-python and the C libraries behind its codecs (independent implementations;
/// Fixtures/recordbatch/generate.py made them offline, and kafka-python's own reader produced the expected
/// .json): our decoder must read every codec and framing Kafka clients write (snappy-java's framing and raw
/// snappy, LZ4 frames, zstd frames with and without a content size), and for uncompressed batches our
/// builder must write the very same bytes.
/// </summary>
public class RecordBatchFixtureSpecs
{
    private static string Fixture(string name) => Path.Combine(AppContext.BaseDirectory, "Fixtures", "recordbatch", name);

    private sealed record ExpectedHeader(string Key, string? Value);

    private sealed record ExpectedRecord(long Offset, long Timestamp, string? Key, string? Value, List<ExpectedHeader> Headers);

    private sealed record Expected(
        long BaseOffset, int Compression, bool LogAppendTime, long ProducerId, short ProducerEpoch, int BaseSequence,
        long FirstTimestamp, long MaxTimestamp, List<ExpectedRecord> Records);

    private static Expected Load(string name) =>
        JsonSerializer.Deserialize<Expected>(File.ReadAllText(Fixture(name + ".json")), new JsonSerializerOptions(JsonSerializerDefaults.Web))!;

    private static byte[]? Bytes(string? base64) => base64 is null ? null : Convert.FromBase64String(base64);

    public static TheoryData<string> All =>
    [
        "plain", "plain-offset-1000", "gzip", "idempotent", "log-append-time", "many",
        "snappy", "snappy-large", "snappy-raw", "lz4", "lz4-large", "zstd", "zstd-many", "zstd-no-content-size",
    ];

    /// <summary>A compressed fixture per codec and framing: our own batch of its records must decode the same.</summary>
    public static TheoryData<string> Compressed => ["gzip", "snappy", "snappy-large", "lz4", "lz4-large", "zstd", "zstd-many"];

    public static TheoryData<string> Uncompressed => ["plain", "plain-offset-1000", "idempotent", "many"];

    [Theory]
    [MemberData(nameof(All))]
    public void Batches_written_by_kafka_python_decode_to_the_same_records(string name)
    {
        var batch = File.ReadAllBytes(Fixture(name + ".bin"));
        var expected = Load(name);
        Assert.Equal(BatchError.None, RecordBatch.Validate(batch));
        Assert.Equal((CompressionType)expected.Compression, RecordBatch.Compression(batch));
        Assert.Equal(expected.BaseOffset, RecordBatch.BaseOffset(batch));
        Assert.Equal(expected.ProducerId, RecordBatch.ProducerId(batch));
        Assert.Equal(expected.ProducerEpoch, RecordBatch.ProducerEpoch(batch));
        Assert.Equal(expected.BaseSequence, RecordBatch.BaseSequence(batch));
        Assert.Equal(expected.FirstTimestamp, RecordBatch.FirstTimestamp(batch));
        Assert.Equal(expected.MaxTimestamp, RecordBatch.MaxTimestamp(batch));
        Assert.Equal(expected.Records.Count, RecordBatch.RecordCount(batch));

        var records = RecordBatch.Decode(batch);
        Assert.Equal(expected.Records.Count, records.Count);
        for (var i = 0; i < records.Count; i++)
        {
            var e = expected.Records[i];
            Assert.Equal(e.Offset, records[i].Offset);
            Assert.Equal(e.Timestamp, records[i].Timestamp);
            Assert.Equal(Bytes(e.Key), records[i].Key);
            Assert.Equal(Bytes(e.Value), records[i].Value);
            Assert.Equal(e.Headers.Select(h => (h.Key, Bytes(h.Value))), records[i].Headers.Select(h => (h.Key, h.Value)));
        }
    }

    [Theory]
    [MemberData(nameof(Uncompressed))]
    public void Our_builder_writes_the_same_bytes_as_kafka_python(string name)
    {
        var expected = Load(name);
        var builder = new RecordBatchBuilder();
        foreach (var r in expected.Records)
            builder.Add(r.Timestamp, Bytes(r.Key), Bytes(r.Value), r.Headers.Select(h => new Header(h.Key, Bytes(h.Value))).ToList());
        var ours = builder.Build(expected.BaseOffset, expected.ProducerId, expected.ProducerEpoch, expected.BaseSequence);
        // kafka-python writes partitionLeaderEpoch 0 where Kafka's Java producer writes -1. It is outside the
        // CRC and the leader overwrites it, so only that field is aligned before comparing.
        RecordBatch.SetPartitionLeaderEpoch(ours, 0);
        Assert.Equal(File.ReadAllBytes(Fixture(name + ".bin")), ours);
    }

    [Theory]
    [MemberData(nameof(Compressed))]
    public void Our_compressed_batch_of_the_same_records_decodes_identically(string name)
    {
        // Compressed bytes are not comparable (gzip stores a time, levels and block sizes differ), so compare records.
        var expected = Load(name);
        var compression = (CompressionType)expected.Compression;
        var builder = new RecordBatchBuilder(compression);
        foreach (var r in expected.Records)
            builder.Add(r.Timestamp, Bytes(r.Key), Bytes(r.Value), r.Headers.Select(h => new Header(h.Key, Bytes(h.Value))).ToList());
        var batch = builder.Build(expected.BaseOffset);
        Assert.Equal(compression, RecordBatch.Compression(batch));
        var ours = RecordBatch.Decode(batch);
        var theirs = RecordBatch.Decode(File.ReadAllBytes(Fixture(name + ".bin")));
        Assert.Equal(theirs.Select(Flatten), ours.Select(Flatten));
    }

    private static string Flatten(Record r) =>
        $"{r.Offset}|{r.Timestamp}|{Show(r.Key)}|{Show(r.Value)}|{string.Join(",", r.Headers.Select(h => h.Key + "=" + Show(h.Value)))}";

    private static string Show(byte[]? bytes) => bytes is null ? "null" : Convert.ToHexString(bytes);

    [Fact]
    public void Split_finds_kafka_python_batches_in_a_concatenation()
    {
        var names = new[] { "plain", "gzip", "many", "snappy", "lz4-large", "idempotent", "zstd-no-content-size" };
        var batches = names.Select(n => File.ReadAllBytes(Fixture(n + ".bin"))).ToArray();
        var all = batches.SelectMany(b => b).ToArray();
        var ranges = new List<(int Start, int Length)>();
        Assert.True(RecordBatch.Split(all, ranges));
        Assert.Equal(batches.Select(b => b.Length), ranges.Select(r => r.Length));
        foreach (var (start, length) in ranges) Assert.Equal(BatchError.None, RecordBatch.Validate(all.AsSpan(start, length)));
    }
}
