using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace Platform.Protocol.Records;

/// <summary>
/// Reading Kafka's RecordBatch v2 (magic 2), the unit a partition stores as it is: header fields read
/// straight from the span for the broker's hot path (no decoding), validation before anything is
/// stored, and full decoding for consumers. Multi-byte fields are big-endian, as on Kafka's wire.
/// The header accessors assume at least <see cref="HeaderSize"/> bytes (call <see cref="Validate"/>
/// first); <see cref="Decode(ReadOnlySpan{byte}, List{Record})"/> treats every length as hostile: a
/// malformed batch ends in an <see cref="InvalidDataException"/>, never an out-of-range read or a
/// huge allocation.
/// </summary>
public static class RecordBatch
{
    public const int HeaderSize = 61;
    public const byte Magic = 2;

    /// <summary>batchLength counts the bytes after itself: the 8-byte base offset and 4-byte length are outside it.</summary>
    public const int LogOverhead = 12;

    /// <summary>
    /// Decompressed records larger than this are refused, whatever the codec, so a tiny compression bomb
    /// cannot make a consumer allocate gigabytes. Producers cut batches on their uncompressed size (batch.size, 16 KiB by
    /// default) and the broker caps batches at max.message.bytes, so real batches are far below it.
    /// </summary>
    public const int MaxDecompressedSize = 64 * 1024 * 1024;

    // Field offsets of the v2 header.
    private const int BaseOffsetAt = 0;
    private const int BatchLengthAt = 8;
    private const int PartitionLeaderEpochAt = 12;
    private const int MagicAt = 16;
    private const int CrcAt = 17;
    private const int AttributesAt = 21;
    private const int LastOffsetDeltaAt = 23;
    private const int FirstTimestampAt = 27;
    private const int MaxTimestampAt = 35;
    private const int ProducerIdAt = 43;
    private const int ProducerEpochAt = 51;
    private const int BaseSequenceAt = 53;
    private const int RecordCountAt = 57;

    /// <summary>The CRC covers everything from the attributes on; offset, length, leader epoch and magic are outside it.</summary>
    internal const int CrcStart = AttributesAt;

    internal const short CompressionMask = 0x07;
    internal const short LogAppendTimeFlag = 0x08;

    /// <summary>Smallest encoded record: length, attributes, timestamp delta, offset delta, key, value, header count.</summary>
    private const int MinRecordSize = 7;

    public static long BaseOffset(ReadOnlySpan<byte> batch) => BinaryPrimitives.ReadInt64BigEndian(batch[BaseOffsetAt..]);

    /// <summary>The broker assigns offsets by patching this field: it is outside the CRC, so no re-checksum.</summary>
    public static void SetBaseOffset(Span<byte> batch, long baseOffset) => BinaryPrimitives.WriteInt64BigEndian(batch[BaseOffsetAt..], baseOffset);

    /// <summary>Bytes after the length field; a whole batch is <see cref="LogOverhead"/> + this.</summary>
    public static int BatchLength(ReadOnlySpan<byte> batch) => BinaryPrimitives.ReadInt32BigEndian(batch[BatchLengthAt..]);

    public static int PartitionLeaderEpoch(ReadOnlySpan<byte> batch) => BinaryPrimitives.ReadInt32BigEndian(batch[PartitionLeaderEpochAt..]);

    /// <summary>Outside the CRC, like the base offset: the leader stamps it without re-checksumming.</summary>
    public static void SetPartitionLeaderEpoch(Span<byte> batch, int epoch) => BinaryPrimitives.WriteInt32BigEndian(batch[PartitionLeaderEpochAt..], epoch);

    public static short Attributes(ReadOnlySpan<byte> batch) => BinaryPrimitives.ReadInt16BigEndian(batch[AttributesAt..]);

    public static CompressionType Compression(ReadOnlySpan<byte> batch) => (CompressionType)(Attributes(batch) & CompressionMask);

    public static int LastOffsetDelta(ReadOnlySpan<byte> batch) => BinaryPrimitives.ReadInt32BigEndian(batch[LastOffsetDeltaAt..]);

    public static long FirstTimestamp(ReadOnlySpan<byte> batch) => BinaryPrimitives.ReadInt64BigEndian(batch[FirstTimestampAt..]);

    public static long MaxTimestamp(ReadOnlySpan<byte> batch) => BinaryPrimitives.ReadInt64BigEndian(batch[MaxTimestampAt..]);

    public static long ProducerId(ReadOnlySpan<byte> batch) => BinaryPrimitives.ReadInt64BigEndian(batch[ProducerIdAt..]);

    public static short ProducerEpoch(ReadOnlySpan<byte> batch) => BinaryPrimitives.ReadInt16BigEndian(batch[ProducerEpochAt..]);

    public static int BaseSequence(ReadOnlySpan<byte> batch) => BinaryPrimitives.ReadInt32BigEndian(batch[BaseSequenceAt..]);

    public static int RecordCount(ReadOnlySpan<byte> batch) => BinaryPrimitives.ReadInt32BigEndian(batch[RecordCountAt..]);

    /// <summary>
    /// Checks only that <paramref name="batch"/> is exactly one v2 batch (its length field and magic), so that its
    /// header fields can be read; no checksum. For bytes already validated once, where the CRC pass would be the
    /// cost (a broker serving stored batches: the consumer checks the CRC end to end, as Kafka's do).
    /// </summary>
    public static BatchError CheckFraming(ReadOnlySpan<byte> batch)
    {
        if (batch.Length < HeaderSize || (long)BatchLength(batch) + LogOverhead != batch.Length) return BatchError.Truncated;
        return batch[MagicAt] != Magic ? BatchError.UnsupportedMagic : BatchError.None;
    }

    /// <summary>
    /// Checks that <paramref name="batch"/> is exactly one well-formed v2 batch with a matching CRC. It reads
    /// the header and checksums the rest but does not parse records (the broker stores batches as they are);
    /// <see cref="Decode(ReadOnlySpan{byte}, List{Record})"/> checks the records themselves.
    /// </summary>
    public static BatchError Validate(ReadOnlySpan<byte> batch)
    {
        if (CheckFraming(batch) is var framing and not BatchError.None) return framing;
        if (StoredCrc(batch) != Crc32C.Compute(batch[CrcStart..])) return BatchError.CorruptMessage;
        var count = RecordCount(batch);
        if (count < 0 || (count > 0 && LastOffsetDelta(batch) != count - 1)) return BatchError.InvalidRecordCount;
        return BatchError.None;
    }

    /// <summary>
    /// Splits a concatenation of batches (the record set of a Kafka produce request or fetch response) into
    /// (start, length) ranges, appended to <paramref name="into"/>. Only the framing is read: validate each
    /// range before trusting it. Returns false if the data does not end on a batch boundary (it ends inside
    /// a batch, or a length field is impossible); the ranges added before that point are still whole batches.
    /// A fetch response may legitimately end in a partial batch (Kafka cuts at the fetch size); a produce
    /// request may not.
    /// </summary>
    public static bool Split(ReadOnlySpan<byte> data, List<(int Start, int Length)> into)
    {
        var position = 0;
        while (position < data.Length)
        {
            if (data.Length - position < LogOverhead) return false;
            var length = (long)BatchLength(data[position..]) + LogOverhead;
            if (length < HeaderSize || length > data.Length - position) return false;
            into.Add((position, (int)length));
            position += (int)length;
        }
        return true;
    }

    /// <summary>The batch's records; see <see cref="Decode(ReadOnlySpan{byte}, List{Record})"/>.</summary>
    public static IReadOnlyList<Record> Decode(ReadOnlySpan<byte> batch)
    {
        var records = new List<Record>();
        Decode(batch, records);
        return records;
    }

    /// <summary>
    /// Validates <paramref name="batch"/> (exactly one batch), decompresses it if needed and appends its
    /// records to <paramref name="into"/> with absolute offsets and timestamps. A corrupt or malformed batch
    /// (or one whose records cannot be decompressed, or expand beyond <see cref="MaxDecompressedSize"/>)
    /// throws <see cref="InvalidDataException"/>, and <paramref name="into"/> is left as it was. Offsets are
    /// base offset + offset delta without further checks, as Kafka's consumers read them.
    /// </summary>
    public static void Decode(ReadOnlySpan<byte> batch, List<Record> into)
    {
        var (count, context, compression) = Open(batch);
        var start = into.Count;
        try
        {
            if (compression == CompressionType.None)
            {
                ParseRecords(batch[HeaderSize..], count, context, new CopyingSink(into));
                return;
            }
            var buffer = RecordCompression.Decompress(compression, batch[HeaderSize..], out var length);
            try
            {
                ParseRecords(buffer.AsSpan(0, length), count, context, new CopyingSink(into));
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
        catch
        {
            into.RemoveRange(start, into.Count - start);
            throw;
        }
    }

    /// <summary>
    /// As <see cref="Decode(ReadOnlySpan{byte}, List{Record})"/>, but each record's key and value are slices of
    /// <paramref name="batch"/> instead of copies (of one array holding the decompressed records, for a compressed
    /// batch): the consumer's decode path, which then copies nothing per record.
    /// </summary>
    public static void Decode(ReadOnlyMemory<byte> batch, List<RecordView> into)
    {
        var (count, context, compression) = Open(batch.Span);
        var start = into.Count;
        try
        {
            var records = batch[HeaderSize..];
            if (compression != CompressionType.None)
            {
                // The records outlive this call, so they get an array of their own rather than the pooled buffer.
                var buffer = RecordCompression.Decompress(compression, records.Span, out var length);
                try
                {
                    records = buffer.AsSpan(0, length).ToArray();
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                }
            }
            ParseRecords(records.Span, count, context, new ViewSink(into, records));
        }
        catch
        {
            into.RemoveRange(start, into.Count - start);
            throw;
        }
    }

    /// <summary>Validates a batch for decoding (see <see cref="Decode(ReadOnlySpan{byte}, List{Record})"/>): its record count, what its records share, its codec.</summary>
    private static (int Count, Context Context, CompressionType Compression) Open(ReadOnlySpan<byte> batch)
    {
        switch (Validate(batch))
        {
            case BatchError.None:
                break;
            case BatchError.Truncated:
                throw new InvalidDataException(batch.Length < HeaderSize
                    ? $"Record batch truncated: {batch.Length} bytes is shorter than the {HeaderSize}-byte header"
                    : $"Record batch truncated: batchLength {BatchLength(batch)} says {(long)BatchLength(batch) + LogOverhead} bytes but {batch.Length} were given");
            case BatchError.UnsupportedMagic:
                throw new InvalidDataException($"Record batch has magic {batch[MagicAt]}; only magic {Magic} (RecordBatch v2) is supported");
            case BatchError.CorruptMessage:
                throw new InvalidDataException(
                    $"Record batch is corrupt: stored CRC32C 0x{StoredCrc(batch):X8} but its bytes give 0x{Crc32C.Compute(batch[CrcStart..]):X8}");
            case BatchError.InvalidRecordCount:
                throw new InvalidDataException($"Record batch has record count {RecordCount(batch)} but last offset delta {LastOffsetDelta(batch)}");
            case var error:
                throw new InvalidDataException($"Invalid record batch: {error}");
        }
        var attributes = Attributes(batch);
        var context = new Context(
            BaseOffset(batch),
            FirstTimestamp(batch),
            (attributes & LogAppendTimeFlag) != 0 ? MaxTimestamp(batch) : null);
        var compression = (CompressionType)(attributes & CompressionMask);
        if (compression is not (CompressionType.None or CompressionType.Gzip or CompressionType.Snappy or CompressionType.Lz4 or CompressionType.Zstd))
            throw new InvalidDataException($"Record batch has unknown compression codec id {(int)compression}");
        return (RecordCount(batch), context, compression);
    }

    /// <summary>
    /// Gives a batch another idempotent-producer identity (id, epoch, first sequence) and recomputes its CRC:
    /// how a producer re-sequences its unacknowledged batches after a gap it cannot fill.
    /// </summary>
    public static void SetProducer(Span<byte> batch, long producerId, short producerEpoch, int baseSequence)
    {
        BinaryPrimitives.WriteInt64BigEndian(batch[ProducerIdAt..], producerId);
        BinaryPrimitives.WriteInt16BigEndian(batch[ProducerEpochAt..], producerEpoch);
        BinaryPrimitives.WriteInt32BigEndian(batch[BaseSequenceAt..], baseSequence);
        BinaryPrimitives.WriteUInt32BigEndian(batch[CrcAt..], Crc32C.Compute(batch[CrcStart..]));
    }

    /// <summary>
    /// Sets the batch's max timestamp and, with <paramref name="logAppendTime"/>, its timestamp type, and
    /// recomputes the CRC (both are inside it): how the broker stamps LOG_APPEND_TIME, and corrects a
    /// CREATE_TIME header that disagrees with its records, as Kafka's LogValidator does. Does nothing if both
    /// are already so, which is the usual case, so no checksum is paid for it.
    /// </summary>
    public static void SetMaxTimestamp(Span<byte> batch, long maxTimestamp, bool logAppendTime)
    {
        var attributes = Attributes(batch);
        var stamped = logAppendTime ? (short)(attributes | LogAppendTimeFlag) : attributes;
        if (stamped == attributes && MaxTimestamp(batch) == maxTimestamp) return;
        BinaryPrimitives.WriteInt16BigEndian(batch[AttributesAt..], stamped);
        BinaryPrimitives.WriteInt64BigEndian(batch[MaxTimestampAt..], maxTimestamp);
        BinaryPrimitives.WriteUInt32BigEndian(batch[CrcAt..], Crc32C.Compute(batch[CrcStart..]));
    }

    private static uint StoredCrc(ReadOnlySpan<byte> batch) => BinaryPrimitives.ReadUInt32BigEndian(batch[CrcAt..]);

    /// <summary>What every record of a batch shares; LogAppendTimestamp is set when the broker's time replaces the records'.</summary>
    private readonly record struct Context(long BaseOffset, long FirstTimestamp, long? LogAppendTimestamp);

    /// <summary>Where a record's key and value lie in its batch's records section; a length of -1 is a null.</summary>
    private readonly record struct RecordLayout(long Offset, long Timestamp, int KeyStart, int KeyLength, int ValueStart, int ValueLength, IReadOnlyList<Header> Headers);

    /// <summary>What a decoded record becomes: a <see cref="Record"/> with copies, or a <see cref="RecordView"/> with slices.</summary>
    private interface IRecordSink
    {
        /// <summary>Room for this many more, once the count is known to fit the bytes (so a hostile count allocates nothing).</summary>
        void Reserve(int count);

        void Add(ReadOnlySpan<byte> records, in RecordLayout layout);
    }

    private readonly struct CopyingSink(List<Record> into) : IRecordSink
    {
        public void Reserve(int count) => into.EnsureCapacity(into.Count + count);

        public void Add(ReadOnlySpan<byte> records, in RecordLayout r) =>
            into.Add(new Record(r.Offset, r.Timestamp, Copy(records, r.KeyStart, r.KeyLength), Copy(records, r.ValueStart, r.ValueLength), r.Headers));

        private static byte[]? Copy(ReadOnlySpan<byte> records, int start, int length) => length < 0 ? null : records.Slice(start, length).ToArray();
    }

    private readonly struct ViewSink(List<RecordView> into, ReadOnlyMemory<byte> memory) : IRecordSink
    {
        public void Reserve(int count) => into.EnsureCapacity(into.Count + count);

        public void Add(ReadOnlySpan<byte> records, in RecordLayout r) =>
            into.Add(new RecordView(r.Offset, r.Timestamp, Slice(r.KeyStart, r.KeyLength), Slice(r.ValueStart, r.ValueLength), r.Headers));

        // Typed null: a bare null would convert to an empty ReadOnlyMemory through its implicit conversion from an array.
        private ReadOnlyMemory<byte>? Slice(int start, int length) => length < 0 ? (ReadOnlyMemory<byte>?)null : memory.Slice(start, length);
    }

    private static void ParseRecords<TSink>(ReadOnlySpan<byte> records, int count, Context context, TSink sink) where TSink : struct, IRecordSink
    {
        if (count > records.Length / MinRecordSize)
            throw new InvalidDataException($"Record batch claims {count} records but holds only {records.Length} bytes of them");
        sink.Reserve(count);
        var position = 0;
        for (var i = 0; i < count; i++)
        {
            var length = VarInt.ReadVarInt(records, ref position);
            if (length <= 0 || length > records.Length - position)
                throw new InvalidDataException($"Record {i} has length {length} but {records.Length - position} bytes remain");
            sink.Add(records, ParseRecord(records.Slice(position, length), position, i, context));
            position += length;
        }
        if (position != records.Length)
            throw new InvalidDataException($"Record batch has {records.Length - position} bytes after its {count} records");
    }

    /// <summary>One record's fields; <paramref name="at"/> is where <paramref name="body"/> starts in the records section.</summary>
    private static RecordLayout ParseRecord(ReadOnlySpan<byte> body, int at, int index, Context context)
    {
        var position = 1; // attributes: unused in v2
        var timestampDelta = VarInt.ReadVarLong(body, ref position);
        var offsetDelta = VarInt.ReadVarInt(body, ref position);
        var (keyStart, keyLength) = ReadBytes(body, ref position, index, "key");
        var (valueStart, valueLength) = ReadBytes(body, ref position, index, "value");
        var headerCount = VarInt.ReadVarInt(body, ref position);
        // Each header takes at least two bytes (two lengths), which bounds the array below.
        if (headerCount < 0 || headerCount > (body.Length - position) / 2)
            throw new InvalidDataException($"Record {index} has header count {headerCount} with {body.Length - position} bytes left");
        IReadOnlyList<Header> headers = [];
        if (headerCount > 0)
        {
            var array = new Header[headerCount];
            for (var h = 0; h < headerCount; h++)
            {
                var keyLengthOfHeader = VarInt.ReadVarInt(body, ref position);
                if (keyLengthOfHeader < 0 || keyLengthOfHeader > body.Length - position)
                    throw new InvalidDataException($"Record {index} header {h} has key length {keyLengthOfHeader} with {body.Length - position} bytes left");
                var headerKey = Encoding.UTF8.GetString(body.Slice(position, keyLengthOfHeader));
                position += keyLengthOfHeader;
                var (headerStart, headerLength) = ReadBytes(body, ref position, index, "header value");
                array[h] = new Header(headerKey, headerLength < 0 ? null : body.Slice(headerStart, headerLength).ToArray());
            }
            headers = array;
        }
        if (position != body.Length)
            throw new InvalidDataException($"Record {index} is {body.Length} bytes long but its fields take {position}");
        return new RecordLayout(
            context.BaseOffset + offsetDelta,
            context.LogAppendTimestamp ?? context.FirstTimestamp + timestampDelta,
            at + keyStart, keyLength, at + valueStart, valueLength, headers);
    }

    /// <summary>A length-prefixed byte field: where it starts in <paramref name="body"/> and its length (-1: null).</summary>
    private static (int Start, int Length) ReadBytes(ReadOnlySpan<byte> body, ref int position, int index, string field)
    {
        var length = VarInt.ReadVarInt(body, ref position);
        if (length == -1) return (position, -1);
        if (length < -1 || length > body.Length - position)
            throw new InvalidDataException($"Record {index} has {field} length {length} with {body.Length - position} bytes left");
        var start = position;
        position += length;
        return (start, length);
    }
}
