using System.Buffers;

namespace Platform.Client.Kafka;

/// <summary>
/// A request frame written into an array rented from the shared pool: a produce request carries up to a megabyte of
/// records, and a fresh array for each (on the large object heap) made the client's garbage collector run its full
/// collections dozens of times a benchmark (issue #16). <see cref="Platform.Protocol.Wire.KafkaFrame.WriteRequest"/>
/// asks for the whole frame at once, so it is rented once; the connection's write loop returns it when the bytes
/// are copied towards the socket. One writer, one frame; not thread-safe.
/// </summary>
internal sealed class RentedFrame : IBufferWriter<byte>
{
    private byte[] _array = [];
    private int _written;

    /// <summary>The frame's bytes; valid until <see cref="Return"/>.</summary>
    public ReadOnlyMemory<byte> Written => _array.AsMemory(0, _written);

    public void Advance(int count) => _written += count;

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        Reserve(sizeHint);
        return _array.AsMemory(_written);
    }

    public Span<byte> GetSpan(int sizeHint = 0)
    {
        Reserve(sizeHint);
        return _array.AsSpan(_written);
    }

    /// <summary>Gives the array back to the pool; the frame is empty afterwards.</summary>
    public void Return()
    {
        if (_array.Length > 0) ArrayPool<byte>.Shared.Return(_array);
        _array = [];
        _written = 0;
    }

    private void Reserve(int sizeHint)
    {
        var needed = _written + Math.Max(sizeHint, 1);
        if (needed <= _array.Length) return;
        var bigger = ArrayPool<byte>.Shared.Rent(Math.Max(needed, _array.Length * 2));
        _array.AsSpan(0, _written).CopyTo(bigger);
        if (_array.Length > 0) ArrayPool<byte>.Shared.Return(_array);
        _array = bigger;
    }
}
