using System.Buffers;

namespace Platform.Protocol.Wire;

/// <summary>
/// A buffer writer that keeps only the count: writing a message through it gives the frame's size prefix before
/// the message is written for real. Record parts are counted without being copied (see <see cref="KafkaWriter.WriteRaw"/>).
/// </summary>
internal sealed class SizeCounter : IBufferWriter<byte>
{
    private byte[] _scratch = new byte[256];

    public long Count { get; private set; }

    public void Advance(int count) => Count += count;

    public Memory<byte> GetMemory(int sizeHint = 0) => Scratch(sizeHint);

    public Span<byte> GetSpan(int sizeHint = 0) => Scratch(sizeHint);

    private byte[] Scratch(int sizeHint)
    {
        if (sizeHint > _scratch.Length) _scratch = new byte[Math.Max(sizeHint, _scratch.Length * 2)];
        return _scratch;
    }
}
