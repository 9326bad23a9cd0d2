using System.Buffers;
using System.Buffers.Binary;
using Snappier;

namespace Platform.Protocol.Records;

/// <summary>
/// Snappy as Kafka clients write it. Kafka's Java client uses xerial snappy-java's stream framing: the magic
/// <c>\x82SNAPPY\0</c>, a version and a compatible-version int, then chunks, each a 4-byte big-endian length
/// and one raw snappy block. librdkafka writes one raw snappy block and reads both, recognising the framing by
/// its magic. So decoding accepts both, and encoding writes the framing, which every Kafka client reads.
/// </summary>
internal static class XerialSnappy
{
    private static ReadOnlySpan<byte> Magic => [0x82, (byte)'S', (byte)'N', (byte)'A', (byte)'P', (byte)'P', (byte)'Y', 0];

    /// <summary>Magic, version and compatible version.</summary>
    internal const int HeaderSize = 16;

    /// <summary>snappy-java's default: uncompressed bytes per chunk.</summary>
    internal const int BlockSize = 32 * 1024;

    private const int FramingVersion = 1;
    private const int CompatibleVersion = 1;

    /// <summary>True if <paramref name="data"/> starts with snappy-java's stream header.</summary>
    internal static bool IsFramed(ReadOnlySpan<byte> data) => data.Length >= HeaderSize && data.StartsWith(Magic);

    /// <summary>
    /// Writes <paramref name="input"/> in snappy-java's framing. An empty input still gets one (empty) chunk:
    /// librdkafka takes a bare header for raw snappy and would fail on it.
    /// </summary>
    internal static byte[] Encode(ReadOnlySpan<byte> input)
    {
        var chunks = Math.Max(1, (input.Length + BlockSize - 1) / BlockSize);
        var bound = HeaderSize + (long)chunks * (4 + Snappy.GetMaxCompressedLength(Math.Min(Math.Max(input.Length, 1), BlockSize)));
        var buffer = ArrayPool<byte>.Shared.Rent((int)Math.Min(bound, int.MaxValue));
        try
        {
            var span = buffer.AsSpan();
            Magic.CopyTo(span);
            BinaryPrimitives.WriteInt32BigEndian(span[8..], FramingVersion);
            BinaryPrimitives.WriteInt32BigEndian(span[12..], CompatibleVersion);
            var position = HeaderSize;
            var offset = 0;
            do
            {
                var chunk = input.Slice(offset, Math.Min(BlockSize, input.Length - offset));
                var written = Snappy.Compress(chunk, span[(position + 4)..]);
                BinaryPrimitives.WriteInt32BigEndian(span[position..], written);
                position += 4 + written;
                offset += chunk.Length;
            } while (offset < input.Length);
            return span[..position].ToArray();
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>
    /// Decompresses framed or raw snappy into a pooled buffer (the caller returns it). Every block states its
    /// uncompressed length first, so more than <paramref name="maxSize"/> bytes are refused before they are
    /// allocated: the answer is then null. Data snappy cannot read throws.
    /// </summary>
    internal static byte[]? Decode(ReadOnlySpan<byte> data, int maxSize, out int length)
    {
        length = 0;
        if (!IsFramed(data))
        {
            var size = Snappy.GetUncompressedLength(data);
            if (size < 0 || size > maxSize) return null;
            var raw = ArrayPool<byte>.Shared.Rent(Math.Max(1, size));
            try
            {
                length = Snappy.Decompress(data, raw);
                return raw;
            }
            catch
            {
                ArrayPool<byte>.Shared.Return(raw);
                throw;
            }
        }

        var output = ArrayPool<byte>.Shared.Rent(Math.Clamp(data.Length * 4, 4096, maxSize));
        try
        {
            var position = 0;
            while (position < data.Length)
            {
                // snappy-java reads concatenated streams: a header may follow the chunks of the previous one.
                if (IsFramed(data[position..]))
                {
                    position += HeaderSize;
                    continue;
                }
                if (data.Length - position < 4)
                    throw new InvalidDataException($"Snappy chunk length cut off: {data.Length - position} bytes remain");
                var chunkLength = BinaryPrimitives.ReadInt32BigEndian(data[position..]);
                position += 4;
                if (chunkLength < 0 || chunkLength > data.Length - position)
                    throw new InvalidDataException($"Snappy chunk claims {chunkLength} bytes but {data.Length - position} remain");
                var chunk = data.Slice(position, chunkLength);
                position += chunkLength;
                var size = Snappy.GetUncompressedLength(chunk);
                if (size < 0 || (long)length + size > maxSize)
                {
                    ArrayPool<byte>.Shared.Return(output);
                    length = 0;
                    return null;
                }
                if (output.Length - length < size)
                {
                    var larger = ArrayPool<byte>.Shared.Rent((int)Math.Min(Math.Max(2L * output.Length, (long)length + size), maxSize));
                    output.AsSpan(0, length).CopyTo(larger);
                    ArrayPool<byte>.Shared.Return(output);
                    output = larger;
                }
                length += Snappy.Decompress(chunk, output.AsSpan(length));
            }
            return output;
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(output);
            throw;
        }
    }
}
