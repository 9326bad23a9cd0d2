using System.Buffers;
using System.Buffers.Binary;
using System.Net.Sockets;
using Platform.Protocol.Messages;
using Platform.Protocol.Wire;

namespace Platform.Specs.Kafka;

/// <summary>Decodes one response body of a given version (a generated message's static <c>Read</c>).</summary>
public delegate T ResponseReader<out T>(ref KafkaReader reader, short version);

/// <summary>
/// A bare TCP connection to the Kafka listener for specs that must send exactly the bytes they choose: whole
/// requests built with the generated codecs, or anything else. No retries, no version negotiation.
/// </summary>
public sealed class RawKafkaConnection : IAsyncDisposable
{
    private static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(10);
    private readonly TcpClient _client;
    private readonly NetworkStream _stream;

    private RawKafkaConnection(TcpClient client)
    {
        _client = client;
        _stream = client.GetStream();
    }

    public static async Task<RawKafkaConnection> ConnectAsync(string bootstrap)
    {
        var separator = bootstrap.LastIndexOf(':');
        var client = new TcpClient { NoDelay = true };
        try
        {
            using var timeout = new CancellationTokenSource(DefaultTimeout);
            await client.ConnectAsync(bootstrap[..separator], int.Parse(bootstrap[(separator + 1)..]), timeout.Token);
            return new RawKafkaConnection(client);
        }
        catch
        {
            client.Dispose();
            throw;
        }
    }

    /// <summary>A whole request frame: size, header (at the version the API's version asks for), body.</summary>
    public static byte[] Frame(ApiKey key, short version, int correlationId, IKafkaMessage body, string clientId = "raw-spec")
    {
        var header = new RequestHeader { RequestApiKey = (short)key, RequestApiVersion = version, CorrelationId = correlationId, ClientId = clientId };
        var output = new ArrayBufferWriter<byte>();
        KafkaFrame.WriteRequest(output, header, ApiVersionsTable.RequestHeaderVersion(key, version), body);
        return output.WrittenSpan.ToArray();
    }

    public async Task SendAsync(ReadOnlyMemory<byte> bytes)
    {
        using var timeout = new CancellationTokenSource(DefaultTimeout);
        await _stream.WriteAsync(bytes, timeout.Token);
    }

    public Task SendAsync(ApiKey key, short version, int correlationId, IKafkaMessage body) =>
        SendAsync(Frame(key, version, correlationId, body));

    /// <summary>The next response frame, without its size prefix; throws if the connection closes first.</summary>
    public async Task<byte[]> ReceiveFrameAsync(TimeSpan? timeout = null)
    {
        using var cancel = new CancellationTokenSource(timeout ?? DefaultTimeout);
        var prefix = new byte[4];
        await _stream.ReadExactlyAsync(prefix, cancel.Token);
        var frame = new byte[BinaryPrimitives.ReadInt32BigEndian(prefix)];
        await _stream.ReadExactlyAsync(frame, cancel.Token);
        return frame;
    }

    /// <summary>The next response, decoded with the header version its API and version call for.</summary>
    public async Task<(int CorrelationId, T Response)> ReceiveAsync<T>(ApiKey key, short version, ResponseReader<T> read, TimeSpan? timeout = null)
    {
        var frame = await ReceiveFrameAsync(timeout);
        return Decode(frame, ApiVersionsTable.ResponseHeaderVersion(key, version), version, read);
    }

    public static (int CorrelationId, T Response) Decode<T>(byte[] frame, short headerVersion, short version, ResponseReader<T> read)
    {
        var reader = new KafkaReader(frame);
        var header = ResponseHeader.Read(ref reader, headerVersion);
        var response = read(ref reader, version);
        Assert.Equal(0, reader.Remaining);
        return (header.CorrelationId, response);
    }

    /// <summary>Sends one request and decodes its response.</summary>
    public async Task<T> RoundTripAsync<T>(ApiKey key, short version, IKafkaMessage request, ResponseReader<T> read)
    {
        var correlationId = Random.Shared.Next();
        await SendAsync(key, version, correlationId, request);
        var (answered, response) = await ReceiveAsync(key, version, read);
        Assert.Equal(correlationId, answered);
        return response;
    }

    /// <summary>True once the node closes the connection (reading ends or is reset) within <paramref name="timeout"/>, ignoring any response bytes.</summary>
    public async Task<bool> ClosedByNodeWithinAsync(TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        var buffer = new byte[64 * 1024];
        try
        {
            while (await _stream.ReadAsync(buffer, cancel.Token) > 0)
            {
            }
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
        catch (IOException)
        {
            return true;
        }
    }

    public ValueTask DisposeAsync()
    {
        _client.Dispose();
        return ValueTask.CompletedTask;
    }
}
