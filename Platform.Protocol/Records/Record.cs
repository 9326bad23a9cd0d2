namespace Platform.Protocol.Records;

/// <summary>
/// One decoded record. Offset is absolute (the batch's base offset plus the record's offset delta) and
/// Timestamp is in ms since the Unix epoch (the batch's first timestamp plus the record's delta, or the
/// batch's max timestamp when the batch says LogAppendTime). Null Key/Value are distinct from empty ones.
/// Equality compares the arrays by reference, so compare contents when testing.
/// </summary>
public sealed record Record(long Offset, long Timestamp, byte[]? Key, byte[]? Value, IReadOnlyList<Header> Headers);
