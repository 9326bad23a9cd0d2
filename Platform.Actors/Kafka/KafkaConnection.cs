using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;
using Akka.Actor;
using Akka.Event;
using Platform.Actors.Configuration;
using Platform.Protocol.Messages;
using Platform.Protocol.Wire;

namespace Platform.Actors.Kafka;

/// <summary>
/// One client's TCP connection to the Kafka listener. A read loop cuts size-prefixed frames, decodes each
/// request and starts its handler at once, so a pipelining client has many requests in flight; a write loop
/// sends the responses strictly in request order, as Kafka requires, batching those that are ready into
/// one socket write. At most <see cref="KafkaSettings.MaxInFlightPerConnection"/> requests wait for
/// their responses: beyond that the read loop stops reading and TCP pushes back on the client.
/// Anything malformed closes this connection only, with one log line.
/// </summary>
internal sealed class KafkaConnection
{
    /// <summary>A request being answered; a null response (acks=0 produce) sends nothing.</summary>
    private readonly record struct Pending(int CorrelationId, short ResponseHeaderVersion, short ApiVersion, Task<IKafkaMessage?> Response);

    private readonly long _id;
    private readonly Socket _socket;
    private readonly KafkaApis _apis;
    private readonly KafkaSettings _settings;
    private readonly ILoggingAdapter _log;
    private readonly Channel<Pending> _pending;
    private readonly CancellationTokenSource _closed = new();
    private readonly string _remote;
    private Action? _handshakeDone;
    // What the connection last did, for Describe (a spec naming the connections left open): written by the read
    // loop only, read racily, which is good enough for a diagnostic.
    private readonly long _openedAt = Environment.TickCount64;
    private string _lastRequest = "none";
    private string _phase = "reading";

    /// <param name="handshakeDone">Called once: on the first complete request, or when the connection closes before one.</param>
    public KafkaConnection(long id, Socket socket, KafkaApis apis, KafkaSettings settings, ILoggingAdapter log, Action handshakeDone)
    {
        _handshakeDone = handshakeDone;
        _id = id;
        _socket = socket;
        _apis = apis;
        _settings = settings;
        _log = log;
        _remote = socket.RemoteEndPoint?.ToString() ?? "unknown";
        _pending = Channel.CreateBounded<Pending>(new BoundedChannelOptions(Math.Max(1, settings.MaxInFlightPerConnection))
        {
            SingleReader = true,
            SingleWriter = true,
        });
    }

    public void Close() => _closed.Cancel();

    /// <summary>One line on this connection for diagnostics: the client, its last request and what the connection waits for.</summary>
    public string Describe() =>
        $"{_remote} open {(Environment.TickCount64 - _openedAt) / 1000.0:F1} s, last request {_lastRequest}, {_phase}";

    public async Task RunAsync(CancellationToken stopping)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(stopping, _closed.Token);
        var token = linked.Token;
        // The connection's stand-in in the actor world: group coordinators watch it, so a member whose
        // connection closes leaves its group at once instead of after its session timeout.
        var actor = _apis.System.ActorOf(Props.Create(() => new ConnectionActor()), $"kafka-connection-{_id}");
        var context = new ConnectionContext(actor, (_socket.RemoteEndPoint as IPEndPoint)?.Address.ToString() ?? "", _remote);
        await using var stream = new NetworkStream(_socket, ownsSocket: true);
        var writer = WriteLoop(stream, token);
        try
        {
            await ReadLoop(PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: 64 * 1024)), context, token);
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
        }
        catch (KafkaProtocolException e)
        {
            _log.Warning("Kafka connection {Client} closed: {Reason}", _remote, e.Message);
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
        {
            _log.Debug("Kafka connection {Client} closed: {Reason}", _remote, e.Message);
        }
        catch (Exception e)
        {
            _log.Error(e, "Kafka connection {Client} failed", _remote);
        }
        finally
        {
            // The client is gone (or broke the protocol) and reads nothing more: stop waiting for responses still
            // being worked on, such as long polls parked for up to max-fetch-wait, so the connection's slot under
            // max-connections and its socket are freed now, as Kafka closes a channel on EOF.
            _phase = "closing: waiting for the write loop";
            _closed.Cancel();
            EndHandshake();
            _pending.Writer.TryComplete();
            try
            {
                await writer;
            }
            catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or OperationCanceledException)
            {
            }
            catch (Exception e)
            {
                _log.Error(e, "Kafka connection {Client}: writing responses failed", _remote);
            }
            _phase = "closed";
            _apis.System.Stop(actor);
        }
    }

    /// <summary>Tells the listener, once, that this connection no longer counts as handshaking.</summary>
    private void EndHandshake() => Interlocked.Exchange(ref _handshakeDone, null)?.Invoke();

    private async Task ReadLoop(PipeReader reader, ConnectionContext context, CancellationToken token)
    {
        using var idle = CancellationTokenSource.CreateLinkedTokenSource(token);
        // Until its first complete request a connection has handshake-timeout in all, however it trickles bytes;
        // after that, connections-max-idle between reads.
        idle.CancelAfter(_settings.HandshakeTimeout);
        var handshaking = true;
        while (true)
        {
            if (!handshaking) idle.CancelAfter(_settings.ConnectionsMaxIdle);
            ReadResult result;
            try
            {
                result = await reader.ReadAsync(idle.Token);
            }
            catch (OperationCanceledException) when (!token.IsCancellationRequested)
            {
                if (handshaking)
                    _log.Info("Kafka connection {Client} closed: no complete request within {Timeout} (handshake-timeout)", _remote, _settings.HandshakeTimeout);
                else
                    _log.Info("Kafka connection {Client} closed after {Idle} without a request", _remote, _settings.ConnectionsMaxIdle);
                return;
            }
            var buffer = result.Buffer;
            while (TryReadFrame(ref buffer, out var frame))
            {
                if (handshaking)
                {
                    handshaking = false;
                    EndHandshake();
                }
                var pending = Dispatch(frame, context);
                if (pending is { } p) await _pending.Writer.WriteAsync(p, token);
            }
            reader.AdvanceTo(buffer.Start, buffer.End);
            if (result.IsCompleted)
            {
                if (!buffer.IsEmpty) throw new KafkaProtocolException($"connection closed in the middle of a frame ({buffer.Length} bytes)");
                return;
            }
        }
    }

    private bool TryReadFrame(ref ReadOnlySequence<byte> buffer, out byte[] frame)
    {
        frame = [];
        if (buffer.Length < 4) return false;
        Span<byte> prefix = stackalloc byte[4];
        buffer.Slice(0, 4).CopyTo(prefix);
        var size = BinaryPrimitives.ReadInt32BigEndian(prefix);
        if (size < 8 || size > _settings.SocketRequestMaxBytes)
            throw new KafkaProtocolException($"frame of {size} bytes (allowed: 8 to socket.request.max.bytes = {_settings.SocketRequestMaxBytes})");
        if (buffer.Length < 4 + size) return false;
        // A frame of its own: produce requests keep slices of it (the record batches) past this loop.
        frame = buffer.Slice(4, size).ToArray();
        buffer = buffer.Slice(4 + size);
        return true;
    }

    private Pending? Dispatch(byte[] frame, ConnectionContext context)
    {
        var apiKey = (ApiKey)BinaryPrimitives.ReadInt16BigEndian(frame);
        var apiVersion = BinaryPrimitives.ReadInt16BigEndian(frame.AsSpan(2));
        var correlationId = BinaryPrimitives.ReadInt32BigEndian(frame.AsSpan(4));
        var api = _apis.Find(apiKey) ?? throw new KafkaProtocolException($"unknown or unsupported API key {(short)apiKey}");
        if (apiVersion < api.MinVersion || apiVersion > api.MaxVersion)
        {
            // KIP-511: an ApiVersions request of a version the broker does not know is answered in v0 with
            // UNSUPPORTED_VERSION and the supported ranges, so the client can retry with one it shares.
            if (apiKey == ApiKey.ApiVersions)
                return new Pending(correlationId, 0, 0, Task.FromResult<IKafkaMessage?>(_apis.UnsupportedApiVersions()));
            throw new KafkaProtocolException($"{apiKey} v{apiVersion} is not supported (supported: v{api.MinVersion}-v{api.MaxVersion})");
        }
        var reader = new KafkaReader(frame);
        var header = RequestHeader.Read(ref reader, api.RequestHeaderVersion(apiVersion));
        var request = new RequestContext(context, header.ClientId ?? "", apiVersion, correlationId);
        _lastRequest = $"{apiKey} v{apiVersion} from client id '{header.ClientId}'";
        var response = api.Invoke(request, ref reader);
        return response is null ? null : new Pending(correlationId, api.ResponseHeaderVersion(apiVersion), apiVersion, response);
    }

    /// <summary>
    /// Sends the responses in request order, everything already answered in one pass of writes. Responses are written
    /// as <see cref="FrameSegments"/>: their fields into pooled chunks, the stored batches of a Fetch response referenced
    /// where they lie and written to the socket from there, one write a range (the chunk holding many small responses is
    /// one range). Neither a growing array (doubling up to a fetch's size on the large object heap) nor a pipe's segments
    /// (a copy of every batch served, 6 % of the node's CPU in a 1 KiB consume, issue #16) hold a response's records.
    /// </summary>
    private async Task WriteLoop(Stream stream, CancellationToken token)
    {
        var output = new FrameSegments();
        var reader = _pending.Reader;
        try
        {
            while (await reader.WaitToReadAsync(CancellationToken.None))
            {
                // Everything already answered goes out in one pass; then wait for the next in line.
                while (reader.TryPeek(out var next))
                {
                    if (!next.Response.IsCompleted && output.Length > 0) break;
                    reader.TryRead(out _);
                    IKafkaMessage? response;
                    try
                    {
                        response = await next.Response.WaitAsync(token);
                    }
                    catch (OperationCanceledException) when (token.IsCancellationRequested)
                    {
                        return;
                    }
                    catch (Exception e)
                    {
                        // A handler failed beyond its own error handling: the client cannot be answered in order.
                        _log.Error(e, "Kafka connection {Client}: a request failed without a response; closing", _remote);
                        _closed.Cancel();
                        return;
                    }
                    if (response is null) continue;
                    KafkaFrame.WriteResponse(output, next.CorrelationId, next.ResponseHeaderVersion, response, next.ApiVersion);
                    if (output.Length >= 1024 * 1024) break;
                }
                if (output.Length == 0) continue;
                foreach (var segment in output.Segments) await stream.WriteAsync(segment, token);
                output.Clear();
            }
        }
        finally
        {
            output.Clear();
        }
    }

    /// <summary>Exists to be watched (group coordinators watch their members' connections): it stops when its connection closes.</summary>
    private sealed class ConnectionActor : ReceiveActor
    {
        public ConnectionActor() => ReceiveAny(_ => { });
    }
}

/// <summary>What a request's handler knows about the connection it came on.</summary>
/// <param name="Actor">Stops when the connection closes; group coordinators watch it.</param>
internal sealed record ConnectionContext(IActorRef Actor, string ClientHost, string Remote);

/// <summary>One decoded request's context: its connection, the client's id and the version it speaks.</summary>
internal sealed record RequestContext(ConnectionContext Connection, string ClientId, short ApiVersion, int CorrelationId);
