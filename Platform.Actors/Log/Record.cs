namespace Platform.Actors.Log;

/// <summary>A decoded record with its absolute offset and timestamp (ms since the Unix epoch).</summary>
public sealed record Record(long Offset, long Timestamp, byte[]? Key, byte[]? Value, IReadOnlyList<Header> Headers);
