using System.Buffers;
using System.Buffers.Binary;
using Platform.Protocol.Messages;

namespace Platform.Protocol.Wire;

/// <summary>
/// Kafka's framing: every request and response is a 4-byte big-endian size followed by that many bytes (header,
/// then body). Cutting frames out of a connection's buffer and writing a sized response live here, so the broker
/// and the client frame the same way and the size limit is enforced before a frame is buffered.
/// </summary>
public static class KafkaFrame
{
    /// <summary>
    /// Takes one whole frame (without its size prefix) off the front of <paramref name="buffer"/>; false when the
    /// buffer does not yet hold a whole frame. A size below 0 or above <paramref name="maxSize"/> throws
    /// <see cref="KafkaProtocolException"/>: the connection cannot be resynchronised and must close.
    /// </summary>
    public static bool TryReadFrame(ref ReadOnlySequence<byte> buffer, int maxSize, out ReadOnlySequence<byte> frame)
    {
        frame = default;
        if (buffer.Length < 4) return false;
        Span<byte> prefix = stackalloc byte[4];
        buffer.Slice(0, 4).CopyTo(prefix);
        var size = BinaryPrimitives.ReadInt32BigEndian(prefix);
        if (size < 0) throw new KafkaProtocolException($"Negative frame size {size}");
        if (size > maxSize) throw new KafkaProtocolException($"Frame of {size} bytes exceeds the limit of {maxSize}");
        if (buffer.Length - 4 < size) return false;
        frame = buffer.Slice(4, size);
        buffer = buffer.Slice(frame.End);
        return true;
    }

    /// <summary>
    /// Reads a request header without knowing its version in advance: the API key and version come first in every
    /// header version, and they decide it. An API or version the codecs do not know is read as header v1, which
    /// every such request still has (only ClientId follows), so the broker can answer UNSUPPORTED_VERSION to the
    /// right correlation id.
    /// </summary>
    public static RequestHeader ReadRequestHeader(ref KafkaReader reader, out short headerVersion)
    {
        var peek = reader;
        var key = (ApiKey)peek.ReadInt16();
        var version = peek.ReadInt16();
        headerVersion = ApiVersionsTable.IsSupported(key, version) ? ApiVersionsTable.RequestHeaderVersion(key, version) : (short)1;
        return RequestHeader.Read(ref reader, headerVersion);
    }

    /// <summary>Writes a whole response frame: size, response header at <paramref name="headerVersion"/>, body at <paramref name="version"/>.</summary>
    public static void WriteResponse(IBufferWriter<byte> output, int correlationId, short headerVersion, IKafkaMessage body, short version)
    {
        var header = new ResponseHeader { CorrelationId = correlationId };
        WriteFrame(output, body, version, w => header.Write(w, headerVersion));
    }

    /// <summary>
    /// Writes a whole request frame: size, request header at <paramref name="headerVersion"/>, body at the header's API
    /// version. The output is asked for the whole frame at once (a client's buffer then grows once to the frame's size,
    /// not by doubling through a produce request's megabyte of records); responses are not, as a fetch response goes
    /// into a pipe's pooled segments.
    /// </summary>
    public static void WriteRequest(IBufferWriter<byte> output, RequestHeader header, short headerVersion, IKafkaMessage body)
    {
        ArgumentNullException.ThrowIfNull(header);
        WriteFrame(output, body, header.RequestApiVersion, w => header.Write(w, headerVersion), reserve: true);
    }

    // The message is written twice: once to a counter for the size prefix (record parts are counted, not copied),
    // then for real. Cheaper than buffering the frame when the body carries megabytes of fetched batches.
    private static void WriteFrame(IBufferWriter<byte> output, IKafkaMessage body, short version, Action<KafkaWriter> writeHeader, bool reserve = false)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(body);
        var counter = new SizeCounter();
        var counting = new KafkaWriter(counter);
        writeHeader(counting);
        body.Write(counting, version);
        if (counter.Count > int.MaxValue) throw new KafkaProtocolException($"Frame of {counter.Count} bytes does not fit a size prefix");
        if (reserve) output.GetSpan((int)Math.Min(int.MaxValue, counter.Count + 4));
        var writer = new KafkaWriter(output);
        writer.WriteInt32((int)counter.Count);
        writeHeader(writer);
        body.Write(writer, version);
    }
}
