using Akka.Actor;
using Akka.Serialization;
using Platform.Actors.Gateway;
using Platform.Actors.Groups;
using Platform.Actors.Health;
using Platform.Actors.Partitions;
using Platform.Actors.Producers;
using Platform.Actors.Storage;
using Platform.Actors.Topics;

namespace Platform.Actors.Serialization;

/// <summary>
/// The one Akka serializer (id 4200) for every <see cref="IPlatformMessage"/>: network messages, journal events
/// and snapshots. It only dispatches; each concern's formats sit next to its protocol (<see cref="TopicFormats"/>,
/// <see cref="PartitionFormats"/>, <see cref="GroupFormats"/>, <see cref="ProducerIdFormats"/>, <see cref="GatewayFormats"/>).
/// </summary>
/// <remarks>
/// One registered serializer rather than one per concern: every event in the journals and every payload from a
/// node of the previous version carries id 4200, and such a node cannot read any other id. Separate serializers
/// would still have to read (and, for a rolling upgrade, write) every manifest under 4200, so they would split
/// only the registration, not the formats. A new concern adds its formats to <see cref="Formats"/>.
/// </remarks>
internal sealed class PlatformSerializer(ExtendedActorSystem actorSystem) : SerializerWithStringManifest(actorSystem)
{
    private static readonly MessageFormats Formats = MessageFormats.Of(
        TopicFormats.AddTo,
        PartitionFormats.AddTo,
        GroupFormats.AddTo,
        ProducerIdFormats.AddTo,
        GatewayFormats.AddTo,
        HealthFormats.AddTo,
        StorageFormats.AddTo);

    /// <summary>Every message type this serializer handles; the specs round-trip each one.</summary>
    public static IEnumerable<Type> SupportedTypes => Formats.Types;

    /// <summary>Manifests of removed types (manifest to the removed type's name): never reused, never readable.</summary>
    public static IReadOnlyDictionary<string, string> ReservedManifests => Formats.Reserved;

    public override string Manifest(object o) => Formats.Manifest(o);

    public override byte[] ToBinary(object obj) => Formats.ToBinary(obj);

    public override object FromBinary(byte[] bytes, string manifest) => Formats.FromBinary(bytes, manifest, system);
}
