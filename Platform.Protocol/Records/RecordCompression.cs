using System.Buffers;
using System.IO.Compression;
using K4os.Compression.LZ4.Streams;
using ZstdSharp;

namespace Platform.Protocol.Records;

/// <summary>
/// Kafka's codecs for a batch's records section, in the framings Kafka clients write and read: gzip (zlib's
/// default level), snappy in snappy-java's framing (raw snappy read too, see <see cref="XerialSnappy"/>), the
/// LZ4 frame format with independent 64 KiB blocks and no checksums but the header's (Kafka's Java reader
/// refuses linked blocks), and standard zstd frames at level 3 (Kafka's default), read with or without a
/// content size. Decompression never produces more than <see cref="RecordBatch.MaxDecompressedSize"/>
/// bytes: a bomb ends in an <see cref="InvalidDataException"/>, as does anything a codec cannot read.
/// </summary>
internal static class RecordCompression
{
    /// <summary>Kafka's default compression.zstd.level.</summary>
    internal const int ZstdLevel = 3;

    private static readonly LZ4EncoderSettings Lz4Settings = new()
    {
        ChainBlocks = false,
        BlockSize = 64 * 1024,
        BlockChecksum = false,
        ContentChecksum = false,
    };

    /// <summary>Compresses a records section; <see cref="CompressionType.None"/> is not a codec here.</summary>
    internal static ReadOnlyMemory<byte> Compress(CompressionType compression, ReadOnlySpan<byte> records)
    {
        switch (compression)
        {
            case CompressionType.Gzip:
            {
                var output = new MemoryStream(records.Length / 2 + 64);
                using (var gzip = new GZipStream(output, CompressionLevel.Optimal, leaveOpen: true)) gzip.Write(records);
                return output.GetBuffer().AsMemory(0, (int)output.Length);
            }
            case CompressionType.Snappy:
                return XerialSnappy.Encode(records);
            case CompressionType.Lz4:
            {
                var output = new MemoryStream(records.Length / 2 + 64);
                using (var lz4 = LZ4Stream.Encode(output, Lz4Settings, leaveOpen: true)) lz4.Write(records);
                return output.GetBuffer().AsMemory(0, (int)output.Length);
            }
            case CompressionType.Zstd:
            {
                using var zstd = new Compressor(ZstdLevel);
                return zstd.Wrap(records).ToArray();
            }
            default:
                throw new NotSupportedException($"compression codec {Name(compression)} is not supported");
        }
    }

    /// <summary>
    /// Decompresses a records section into a pooled buffer (the caller returns it to <see cref="ArrayPool{T}.Shared"/>).
    /// Throws <see cref="InvalidDataException"/> for data the codec cannot read or that expands beyond
    /// <see cref="RecordBatch.MaxDecompressedSize"/>, <see cref="NotSupportedException"/> for an unknown codec id.
    /// </summary>
    internal static byte[] Decompress(CompressionType compression, ReadOnlySpan<byte> compressed, out int length)
    {
        if (compression is not (CompressionType.Gzip or CompressionType.Snappy or CompressionType.Lz4 or CompressionType.Zstd))
            throw new NotSupportedException($"compression codec {Name(compression)} is not supported");
        byte[]? output;
        try
        {
            if (compression == CompressionType.Snappy)
            {
                output = XerialSnappy.Decode(compressed, RecordBatch.MaxDecompressedSize, out length);
            }
            else
            {
                var input = ArrayPool<byte>.Shared.Rent(Math.Max(1, compressed.Length));
                try
                {
                    compressed.CopyTo(input);
                    using var source = new MemoryStream(input, 0, compressed.Length, writable: false);
                    using Stream decoder = compression switch
                    {
                        CompressionType.Gzip => new GZipStream(source, CompressionMode.Decompress),
                        CompressionType.Lz4 => LZ4Stream.Decode(source, leaveOpen: true),
                        _ => new DecompressionStream(source, leaveOpen: true),
                    };
                    output = ReadBounded(decoder, compressed.Length, out length);
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(input);
                }
            }
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Each library has its own exceptions for bad input (ZstdException, ArgumentException, ...): one kind out.
            throw new InvalidDataException($"{Capitalised(compression)}-compressed records cannot be decompressed: {e.Message}", e);
        }
        return output ?? throw new InvalidDataException(
            $"{Capitalised(compression)}-compressed records expand beyond {RecordBatch.MaxDecompressedSize} bytes");
    }

    /// <summary>Reads a decompressing stream to its end into a pooled buffer, growing it up to the limit; null past it.</summary>
    private static byte[]? ReadBounded(Stream decoder, int compressedLength, out int length)
    {
        var max = RecordBatch.MaxDecompressedSize;
        var output = ArrayPool<byte>.Shared.Rent(Math.Clamp(compressedLength * 4, 4096, max));
        length = 0;
        try
        {
            while (true)
            {
                var capacity = Math.Min(output.Length, max);
                if (length == capacity)
                {
                    if (capacity == max)
                    {
                        if (decoder.ReadByte() < 0) break;
                        ArrayPool<byte>.Shared.Return(output);
                        length = 0;
                        return null;
                    }
                    var larger = ArrayPool<byte>.Shared.Rent((int)Math.Min(2L * output.Length, max));
                    output.AsSpan(0, length).CopyTo(larger);
                    ArrayPool<byte>.Shared.Return(output);
                    output = larger;
                    continue;
                }
                var read = decoder.Read(output, length, capacity - length);
                if (read == 0) break;
                length += read;
            }
            return output;
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(output);
            throw;
        }
    }

    internal static string Name(CompressionType compression) =>
        Enum.IsDefined(compression) ? compression.ToString().ToLowerInvariant() : $"id {(int)compression}";

    private static string Capitalised(CompressionType compression) => compression switch
    {
        CompressionType.Lz4 => "LZ4",
        _ => compression.ToString(),
    };
}
