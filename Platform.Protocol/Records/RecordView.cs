namespace Platform.Protocol.Records;

/// <summary>
/// A decoded record whose key and value are slices of the batch it was read from, not copies: what a consumer
/// hands out, so a fetched response is copied once (off the socket) however many records it holds. Offset and
/// Timestamp are absolute, as in <see cref="Record"/>; a null Key or Value is a null on the wire (length -1),
/// distinct from an empty one. The slices keep the whole fetched buffer alive while the record is referenced.
/// </summary>
public readonly record struct RecordView(long Offset, long Timestamp, ReadOnlyMemory<byte>? Key, ReadOnlyMemory<byte>? Value, IReadOnlyList<Header> Headers);
