using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using Platform.Actors.Hosting;
using Platform.Protocol.Messages;
using Platform.Protocol.Records;
using Platform.Protocol.Wire;

namespace Platform.Specs.Streams;

/// <summary>
/// A stand-in broker for client specs: a TCP listener on its own port that relays Kafka frames to a real
/// node's Kafka listener and back. It advertises itself in Metadata and FindCoordinator answers (so clients
/// keep talking through it), counts the records fetches carried back to the client (what a consumer took
/// from the node), can hold requests of one kind back (produces or offset commits: a stalled node) and can be shut down (a node that goes
/// away: every relayed connection closes), all without touching the client.
/// </summary>
public sealed class KafkaProxy : IAsyncDisposable
{
    private const int MaxFrame = 256 * 1024 * 1024;

    private readonly TcpListener _listener;
    private readonly string _target;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<Socket, byte> _sockets = new();
    private readonly object _holdLock = new();
    private TaskCompletionSource _released = Released();
    private ApiKey? _held;
    private long _fetchedRecords;
    private long _fetches;
    private long _produces;
    private int _maxRecordsPerFetch;

    private KafkaProxy(string target)
    {
        _target = target;
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        Endpoint = $"127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";
        _ = AcceptLoop();
    }

    /// <summary>host:port to use as a bootstrap server.</summary>
    public string Endpoint { get; }

    /// <summary>Records the node sent to clients through this proxy (at or after each fetch's offset).</summary>
    public long FetchedRecords => Interlocked.Read(ref _fetchedRecords);

    public long Fetches => Interlocked.Read(ref _fetches);

    /// <summary>Produce requests clients sent through this proxy.</summary>
    public long Produces => Interlocked.Read(ref _produces);

    /// <summary>The most records one partition of a fetch response carried.</summary>
    public int MaxRecordsPerFetch => Volatile.Read(ref _maxRecordsPerFetch);

    public static Task<KafkaProxy> StartAsync(PlatformNode node) => Task.FromResult(new KafkaProxy(node.KafkaEndpoint));

    /// <summary>Produce requests (and what follows them on their connection) wait in the proxy until <see cref="Release"/>.</summary>
    public void HoldProduces() => Hold(ApiKey.Produce);

    /// <summary>OffsetCommit requests (and what follows them on their connection) wait in the proxy until <see cref="Release"/>.</summary>
    public void HoldCommits() => Hold(ApiKey.OffsetCommit);

    private void Hold(ApiKey key)
    {
        lock (_holdLock)
        {
            _held = key;
            _released = Released();
        }
    }

    public void Release()
    {
        lock (_holdLock) _held = null;
        _released.TrySetResult();
    }

    /// <summary>The proxy goes away: to the client, its broker stopped answering.</summary>
    public async Task StopAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        foreach (var socket in _sockets.Keys) socket.Dispose();
    }

    public async ValueTask DisposeAsync() => await StopAsync();

    private static TaskCompletionSource Released() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private async Task AcceptLoop()
    {
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                var client = await _listener.AcceptSocketAsync(_stop.Token);
                _ = RelayAsync(client);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }
    }

    private async Task RelayAsync(Socket client)
    {
        var colon = _target.LastIndexOf(':');
        var server = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        client.NoDelay = true;
        _sockets[client] = 0;
        _sockets[server] = 0;
        var requests = new ConcurrentDictionary<int, (ApiKey Key, short Version)>();
        try
        {
            await server.ConnectAsync(_target[..colon], int.Parse(_target[(colon + 1)..]), _stop.Token);
            await using var toClient = new NetworkStream(client, ownsSocket: true);
            await using var toServer = new NetworkStream(server, ownsSocket: true);
            await Task.WhenAny(Requests(toClient, toServer, requests), Responses(toServer, toClient, requests));
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or IOException or ObjectDisposedException)
        {
        }
        finally
        {
            client.Dispose();
            server.Dispose();
            _sockets.TryRemove(client, out _);
            _sockets.TryRemove(server, out _);
        }
    }

    private async Task Requests(Stream from, Stream to, ConcurrentDictionary<int, (ApiKey, short)> requests)
    {
        var reader = PipeReader.Create(from);
        try
        {
            while (true)
            {
                var result = await reader.ReadAsync(_stop.Token);
                var buffer = result.Buffer;
                while (KafkaFrame.TryReadFrame(ref buffer, MaxFrame, out var frame))
                {
                    var bytes = frame.ToArray();
                    var key = (ApiKey)BinaryPrimitives.ReadInt16BigEndian(bytes);
                    var version = BinaryPrimitives.ReadInt16BigEndian(bytes.AsSpan(2));
                    requests[BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(4))] = (key, version);
                    if (key == ApiKey.Produce) Interlocked.Increment(ref _produces);
                    Task released;
                    lock (_holdLock) released = _held == key ? _released.Task : Task.CompletedTask;
                    await released.WaitAsync(_stop.Token);
                    var sized = new byte[bytes.Length + 4];
                    BinaryPrimitives.WriteInt32BigEndian(sized, bytes.Length);
                    bytes.CopyTo(sized, 4);
                    await to.WriteAsync(sized, _stop.Token);
                }
                reader.AdvanceTo(buffer.Start, buffer.End);
                if (result.IsCompleted) return;
            }
        }
        finally
        {
            await reader.CompleteAsync();
        }
    }

    private async Task Responses(Stream from, Stream to, ConcurrentDictionary<int, (ApiKey Key, short Version)> requests)
    {
        var reader = PipeReader.Create(from);
        var colon = Endpoint.LastIndexOf(':');
        var (host, port) = (Endpoint[..colon], int.Parse(Endpoint[(colon + 1)..]));
        try
        {
            while (true)
            {
                var result = await reader.ReadAsync(_stop.Token);
                var buffer = result.Buffer;
                while (KafkaFrame.TryReadFrame(ref buffer, MaxFrame, out var frame))
                {
                    var bytes = frame.ToArray();
                    var correlationId = BinaryPrimitives.ReadInt32BigEndian(bytes);
                    requests.TryRemove(correlationId, out var request);
                    var output = new ArrayBufferWriter<byte>(bytes.Length + 4);
                    if (request.Key is ApiKey.Metadata or ApiKey.FindCoordinator or ApiKey.Fetch)
                    {
                        var headerVersion = ApiVersionsTable.ResponseHeaderVersion(request.Key, request.Version);
                        var messageReader = new KafkaReader(bytes);
                        ResponseHeader.Read(ref messageReader, headerVersion);
                        var message = ApiVersionsTable.ReadResponse(request.Key, ref messageReader, request.Version);
                        Rewrite(message, host, port);
                        KafkaFrame.WriteResponse(output, correlationId, headerVersion, message, request.Version);
                    }
                    else
                    {
                        BinaryPrimitives.WriteInt32BigEndian(output.GetSpan(4), bytes.Length);
                        output.Advance(4);
                        output.Write(bytes);
                    }
                    await to.WriteAsync(output.WrittenMemory, _stop.Token);
                }
                reader.AdvanceTo(buffer.Start, buffer.End);
                if (result.IsCompleted) return;
            }
        }
        finally
        {
            await reader.CompleteAsync();
        }
    }

    private void Rewrite(IKafkaMessage message, string host, int port)
    {
        switch (message)
        {
            case MetadataResponse metadata:
                foreach (var broker in metadata.Brokers) (broker.Host, broker.Port) = (host, port);
                break;
            case FindCoordinatorResponse coordinator:
                (coordinator.Host, coordinator.Port) = (host, port);
                foreach (var c in coordinator.Coordinators) (c.Host, c.Port) = (host, port);
                break;
            case FetchResponse fetch:
                Interlocked.Increment(ref _fetches);
                foreach (var partition in fetch.Responses.SelectMany(t => t.Partitions))
                {
                    if (partition.Records is not { Length: > 0 } set) continue;
                    var bytes = set.ToArray();
                    var ranges = new List<(int Start, int Length)>();
                    RecordBatch.Split(bytes, ranges);
                    var records = ranges.Sum(r => RecordBatch.RecordCount(bytes.AsSpan(r.Start, r.Length)));
                    Interlocked.Add(ref _fetchedRecords, records);
                    int seen;
                    while ((seen = Volatile.Read(ref _maxRecordsPerFetch)) < records && Interlocked.CompareExchange(ref _maxRecordsPerFetch, records, seen) != seen)
                    {
                    }
                }
                break;
        }
    }
}
