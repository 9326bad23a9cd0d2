using System.Buffers.Binary;
using System.Diagnostics;
using Platform.Protocol.Messages;
using Platform.Protocol.Records;
using Xunit.Abstractions;

namespace Platform.Specs.Kafka;

/// <summary>
/// Fuzzing the Kafka listener: well-formed requests of every API it serves, built with the generated codecs at
/// several versions, are mutated at random (bit flips, truncation, hostile length fields, insertions, splices)
/// from a fixed seed and thrown at the node, each on a fresh connection, for a bounded time. Afterwards the node
/// must still answer Metadata and a topic's earlier records must be exactly as they were.
/// </summary>
[Trait("Category", "Kafka")]
public sealed class KafkaListenerFuzzSpecs(LimitedKafkaNodeFixture fixture, ITestOutputHelper output) : IClassFixture<LimitedKafkaNodeFixture>
{
    private const int Seed = 20261129;
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(10);

    [Fact(Timeout = 120_000)]
    public async Task Mutated_requests_never_stop_the_node_serving_or_change_stored_records()
    {
        var topic = "fuzz-" + Guid.NewGuid().ToString("N")[..8];
        await fixture.CreateTopicAsync(topic, 2);
        var values = Enumerable.Range(0, 30).Select(i => $"before-fuzz-{i}").ToList();
        await KafkaRequests.ProduceAsync(fixture.Bootstrap, topic, 0, values);
        var seeds = SeedFrames(topic);

        var random = new Random(Seed);
        var watch = Stopwatch.StartNew();
        var cases = 0;
        var answered = 0;
        var refused = 0;
        while (watch.Elapsed < Budget)
        {
            var frame = Mutate(random, seeds[random.Next(seeds.Count)], seeds);
            switch (await ThrowAsync(frame))
            {
                case Outcome.Answered: answered++; break;
                case Outcome.Refused: refused++; break;
            }
            cases++;
        }
        output.WriteLine($"{cases} mutated requests in {watch.Elapsed.TotalSeconds:F1} s: {answered} answered, {refused} connections refused");

        await KafkaRequests.AssertServesAsync(fixture.Bootstrap, topic, 0, values);
        // Partition 1 only ever received fuzz: whatever was accepted there must still read back as whole records.
        await KafkaRequests.FetchValuesAsync(fixture.Bootstrap, topic, 1);
        Assert.True(cases > 100, $"only {cases} cases ran");
    }

    private enum Outcome
    {
        Answered,
        Closed,
        Refused,
    }

    /// <summary>One frame on a fresh connection; the node may answer or close it, and is given a moment to do either.</summary>
    private async Task<Outcome> ThrowAsync(byte[] frame)
    {
        RawKafkaConnection connection;
        try
        {
            connection = await RawKafkaConnection.ConnectAsync(fixture.Bootstrap);
        }
        catch (Exception e) when (e is System.Net.Sockets.SocketException or OperationCanceledException)
        {
            return Outcome.Refused;
        }
        await using (connection)
        {
            try
            {
                await connection.SendAsync(frame);
                await connection.ReceiveFrameAsync(TimeSpan.FromMilliseconds(50));
                return Outcome.Answered;
            }
            catch (Exception e) when (e is IOException or EndOfStreamException or OperationCanceledException or System.Net.Sockets.SocketException)
            {
                return Outcome.Closed;
            }
        }
    }

    /// <summary>Valid requests of every API the listener serves, at their lowest, a middle and their highest version.</summary>
    private static List<byte[]> SeedFrames(string topic)
    {
        var batch = KafkaRequests.Batch(["fuzz-a", "fuzz-b"]);
        var compressed = KafkaRequests.Batch(Enumerable.Range(0, 5).Select(i => "fuzz-compressed-" + i), CompressionType.Lz4);
        var frames = new List<byte[]>();
        var correlationId = 0;
        void Add(ApiKey key, short version, IKafkaMessage body) => frames.Add(RawKafkaConnection.Frame(key, version, correlationId++, body));
        foreach (var v in new short[] { 0, 1, 3 }) Add(ApiKey.ApiVersions, v, KafkaRequests.ApiVersions(v));
        foreach (var v in new short[] { 1, 4, 9 }) Add(ApiKey.Metadata, v, KafkaRequests.Metadata(topic, "other"));
        foreach (var v in new short[] { 3, 7, 9 })
        {
            Add(ApiKey.Produce, v, KafkaRequests.Produce(topic, 1, batch));
            Add(ApiKey.Produce, v, KafkaRequests.Produce(topic, 1, compressed, acks: 1));
        }
        foreach (var v in new short[] { 4, 7, 12 }) Add(ApiKey.Fetch, v, KafkaRequests.Fetch(topic, 0, 0, maxWaitMs: 10));
        foreach (var v in new short[] { 1, 4, 7 }) Add(ApiKey.ListOffsets, v, KafkaRequests.ListOffsets(topic, 0, -2));
        foreach (var v in new short[] { 0, 3, 4 }) Add(ApiKey.FindCoordinator, v, KafkaRequests.FindCoordinator("fuzz-group", v));
        return frames;
    }

    private static readonly int[] HostileLengths = [-2, -1, 0, 1, 0x7F, 0x80, 0xFF, short.MaxValue, ushort.MaxValue, int.MaxValue, int.MinValue];

    /// <summary>One to three mutations of a copy of <paramref name="frame"/>.</summary>
    private static byte[] Mutate(Random random, byte[] frame, List<byte[]> seeds)
    {
        var bytes = new List<byte>(frame);
        var rounds = random.Next(1, 4);
        for (var round = 0; round < rounds && bytes.Count > 0; round++)
        {
            // Mutations after the size prefix keep it right most of the time, so the body is what gets decoded.
            var body = bytes.Count > 4 ? random.Next(4, bytes.Count) : 0;
            switch (random.Next(8))
            {
                case 0:
                case 1:
                    for (var flips = random.Next(1, 9); flips > 0; flips--)
                    {
                        var at = random.Next(4, Math.Max(5, bytes.Count));
                        if (at < bytes.Count) bytes[at] ^= (byte)(1 << random.Next(8));
                    }
                    break;
                case 2:
                    bytes.RemoveRange(body, bytes.Count - body);
                    break;
                case 3:
                {
                    // A hostile int16 or int32 where a length or count may sit.
                    var value = HostileLengths[random.Next(HostileLengths.Length)];
                    var width = random.Next(2) == 0 ? 2 : 4;
                    var wide = new byte[4];
                    if (width == 2) BinaryPrimitives.WriteInt16BigEndian(wide, unchecked((short)value));
                    else BinaryPrimitives.WriteInt32BigEndian(wide, value);
                    for (var i = 0; i < width && body + i < bytes.Count; i++) bytes[body + i] = wide[i];
                    break;
                }
                case 4:
                {
                    var insert = new byte[random.Next(1, 64)];
                    random.NextBytes(insert);
                    bytes.InsertRange(body, insert);
                    break;
                }
                case 5:
                {
                    // A splice: the tail of another request after the head of this one.
                    var other = seeds[random.Next(seeds.Count)];
                    var from = random.Next(4, other.Length);
                    bytes.RemoveRange(body, bytes.Count - body);
                    bytes.AddRange(other[from..]);
                    break;
                }
                case 6:
                    // An unsigned varint of five continuation bytes where a compact length may sit.
                    bytes.InsertRange(body, [0xFF, 0xFF, 0xFF, 0xFF, 0x7F]);
                    break;
                default:
                    bytes.RemoveRange(body, Math.Min(bytes.Count - body, random.Next(1, 16)));
                    break;
            }
        }
        var result = bytes.ToArray();
        // Mostly a correct size prefix; sometimes the mutated one, sometimes a lie.
        if (result.Length >= 4)
        {
            switch (random.Next(10))
            {
                case < 7: BinaryPrimitives.WriteInt32BigEndian(result, result.Length - 4); break;
                case 7: BinaryPrimitives.WriteInt32BigEndian(result, result.Length - 4 + random.Next(-8, 9)); break;
                case 8: BinaryPrimitives.WriteInt32BigEndian(result, HostileLengths[random.Next(HostileLengths.Length)]); break;
            }
        }
        return result;
    }
}
