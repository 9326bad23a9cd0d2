using System.Runtime.Serialization;
using Akka.Actor;

namespace Platform.Actors.Serialization;

/// <summary>Reads one message from its payload; the version byte before it is already checked.</summary>
internal delegate T WireRead<out T>(ref WireReader reader);

/// <summary>
/// The table <see cref="PlatformSerializer"/> dispatches on: for each message type its manifest and its binary
/// format. Each concern adds its own formats next to its protocol (<c>Topics/TopicFormats.cs</c>,
/// <c>Groups/GroupFormats.cs</c>, ...). A type or a manifest added twice fails when the table is built.
/// </summary>
internal sealed class MessageFormats
{
    /// <summary>The byte every versioned payload starts with, so a node refuses what it cannot read instead of misreading it.</summary>
    private const byte Version1 = 1;

    private sealed record Format(Type Type, string Manifest, Func<object, byte[]> ToBinary, Func<byte[], ExtendedActorSystem, object> FromBinary);

    private readonly Dictionary<Type, Format> _byType = [];
    private readonly Dictionary<string, Format> _byManifest = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _reserved = new(StringComparer.Ordinal);

    public static MessageFormats Of(params ReadOnlySpan<Action<MessageFormats>> concerns)
    {
        var formats = new MessageFormats();
        foreach (var addFormats in concerns) addFormats(formats);
        return formats;
    }

    public IEnumerable<Type> Types => _byType.Keys;

    /// <summary>Manifests of removed types, each with the name of the type it was written for.</summary>
    public IReadOnlyDictionary<string, string> Reserved => _reserved;

    /// <summary>
    /// Retires the manifest of a removed type for good: old journals or nodes may still hold its payloads, so
    /// a new type under it would misread them. Reading one fails with an error that names the removed type.
    /// </summary>
    public void Reserve(string manifest, string removedType)
    {
        if (_byManifest.ContainsKey(manifest) || !_reserved.TryAdd(manifest, removedType))
            throw new InvalidOperationException($"Manifest '{manifest}' of the removed {removedType} is in use");
    }

    /// <summary>A payload of the version byte followed by what <paramref name="write"/> writes.</summary>
    public void Add<T>(string manifest, Action<WireWriter, T> write, WireRead<T> read) where T : class, IPlatformMessage =>
        Add(new Format(typeof(T), manifest, message =>
        {
            var writer = new WireWriter();
            writer.Byte(Version1);
            write(writer, (T)message);
            return writer.ToArray();
        }, (bytes, system) =>
        {
            var reader = new WireReader(bytes, system);
            reader.ExpectVersion(Version1, manifest);
            return read(ref reader);
        }));

    /// <summary>A payload that carries its own version, stored as it is.</summary>
    public void AddUnversioned<T>(string manifest, Func<T, byte[]> toBinary, Func<byte[], T> fromBinary) where T : class, IPlatformMessage =>
        Add(new Format(typeof(T), manifest, message => toBinary((T)message), (bytes, _) => fromBinary(bytes)));

    private void Add(Format format)
    {
        if (!_byType.TryAdd(format.Type, format))
            throw new InvalidOperationException($"{format.Type} has two formats");
        if (!_byManifest.TryAdd(format.Manifest, format))
            throw new InvalidOperationException($"Manifest '{format.Manifest}' is used by {_byManifest[format.Manifest].Type} and {format.Type}");
        if (_reserved.TryGetValue(format.Manifest, out var removed))
            throw new InvalidOperationException($"Manifest '{format.Manifest}' is reserved (it was {removed}'s); {format.Type} needs another");
    }

    public string Manifest(object message) => For(message).Manifest;

    public byte[] ToBinary(object message) => For(message).ToBinary(message);

    public object FromBinary(byte[] bytes, string manifest, ExtendedActorSystem system) =>
        _byManifest.TryGetValue(manifest, out var format) ? format.FromBinary(bytes, system)
        : _reserved.TryGetValue(manifest, out var removed)
            ? throw new SerializationException($"Manifest '{manifest}' was {removed}'s, a type this version no longer has")
            : throw new SerializationException($"Unknown manifest '{manifest}' for {nameof(PlatformSerializer)}");

    private Format For(object message) =>
        _byType.TryGetValue(message.GetType(), out var format)
            ? format
            : throw new ArgumentException($"{nameof(PlatformSerializer)} has no format for {message.GetType()}");
}
