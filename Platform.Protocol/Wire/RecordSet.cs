namespace Platform.Protocol.Wire;

/// <summary>
/// The value of a <c>records</c> field: record batches as one or more byte ranges. Reading gives one part, a
/// copy of the frame's bytes, so the set outlives the receive buffer; writing emits the length prefix and then
/// every part in order, so a broker can answer a fetch with several stored batches without concatenating them.
/// </summary>
public sealed class RecordSet
{
    private static readonly RecordSet EmptySet = new([], 0);

    private RecordSet(IReadOnlyList<ReadOnlyMemory<byte>> parts, int length)
    {
        Parts = parts;
        Length = length;
    }

    /// <summary>A set with no bytes: a fetch partition that has nothing new.</summary>
    public static RecordSet Empty => EmptySet;

    /// <summary>The byte ranges, written back to back.</summary>
    public IReadOnlyList<ReadOnlyMemory<byte>> Parts { get; }

    /// <summary>The total size of the parts: the length prefix written before them.</summary>
    public int Length { get; }

    /// <summary>A set of whole stored batches, sent back to back without being copied together.</summary>
    public static RecordSet Of(IReadOnlyList<byte[]> batches)
    {
        ArgumentNullException.ThrowIfNull(batches);
        var parts = new ReadOnlyMemory<byte>[batches.Count];
        long length = 0;
        for (var i = 0; i < parts.Length; i++)
        {
            parts[i] = batches[i];
            length += batches[i].Length;
        }
        return new RecordSet(parts, checked((int)length));
    }

    /// <summary>A set of one contiguous range of batches.</summary>
    public static RecordSet Of(ReadOnlyMemory<byte> bytes) => new([bytes], bytes.Length);

    /// <summary>The bytes as one array, for callers that decode the batches: the single part's own array when it is a whole one, else a copy.</summary>
    public byte[] ToArray()
    {
        if (Parts.Count == 1 && System.Runtime.InteropServices.MemoryMarshal.TryGetArray(Parts[0], out var segment) &&
            segment.Offset == 0 && segment.Count == segment.Array!.Length)
        {
            return segment.Array;
        }
        var result = new byte[Length];
        var position = 0;
        foreach (var part in Parts)
        {
            part.Span.CopyTo(result.AsSpan(position));
            position += part.Length;
        }
        return result;
    }
}
