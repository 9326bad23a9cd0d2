using System.Buffers;
using System.Buffers.Binary;
using System.Net.Sockets;
using Platform.Actors.Kafka;
using Platform.Protocol.Messages;
using Platform.Protocol.Wire;

namespace Platform.Specs.Kafka;

/// <summary>
/// One TCP connection speaking Kafka's wire protocol through Platform.Protocol's generated codecs: for specs
/// that need an exact request (a wrong generation, an unknown member) and the exact error code back, which
/// a full client would retry or hide.
/// </summary>
public sealed class RawKafkaClient : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);

    private readonly TcpClient _tcp;
    private readonly NetworkStream _stream;
    private int _correlationId;

    private RawKafkaClient(TcpClient tcp)
    {
        _tcp = tcp;
        _stream = tcp.GetStream();
    }

    public static async Task<RawKafkaClient> ConnectAsync(string bootstrap)
    {
        var colon = bootstrap.LastIndexOf(':');
        var tcp = new TcpClient { NoDelay = true };
        await tcp.ConnectAsync(bootstrap[..colon], int.Parse(bootstrap[(colon + 1)..]));
        return new RawKafkaClient(tcp);
    }

    /// <summary>Sends one request at <paramref name="version"/> and reads its response.</summary>
    internal async Task<TResponse> SendAsync<TResponse>(ApiKey key, short version, IKafkaMessage request, Func<short, short> requestHeaderVersion,
        Func<short, short> responseHeaderVersion, RequestReader<TResponse> read)
    {
        using var cancel = new CancellationTokenSource(Timeout);
        var correlationId = ++_correlationId;
        var output = new ArrayBufferWriter<byte>();
        var header = new RequestHeader { RequestApiKey = (short)key, RequestApiVersion = version, CorrelationId = correlationId, ClientId = "raw-spec" };
        KafkaFrame.WriteRequest(output, header, requestHeaderVersion(version), request);
        await _stream.WriteAsync(output.WrittenMemory, cancel.Token);

        var prefix = new byte[4];
        await _stream.ReadExactlyAsync(prefix, cancel.Token);
        var frame = new byte[BinaryPrimitives.ReadInt32BigEndian(prefix)];
        await _stream.ReadExactlyAsync(frame, cancel.Token);
        return Decode(frame, correlationId, responseHeaderVersion(version), version, read);
    }

    private static TResponse Decode<TResponse>(byte[] frame, int correlationId, short headerVersion, short version, RequestReader<TResponse> read)
    {
        var reader = new KafkaReader(frame);
        var header = ResponseHeader.Read(ref reader, headerVersion);
        Assert.Equal(correlationId, header.CorrelationId);
        return read(ref reader, version);
    }

    /// <summary>Closes the socket without a word to the broker, as a killed process's operating system does.</summary>
    public void Dispose()
    {
        _stream.Dispose();
        _tcp.Dispose();
    }
}
