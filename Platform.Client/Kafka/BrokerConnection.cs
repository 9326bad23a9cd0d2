using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.IO.Pipelines;
using System.Net.Sockets;
using System.Threading.Channels;
using Platform.Protocol.Messages;
using Platform.Protocol.Wire;

namespace Platform.Client.Kafka;

/// <summary>
/// One TCP connection to one broker, speaking Kafka's protocol as every Kafka client does: requests are
/// pipelined (many in flight, matched to responses by correlation id), the versions used are the highest
/// both sides support (learned with ApiVersions when connecting), and a broken connection fails every
/// request in flight with the retriable NETWORK_EXCEPTION so callers re-route them. A request that times out
/// breaks its connection, since responses come in request order.
/// </summary>
internal sealed class BrokerConnection : IAsyncDisposable
{
    /// <summary>Largest response accepted; Kafka's fetch.max.bytes defaults are far below it.</summary>
    private const int MaxResponseBytes = 256 * 1024 * 1024;

    private sealed record Pending(ApiKey Key, short Version, TaskCompletionSource<IKafkaMessage> Completion);

    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private readonly string _clientId;
    private readonly ConcurrentDictionary<int, Pending> _pending = new();
    private readonly Channel<RentedFrame> _outgoing = Channel.CreateUnbounded<RentedFrame>(new UnboundedChannelOptions { SingleReader = true });
    private readonly CancellationTokenSource _closing = new();
    private readonly Dictionary<ApiKey, ApiVersionRange> _versions = new();
    private readonly Task _readLoop;
    private readonly Task _writeLoop;
    private int _nextCorrelationId;
    private volatile Exception? _failure;

    private BrokerConnection(Socket socket, string endpoint, string clientId)
    {
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: true);
        Endpoint = endpoint;
        _clientId = clientId;
        _readLoop = ReadLoop();
        _writeLoop = WriteLoop();
    }

    /// <summary>host:port this connection goes to.</summary>
    public string Endpoint { get; }

    public bool IsBroken => _failure is not null;

    public static async Task<BrokerConnection> ConnectAsync(string host, int port, string clientId, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(host, port, deadline.Token);
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException)
        {
            socket.Dispose();
            cancellationToken.ThrowIfCancellationRequested();
            throw new PlatformException(ErrorCode.NetworkException, $"Cannot connect to {host}:{port}: {(e is OperationCanceledException ? "timed out" : e.Message)}");
        }
        var connection = new BrokerConnection(socket, $"{host}:{port}", clientId);
        try
        {
            await connection.NegotiateAsync(timeout, cancellationToken);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    /// <summary>ApiVersions v3 first; a broker that does not know it answers in v0 with its ranges (KIP-511).</summary>
    private async Task NegotiateAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        var request = new ApiVersionsRequest { ClientSoftwareName = "platform-client", ClientSoftwareVersion = "1.0" };
        var response = (ApiVersionsResponse)await SendRawAsync(ApiKey.ApiVersions, ApiVersionsResponse.HighestVersion, request, timeout, cancellationToken);
        if (response.ErrorCode == (short)ErrorCode.UnsupportedVersion)
            response = (ApiVersionsResponse)await SendRawAsync(ApiKey.ApiVersions, 0, new ApiVersionsRequest(), timeout, cancellationToken);
        if (response.ErrorCode != 0)
            throw new PlatformException((ErrorCode)response.ErrorCode, $"{Endpoint} refused ApiVersions");
        foreach (var api in response.ApiKeys) _versions[(ApiKey)api.ApiKey] = new ApiVersionRange((ApiKey)api.ApiKey, api.MinVersion, api.MaxVersion);
    }

    /// <summary>The highest version of <paramref name="key"/> both sides speak, up to <paramref name="max"/>.</summary>
    public short Version(ApiKey key, short max, short min = 0)
    {
        if (!ApiVersionsTable.TryGetRange(key, out var ours)) throw new InvalidOperationException($"No codec for {key}");
        var top = Math.Min(max, ours.MaxVersion);
        if (!_versions.TryGetValue(key, out var theirs) || theirs.MaxVersion < Math.Max(min, ours.MinVersion) || theirs.MinVersion > top)
            throw new PlatformException(ErrorCode.UnsupportedVersion, $"The broker at {Endpoint} does not support {key} v{min}-v{top}");
        return Math.Min(top, theirs.MaxVersion);
    }

    public bool Supports(ApiKey key) => _versions.ContainsKey(key);

    /// <summary>Sends a request at the negotiated version and returns its response.</summary>
    public async Task<TResponse> SendAsync<TResponse>(ApiKey key, short version, IKafkaMessage request, TimeSpan timeout,
        CancellationToken cancellationToken = default) where TResponse : IKafkaMessage =>
        (TResponse)await SendRawAsync(key, version, request, timeout, cancellationToken);

    private async Task<IKafkaMessage> SendRawAsync(ApiKey key, short version, IKafkaMessage request, TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (_failure is { } failure) throw Broken(failure);
        var correlationId = Interlocked.Increment(ref _nextCorrelationId);
        var header = new RequestHeader { RequestApiKey = (short)key, RequestApiVersion = version, CorrelationId = correlationId, ClientId = _clientId };
        var buffer = new RentedFrame();
        KafkaFrame.WriteRequest(buffer, header, ApiVersionsTable.RequestHeaderVersion(key, version), request);
        var pending = new Pending(key, version, new TaskCompletionSource<IKafkaMessage>(TaskCreationOptions.RunContinuationsAsynchronously));
        _pending[correlationId] = pending;
        if (!_outgoing.Writer.TryWrite(buffer))
        {
            _pending.TryRemove(correlationId, out _);
            throw Broken(_failure ?? new IOException("closed"));
        }
        try
        {
            return await pending.Completion.Task.WaitAsync(timeout, cancellationToken);
        }
        catch (TimeoutException)
        {
            // As Kafka's clients do, a request that timed out closes its connection: the broker answers in
            // request order, so every later request on it would wait behind the one it lost or still holds.
            _pending.TryRemove(correlationId, out _);
            var message = $"{key} to {Endpoint} was not answered within {timeout.TotalMilliseconds:N0} ms";
            Fail(new TimeoutException(message));
            throw new PlatformException(ErrorCode.RequestTimedOut, message);
        }
        catch (OperationCanceledException)
        {
            _pending.TryRemove(correlationId, out _);
            throw;
        }
    }

    private PlatformException Broken(Exception cause) =>
        new(ErrorCode.NetworkException, $"The connection to {Endpoint} is closed: {cause.Message}");

    private async Task WriteLoop()
    {
        var reader = _outgoing.Reader;
        var batch = new ArrayBufferWriter<byte>(64 * 1024);
        try
        {
            while (await reader.WaitToReadAsync(_closing.Token))
            {
                while (batch.WrittenCount < 1024 * 1024 && reader.TryRead(out var frame))
                {
                    batch.Write(frame.Written.Span);
                    frame.Return();
                }
                await _stream.WriteAsync(batch.WrittenMemory, _closing.Token);
                batch.ResetWrittenCount();
            }
        }
        catch (Exception e)
        {
            Fail(e);
        }
    }

    private async Task ReadLoop()
    {
        var reader = PipeReader.Create(_stream, new StreamPipeReaderOptions(bufferSize: 256 * 1024));
        try
        {
            while (true)
            {
                var result = await reader.ReadAsync(_closing.Token);
                var buffer = result.Buffer;
                while (KafkaFrame.TryReadFrame(ref buffer, MaxResponseBytes, out var frame)) Complete(frame);
                if (!result.IsCompleted && StartsLargeFetch(buffer) is { } size)
                {
                    // The rest of a large Fetch response goes from the socket straight into the array it is read from,
                    // not through the pipe's segments and a copy out of them (24 % of a 1 KiB consumer's CPU, issue
                    // #16). The pipe holds nothing afterwards and reads the socket again only when asked.
                    var bytes = GC.AllocateUninitializedArray<byte>(size);
                    var have = (int)buffer.Length - 4;
                    buffer.Slice(4).CopyTo(bytes);
                    reader.AdvanceTo(buffer.End);
                    await _stream.ReadExactlyAsync(bytes.AsMemory(have), _closing.Token);
                    Complete(bytes);
                    continue;
                }
                reader.AdvanceTo(buffer.Start, buffer.End);
                if (result.IsCompleted) throw new IOException("the broker closed the connection");
            }
        }
        catch (Exception e)
        {
            Fail(e);
        }
        finally
        {
            await reader.CompleteAsync();
        }
    }

    /// <summary>
    /// The size of the frame <paramref name="buffer"/> begins (and does not hold whole: TryReadFrame checked its size)
    /// when it answers a pending Fetch and is larger than one read of the pipe; null otherwise.
    /// </summary>
    private int? StartsLargeFetch(ReadOnlySequence<byte> buffer)
    {
        if (buffer.Length < 8) return null;
        Span<byte> start = stackalloc byte[8];
        buffer.Slice(0, 8).CopyTo(start);
        var size = BinaryPrimitives.ReadInt32BigEndian(start);
        return size >= DirectReadBytes && _pending.TryGetValue(BinaryPrimitives.ReadInt32BigEndian(start[4..]), out var pending) &&
               pending.Key == ApiKey.Fetch
            ? size
            : null;
    }

    /// <summary>A Fetch response of this size or more is read from the socket into its own array directly.</summary>
    private const int DirectReadBytes = 256 * 1024;

    private void Complete(ReadOnlySequence<byte> frame)
    {
        // A Fetch response is copied once off the pipe into an array of its own, and its record sets are slices of that
        // array (the consumer's records point into it); before, the frame was copied, then every partition's records
        // again. Other responses are read in place when they sit in one segment.
        if (TakePending(frame.FirstSpan.Length >= 4 ? frame.FirstSpan : frame.Slice(0, 4).ToArray()) is not { } pending) return;
        if (pending.Key == ApiKey.Fetch)
        {
            var reader = new KafkaReader(CopyOut(frame));
            Read(pending, ref reader);
        }
        else
        {
            var reader = frame.IsSingleSegment ? new KafkaReader(frame.FirstSpan) : new KafkaReader(frame.ToArray().AsSpan());
            Read(pending, ref reader);
        }
    }

    /// <summary>A whole response frame read into an array of its own (a large Fetch response).</summary>
    private void Complete(byte[] frame)
    {
        if (TakePending(frame) is not { } pending) return;
        var reader = new KafkaReader(frame.AsMemory());
        Read(pending, ref reader);
    }

    /// <summary>The request a frame answers, by the correlation id it starts with; null when it timed out or was cancelled meanwhile.</summary>
    private Pending? TakePending(ReadOnlySpan<byte> frameStart) =>
        _pending.TryRemove(BinaryPrimitives.ReadInt32BigEndian(frameStart), out var pending) ? pending : null;

    private void Read(Pending pending, ref KafkaReader reader)
    {
        try
        {
            ResponseHeader.Read(ref reader, ApiVersionsTable.ResponseHeaderVersion(pending.Key, pending.Version));
            pending.Completion.TrySetResult(ApiVersionsTable.ReadResponse(pending.Key, ref reader, pending.Version));
        }
        catch (KafkaProtocolException e)
        {
            pending.Completion.TrySetException(new PlatformException(ErrorCode.CorruptMessage, $"Malformed {pending.Key} response from {Endpoint}: {e.Message}"));
        }
    }

    /// <summary>
    /// A frame copied into an array of its own, left unzeroed before the copy overwrites it: a Fetch response is up to
    /// several MiB on the large object heap, where zeroing a fresh array was a second pass over it (issue #16).
    /// </summary>
    private static ReadOnlyMemory<byte> CopyOut(ReadOnlySequence<byte> frame)
    {
        var bytes = GC.AllocateUninitializedArray<byte>(checked((int)frame.Length));
        frame.CopyTo(bytes);
        return bytes;
    }

    private void Fail(Exception cause)
    {
        if (_failure is not null) return;
        _failure = cause is OperationCanceledException ? new IOException("closed by the client") : cause;
        _outgoing.Writer.TryComplete();
        _closing.Cancel();
        _socket.Dispose();
        foreach (var id in _pending.Keys)
            if (_pending.TryRemove(id, out var pending)) pending.Completion.TrySetException(Broken(_failure));
    }

    public async ValueTask DisposeAsync()
    {
        Fail(new IOException("closed by the client"));
        await Task.WhenAll(_readLoop, _writeLoop);
        await _stream.DisposeAsync();
        _closing.Dispose();
    }
}
