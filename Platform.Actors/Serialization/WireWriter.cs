using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using Akka.Actor;

namespace Platform.Actors.Serialization;

/// <summary>
/// Little-endian binary writer for our message formats. Lengths are written before variable-size data so
/// that a reader can reject a truncated or hostile payload before allocating.
/// </summary>
internal sealed class WireWriter
{
    private readonly ArrayBufferWriter<byte> _buffer;

    public WireWriter(int initialCapacity = 256) => _buffer = new ArrayBufferWriter<byte>(initialCapacity);

    public void Byte(byte value)
    {
        _buffer.GetSpan(1)[0] = value;
        _buffer.Advance(1);
    }

    public void Bool(bool value) => Byte(value ? (byte)1 : (byte)0);

    public void Int16(short value)
    {
        BinaryPrimitives.WriteInt16LittleEndian(_buffer.GetSpan(2), value);
        _buffer.Advance(2);
    }

    public void Int32(int value)
    {
        BinaryPrimitives.WriteInt32LittleEndian(_buffer.GetSpan(4), value);
        _buffer.Advance(4);
    }

    public void Int64(long value)
    {
        BinaryPrimitives.WriteInt64LittleEndian(_buffer.GetSpan(8), value);
        _buffer.Advance(8);
    }

    public void Guid(Guid value)
    {
        value.TryWriteBytes(_buffer.GetSpan(16));
        _buffer.Advance(16);
    }

    /// <summary>Length-prefixed bytes; -1 encodes null.</summary>
    public void Bytes(ReadOnlySpan<byte> value)
    {
        Int32(value.Length);
        value.CopyTo(_buffer.GetSpan(value.Length));
        _buffer.Advance(value.Length);
    }

    public void NullableBytes(byte[]? value)
    {
        if (value is null) Int32(-1);
        else Bytes(value);
    }

    public void String(string value)
    {
        var count = Encoding.UTF8.GetByteCount(value);
        Int32(count);
        Encoding.UTF8.GetBytes(value, _buffer.GetSpan(count));
        _buffer.Advance(count);
    }

    public void NullableString(string? value)
    {
        if (value is null) Int32(-1);
        else String(value);
    }

    /// <summary>The Kafka error code and message that every result carries.</summary>
    public void Error(ErrorCode error, string? message)
    {
        Int16((short)error);
        NullableString(message);
    }

    /// <summary>An actor reference as its serialized path (with the sending node's address); null for none.</summary>
    public void NullableActorRef(IActorRef? actor) =>
        NullableString(actor is null ? null : Akka.Serialization.Serialization.SerializedActorPath(actor));

    public void List<T>(IReadOnlyCollection<T> items, Action<WireWriter, T> write)
    {
        Int32(items.Count);
        foreach (var item in items) write(this, item);
    }

    public byte[] ToArray() => _buffer.WrittenSpan.ToArray();
}
