namespace Platform.Actors.Serialization;

/// <summary>
/// Marker for every message that crosses the network or goes into the journal. The HOCON binding of this
/// interface to <see cref="PlatformSerializer"/> is what keeps such messages away from Akka's default
/// JSON serializer; a spec enumerates the implementations and round-trips each.
/// </summary>
internal interface IPlatformMessage
{
}
