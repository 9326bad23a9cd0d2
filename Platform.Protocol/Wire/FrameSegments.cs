using System.Buffers;
using System.Runtime.InteropServices;

namespace Platform.Protocol.Wire;

/// <summary>
/// Frames written as a list of byte ranges to send one after another: the fields go into pooled chunks, and the record
/// sets' batches are referenced where they lie, never copied (<see cref="KafkaWriter.WriteRecords"/>). Why: a Fetch
/// response is mostly stored batches, and copying them into a pipe's segments before the socket copied them again was
/// 6 % of the node's CPU in a 1 KiB consume (issue #16). The batches must stay unchanged until the ranges are sent,
/// which stored batches do (they are never written to once stored). <see cref="Clear"/> returns the chunks to the pool.
/// </summary>
public sealed class FrameSegments : IBufferWriter<byte>
{
    private const int ChunkSize = 16 * 1024;

    /// <summary>Parts shorter than this are copied: a range of its own costs a write of its own.</summary>
    private const int ReferenceAtLeast = 4 * 1024;

    private readonly List<ReadOnlyMemory<byte>> _segments = [];
    private readonly List<byte[]> _rented = [];
    private byte[]? _chunk;
    private int _sealedUpTo;
    private int _used;

    /// <summary>Bytes written so far, referenced parts included.</summary>
    public long Length { get; private set; }

    /// <summary>The ranges to send, in order (the chunk being written is sealed first).</summary>
    public IReadOnlyList<ReadOnlyMemory<byte>> Segments
    {
        get
        {
            Seal();
            return _segments;
        }
    }

    public void Advance(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (_chunk is null || _used + count > _chunk.Length) throw new InvalidOperationException("Advanced past the memory handed out");
        _used += count;
        Length += count;
    }

    public Memory<byte> GetMemory(int sizeHint = 0) => Reserve(sizeHint).AsMemory(_used);

    public Span<byte> GetSpan(int sizeHint = 0) => Reserve(sizeHint).AsSpan(_used);

    /// <summary>
    /// Adds <paramref name="part"/> by reference when it is an array's range of at least 4 KiB; false (nothing added) for
    /// the caller to copy it otherwise. The caller keeps a referenced part unchanged until the segments are sent.
    /// </summary>
    public bool TryReference(ReadOnlyMemory<byte> part)
    {
        if (part.Length < ReferenceAtLeast || !MemoryMarshal.TryGetArray(part, out _)) return false;
        Seal();
        _segments.Add(part);
        Length += part.Length;
        return true;
    }

    /// <summary>Forgets what was written and returns the chunks to the pool.</summary>
    public void Clear()
    {
        foreach (var chunk in _rented) ArrayPool<byte>.Shared.Return(chunk);
        _rented.Clear();
        _segments.Clear();
        _chunk = null;
        _sealedUpTo = _used = 0;
        Length = 0;
    }

    private byte[] Reserve(int sizeHint)
    {
        var needed = Math.Max(sizeHint, 1);
        if (_chunk is not null && _chunk.Length - _used >= needed) return _chunk;
        Seal();
        _chunk = ArrayPool<byte>.Shared.Rent(Math.Max(needed, ChunkSize));
        _rented.Add(_chunk);
        _sealedUpTo = _used = 0;
        return _chunk;
    }

    /// <summary>Ends the current chunk's range, so that what follows (a referenced part) goes after it.</summary>
    private void Seal()
    {
        if (_chunk is null || _used == _sealedUpTo) return;
        _segments.Add(_chunk.AsMemory(_sealedUpTo, _used - _sealedUpTo));
        _sealedUpTo = _used;
    }
}
