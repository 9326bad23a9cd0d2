using System.Buffers.Binary;
using System.Text;
using Akka.Actor;

namespace Platform.Actors.Serialization;

/// <summary>
/// Reader for <see cref="WireWriter"/> output. Every length is checked against what is left, so a
/// malformed payload fails with <see cref="InvalidDataException"/> instead of a huge allocation.
/// </summary>
internal ref struct WireReader
{
    private readonly ReadOnlySpan<byte> _data;
    private readonly ExtendedActorSystem? _system;
    private int _position;

    /// <param name="system">Resolves the actor references in the payload; only needed by formats that carry one.</param>
    public WireReader(ReadOnlySpan<byte> data, ExtendedActorSystem? system = null)
    {
        _data = data;
        _system = system;
        _position = 0;
    }

    public int Remaining => _data.Length - _position;

    private ReadOnlySpan<byte> Take(int count)
    {
        if (count < 0 || count > Remaining)
            throw new InvalidDataException($"Payload truncated: needed {count} bytes, {Remaining} left");
        var slice = _data.Slice(_position, count);
        _position += count;
        return slice;
    }

    public byte Byte() => Take(1)[0];

    public bool Bool() => Byte() != 0;

    public short Int16() => BinaryPrimitives.ReadInt16LittleEndian(Take(2));

    public int Int32() => BinaryPrimitives.ReadInt32LittleEndian(Take(4));

    public long Int64() => BinaryPrimitives.ReadInt64LittleEndian(Take(8));

    public Guid Guid() => new(Take(16));

    public byte[] Bytes() => Take(Int32()).ToArray();

    public byte[]? NullableBytes()
    {
        var length = Int32();
        return length == -1 ? null : Take(length).ToArray();
    }

    public string String() => Encoding.UTF8.GetString(Take(Int32()));

    public string? NullableString()
    {
        var length = Int32();
        return length == -1 ? null : Encoding.UTF8.GetString(Take(length));
    }

    /// <summary>An actor reference written by <see cref="WireWriter.NullableActorRef"/>, resolved by the ActorSystem.</summary>
    public IActorRef? NullableActorRef()
    {
        var path = NullableString();
        if (path is null) return null;
        if (_system is null) throw new InvalidOperationException("Reading an actor reference needs the ActorSystem that resolves it");
        return _system.Provider.ResolveActorRef(path);
    }

    /// <summary>Reads a count and checks it against the bytes left, given each item takes at least one.</summary>
    public int Count()
    {
        var count = Int32();
        if (count < 0 || count > Remaining)
            throw new InvalidDataException($"Invalid element count {count}");
        return count;
    }

    public void ExpectVersion(byte supported, string manifest)
    {
        var version = Byte();
        if (version != supported)
            throw new InvalidDataException($"Unsupported version {version} of message '{manifest}' (this node reads {supported})");
    }
}
