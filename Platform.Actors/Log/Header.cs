namespace Platform.Actors.Log;

/// <summary>A record header, as in Kafka: a UTF-8 key and an optional byte value.</summary>
public readonly record struct Header(string Key, byte[]? Value);
