namespace Platform.Protocol.Records;

/// <summary>
/// A record header, as in Kafka: a UTF-8 key (never null on the wire) and an optional byte value, where
/// null (length -1) and empty are different. Being a record struct over an array, equality compares the
/// Value by reference, not by content.
/// </summary>
public readonly record struct Header(string Key, byte[]? Value);
