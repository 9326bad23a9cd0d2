using Platform.Actors.Serialization;

namespace Platform.Actors.Health;

/// <summary>
/// The journal event of the readiness check's storage probe: proof that a write reached storage and was
/// acknowledged. It carries only when it was written; the probe deletes older ones, so the journal keeps one per node.
/// </summary>
internal sealed record StorageProbed(long TimestampMs) : IPlatformMessage;
