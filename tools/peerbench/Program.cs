using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;
using Platform.Bench;
using StackExchange.Redis;

namespace PeerBench;

/// <summary>
/// <c>peerbench redis|nats [--scenario throughput|paced|large] [--records N] [--record-size B] [--partitions P]
/// [--rate R] [--server-pid PID] [--url URL]</c>: the workload of <c>platform bench</c> against a peer. Each
/// partition is a Redis stream (XADD pipelined on one connection, XREAD pages to read back) or a subject of one
/// JetStream stream (PublishAsync awaiting each PubAck, an ordered consumer to read back). Each value starts with its
/// send time, so the paced run's end-to-end latency is measured as Platform's is, from the record's timestamp.
/// </summary>
public static class Program
{
    /// <summary>Sends in flight at once: enough to keep either server busy, few enough not to queue for seconds.</summary>
    private const int Window = 1024;

    public static async Task<int> Main(string[] args)
    {
        if (args.Length == 0 || args[0] is not ("redis" or "nats"))
        {
            Console.Error.WriteLine("usage: peerbench redis|nats [--scenario throughput|paced|large] [--records N] [--record-size B] " +
                                    "[--partitions P] [--rate R] [--warmup-records N] [--server-pid PID] [--url URL]");
            return 2;
        }
        var options = Options.Parse(args);
        IPeer peer = args[0] == "redis" ? await RedisPeer.ConnectAsync(options.Url ?? "127.0.0.1:6379", options.Partitions)
                                        : await NatsPeer.ConnectAsync(options.Url ?? "nats://127.0.0.1:4222", options.Partitions);
        await using (peer)
        {
            if (options.Warmup > 0)
            {
                await peer.ResetAsync("warm");
                await ProduceAsync(peer, options.Warmup, options.RecordSize, null, new long[options.Warmup]);
                await peer.ConsumeAsync(options.Warmup, null);
            }
            await peer.ResetAsync("run");
            Console.WriteLine($"peerbench {args[0]}: {options.Records:N0} records of {options.RecordSize} B into {options.Partitions} " +
                              $"partitions{(options.Rate is null ? "" : $", {options.Rate:N0} records/s")}");
            var report = new BenchReport(args[0], options.ServerPid);
            report.Set("record_size", options.RecordSize);
            report.Set("partitions", options.Partitions);
            report.Set("rate", options.Rate);
            var e2e = new long[options.Records];
            var live = options.Rate is null
                ? Task.FromResult(0L)
                : Task.Run(() => peer.ConsumeAsync(options.Records, (i, sentTicks) => e2e[i] = DateTime.UtcNow.Ticks - sentTicks));
            var acks = new long[options.Records];
            var watch = Stopwatch.StartNew();
            await ProduceAsync(peer, options.Records, options.RecordSize, options.Rate, acks);
            report.Throughput("produce", options.Records, options.RecordSize, watch.Elapsed.TotalSeconds);
            report.Latency("ack", "ack latency ms", acks);
            if (options.Rate is not null)
            {
                var seen = await live.WaitAsync(TimeSpan.FromMinutes(5));
                report.Latency("e2e", $"end-to-end latency ms ({seen:N0} records seen live)", e2e);
            }
            watch.Restart();
            var consumed = await peer.ConsumeAsync(options.Records, null);
            report.Throughput("consume", consumed, options.RecordSize, watch.Elapsed.TotalSeconds);
            report.Finish();
            return consumed == options.Records ? 0 : 1;
        }
    }

    /// <summary>
    /// Sends <paramref name="records"/> round-robin over the partitions with at most <see cref="Window"/> in flight,
    /// paced on this thread when a rate is given (as <c>platform bench</c> paces), each ack timed from its send.
    /// </summary>
    private static async Task ProduceAsync(IPeer peer, long records, int recordSize, long? rate, long[] latencies)
    {
        var inFlight = new Task[Window];
        var pacer = rate is { } r ? new Pacer(r) : null;
        var payload = new byte[recordSize];
        Random.Shared.NextBytes(payload);
        for (long i = 0; i < records; i++)
        {
            var slot = (int)(i % Window);
            if (inFlight[slot] is { } previous) await previous;
            pacer?.WaitFor(i);
            var value = (byte[])payload.Clone();
            BinaryPrimitives.WriteInt64LittleEndian(value, DateTime.UtcNow.Ticks);
            var partition = (int)(i % peer.Partitions);
            inFlight[slot] = Timed(() => peer.SendAsync(partition, value), latencies, i);
        }
        await Task.WhenAll(inFlight.Where(t => t is not null));
    }

    private static async Task Timed(Func<Task> send, long[] latencies, long index)
    {
        var started = Stopwatch.GetTimestamp();
        await send();
        latencies[index] = Stopwatch.GetElapsedTime(started).Ticks;
    }

    private sealed record Options(long Records, int RecordSize, int Partitions, long? Rate, long Warmup, int? ServerPid, string? Url)
    {
        public static Options Parse(string[] args)
        {
            string? Value(string name)
            {
                var at = Array.IndexOf(args, "--" + name);
                return at >= 0 && at + 1 < args.Length ? args[at + 1] : null;
            }
            long? Long(string name) => Value(name) is { } v ? long.Parse(v, CultureInfo.InvariantCulture) : null;
            var scenario = Value("scenario") is { } s ? BenchScenario.All[s] : BenchScenario.Default;
            return new Options(
                Long("records") ?? scenario.Records,
                (int)(Long("record-size") ?? scenario.RecordSize),
                (int)(Long("partitions") ?? 6),
                Long("rate") ?? scenario.Rate,
                Long("warmup-records") ?? 100_000,
                (int?)Long("server-pid"),
                Value("url"));
        }
    }
}

/// <summary>A peer's log: partitions to append to and read back from the start.</summary>
internal interface IPeer : IAsyncDisposable
{
    int Partitions { get; }

    /// <summary>Starts a fresh set of partitions named after <paramref name="run"/>.</summary>
    Task ResetAsync(string run);

    /// <summary>Completes when the server has acknowledged the record (its durable write, as far as the peer offers one).</summary>
    Task SendAsync(int partition, byte[] value);

    /// <summary>Reads every partition from its start until <paramref name="records"/> arrived or 30 s passed without any.</summary>
    Task<long> ConsumeAsync(long records, Action<long, long>? onRecord);
}

/// <summary>Redis Streams: one stream per partition; the server runs with appendonly yes, appendfsync always.</summary>
internal sealed class RedisPeer(ConnectionMultiplexer writer, ConnectionMultiplexer reader, int partitions) : IPeer
{
    private static readonly RedisValue Field = "v";
    private RedisKey[] _keys = [];

    public int Partitions => partitions;

    public static async Task<RedisPeer> ConnectAsync(string endpoint, int partitions) =>
        new(await ConnectionMultiplexer.ConnectAsync(endpoint), await ConnectionMultiplexer.ConnectAsync(endpoint), partitions);

    public async Task ResetAsync(string run)
    {
        _keys = Enumerable.Range(0, partitions).Select(p => (RedisKey)$"{run}-{Guid.NewGuid():N}-{p}").ToArray();
        await Task.CompletedTask;
    }

    public Task SendAsync(int partition, byte[] value) =>
        writer.GetDatabase().StreamAddAsync(_keys[partition], Field, value);

    public async Task<long> ConsumeAsync(long records, Action<long, long>? onRecord)
    {
        var db = reader.GetDatabase();
        var next = _keys.Select(_ => "0-0").ToArray();
        long count = 0;
        var idle = Stopwatch.StartNew();
        while (count < records && idle.Elapsed < TimeSpan.FromSeconds(30))
        {
            // XREAD BLOCK over every stream at once: one round trip a page, as one Kafka fetch covers every partition,
            // and a live reader waits in the server instead of polling. StackExchange.Redis has no typed blocking
            // read; this connection is the reader's own, so the blocking call holds up nothing else.
            var arguments = new List<object> { "COUNT", 10_000, "BLOCK", 100, "STREAMS" };
            arguments.AddRange(_keys.Select(k => (object)k.ToString()));
            arguments.AddRange(next);
            var reply = await db.ExecuteAsync("XREAD", arguments.ToArray());
            if (reply.IsNull) continue;
            var any = false;
            foreach (var (key, page) in Streams((RedisResult[])reply!))
            {
                var entries = (RedisResult[])page!;
                if (entries.Length == 0) continue;
                any = true;
                var at = Array.IndexOf(_keys, (RedisKey)(string)key!);
                foreach (var entry in entries)
                {
                    var fields = (RedisResult[])entry!;
                    next[at] = (string)fields[0]!;
                    if (onRecord is not null)
                        onRecord(count, BinaryPrimitives.ReadInt64LittleEndian((byte[])((RedisResult[])fields[1]!)[1]!));
                    count++;
                }
            }
            if (any) idle.Restart();
        }
        return count;
    }

    /// <summary>XREAD's reply as (stream, entries): RESP2 nests a pair per stream, RESP3 answers a flat map.</summary>
    private static IEnumerable<(RedisResult Key, RedisResult Entries)> Streams(RedisResult[] reply)
    {
        if (reply.Length > 0 && reply[0].Resp3Type == ResultType.Array)
        {
            foreach (var pair in reply)
            {
                var parts = (RedisResult[])pair!;
                yield return (parts[0], parts[1]);
            }
        }
        else
        {
            for (var i = 0; i + 1 < reply.Length; i += 2) yield return (reply[i], reply[i + 1]);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await writer.DisposeAsync();
        await reader.DisposeAsync();
    }
}

/// <summary>NATS JetStream: one file-stored stream, a subject per partition; the server acknowledges before its fsync.</summary>
internal sealed class NatsPeer(NatsConnection connection, int partitions) : IPeer
{
    private readonly NatsJSContext _js = new(connection);
    private string _stream = "";

    public int Partitions => partitions;

    public static async Task<NatsPeer> ConnectAsync(string url, int partitions)
    {
        var connection = new NatsConnection(new NatsOpts { Url = url });
        await connection.ConnectAsync();
        return new NatsPeer(connection, partitions);
    }

    public async Task ResetAsync(string run)
    {
        _stream = $"{run}{Guid.NewGuid():N}"[..20].ToUpperInvariant();
        await _js.CreateStreamAsync(new StreamConfig(_stream, [$"{_stream}.*"]) { Storage = StreamConfigStorage.File });
    }

    public async Task SendAsync(int partition, byte[] value)
    {
        var ack = await _js.PublishAsync($"{_stream}.{partition}", value);
        ack.EnsureSuccess();
    }

    public async Task<long> ConsumeAsync(long records, Action<long, long>? onRecord)
    {
        var consumer = await _js.CreateOrderedConsumerAsync(_stream);
        long count = 0;
        using var idle = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            await foreach (var message in consumer.ConsumeAsync<byte[]>(cancellationToken: idle.Token))
            {
                if (onRecord is not null) onRecord(count, BinaryPrimitives.ReadInt64LittleEndian(message.Data));
                idle.CancelAfter(TimeSpan.FromSeconds(30));
                if (++count == records) break;
            }
        }
        catch (OperationCanceledException)
        {
            // 30 s without a record: report what arrived.
        }
        return count;
    }

    public ValueTask DisposeAsync() => connection.DisposeAsync();
}
