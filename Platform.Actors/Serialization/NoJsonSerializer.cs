using Akka.Actor;
using Akka.Configuration;
using Akka.Serialization;

namespace Platform.Actors.Serialization;

/// <summary>
/// Takes the place of Akka's default JSON serializer (bound to System.Object). Any message that would
/// silently fall back to JSON, slow and unversioned, fails loudly instead, in specs and in production.
/// </summary>
internal sealed class NoJsonSerializer : Serializer
{
    public NoJsonSerializer(ExtendedActorSystem system) : base(system)
    {
    }

    /// <summary>Akka passes the JSON serializer its <c>serialization-settings.json</c> section.</summary>
    public NoJsonSerializer(ExtendedActorSystem system, Config settings) : base(system)
    {
    }

    public override bool IncludeManifest => true;

    public override byte[] ToBinary(object obj) =>
        throw new InvalidOperationException(
            $"{obj.GetType()} has no serializer binding and would fall back to JSON; bind it to a binary serializer (IPlatformMessage)");

    public override object FromBinary(byte[] bytes, Type? type) =>
        throw new InvalidOperationException($"Refusing to read {type} as JSON; Platform never writes JSON messages");
}
