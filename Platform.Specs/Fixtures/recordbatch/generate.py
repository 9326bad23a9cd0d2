#!/usr/bin/python3
# Writes RecordBatch v2, CRC32C and murmur2 fixtures with kafka-python (Debian's python3-kafka), an
# implementation independent of ours, and its codecs (Debian's python3-snappy, python3-lz4 and
# python3-zstandard, bindings of the C libraries). Run once, offline, by a developer, from this folder:
#   apt-get install -y python3-kafka python3-snappy python3-lz4 python3-zstandard && /usr/bin/python3 generate.py
# The outputs are committed; neither the tests nor CI run this script. gzip.bin differs on every run
# (gzip stores the time it was written), the other outputs are reproducible.
#
# kafka-python writes snappy in snappy-java's framing (as Kafka's Java client does), LZ4 frames and zstd
# frames with their content size. Two more framings are made by re-compressing an uncompressed batch's
# records: raw snappy (one block, as librdkafka writes it) and a zstd frame without a content size (as a
# streaming compressor such as librdkafka's writes it).
#
# Each <name>.bin is one batch; <name>.json lists the header fields and the records as kafka-python's own
# reader (DefaultRecordBatch) decodes them, after checking that they are the records we put in.
import base64, json, random, struct
import snappy, zstandard
from kafka.record.default_records import DefaultRecordBatch, DefaultRecordBatchBuilder
from kafka.record.util import calc_crc32c
from kafka.partitioner.default import murmur2

RECORDS = [
    (1700000000000, b"alice", b"paid", []),
    (1700000000005, None, b"no key", [("trace-id", b"abc123")]),
    (1700000000003, b"bob", None, [("h1", b"v1"), ("empty", b""), ("none", None)]),
    (1700000000010, b"", b"\x00\x01\x02\xff" * 50, []),
    (1700000000011, "k\u00e9y".encode(), "v\u00e4lue \u2713".encode(), [("\u00fcnicode", b"\xfe")]),
]

# Enough records for multi-byte offset deltas, and timestamp deltas beyond 32 bits in both directions.
DAY = 86_400_000
MANY = [(1700000000000 + ((i * 7919) % 1000 - 500) * DAY // 2 if i % 5 == 0 and i > 0 else 1700000000000 + i,
         None if i % 11 == 0 else str(i).encode(),
         None if i % 13 == 0 else bytes((i * j) & 0xFF for j in range(i % 40)),
         [("n", str(i).encode())] if i % 3 == 0 else [])
        for i in range(300)]

# Records of about 100 KB that compress well: several snappy-java chunks (32 KiB) and LZ4 blocks (64 KiB).
LARGE = [(1700000000000 + i, str(i).encode(), b"".join(b"record %d field %d|" % (i, j % 50) for j in range(200)), [])
         for i in range(28)]

TIMESTAMP_TYPE_MASK = 0x08
RECORDS_AT = 61  # the v2 header's size: the records section follows it


def b64(value):
    return None if value is None else base64.b64encode(value).decode()


def build(name, records, codec=DefaultRecordBatchBuilder.CODEC_NONE, base_offset=0,
          producer_id=-1, producer_epoch=-1, base_sequence=-1, log_append_time=False, recompress=None):
    builder = DefaultRecordBatchBuilder(magic=2, compression_type=codec, is_transactional=False,
                                        producer_id=producer_id, producer_epoch=producer_epoch,
                                        base_sequence=base_sequence, batch_size=1 << 20)
    for i, (ts, key, value, headers) in enumerate(records):
        builder.append(i, timestamp=ts, key=key, value=value, headers=headers)
    data = bytearray(builder.build())
    if recompress is not None:
        # An uncompressed batch whose records section another compressor re-encodes; header and CRC follow.
        codec, compress = recompress
        data = data[:RECORDS_AT] + compress(bytes(data[RECORDS_AT:]))
        struct.pack_into(">i", data, 8, len(data) - 12)
        struct.pack_into(">h", data, 21, struct.unpack_from(">h", data, 21)[0] | codec)
        struct.pack_into(">I", data, 17, calc_crc32c(bytes(data[21:])))
    struct.pack_into(">q", data, 0, base_offset)  # base offset sits outside the CRC, as a broker would set it
    if log_append_time:
        # kafka-python's builder leaves the timestamp type to the broker; set it as a broker would.
        attributes = struct.unpack_from(">h", data, 21)[0] | TIMESTAMP_TYPE_MASK
        struct.pack_into(">h", data, 21, attributes)
        struct.pack_into(">I", data, 17, calc_crc32c(bytes(data[21:])))
    data = bytes(data)

    batch = DefaultRecordBatch(data)
    assert batch.validate_crc()
    assert batch.compression_type == codec, "kafka-python sent it uncompressed: records did not shrink"
    decoded = list(batch)
    assert len(decoded) == len(records)
    for i, (record, (ts, key, value, headers)) in enumerate(zip(decoded, records)):
        assert record.offset == base_offset + i
        assert record.timestamp == (batch.max_timestamp if log_append_time else ts)
        assert (record.key, record.value, record.headers) == (key, value, headers)

    with open(name + ".bin", "wb") as f:
        f.write(data)
    expected = {
        "baseOffset": base_offset,
        "compression": codec,
        "logAppendTime": log_append_time,
        "producerId": producer_id,
        "producerEpoch": producer_epoch,
        "baseSequence": base_sequence,
        "firstTimestamp": batch.first_timestamp,
        "maxTimestamp": batch.max_timestamp,
        "records": [{
            "offset": r.offset,
            "timestamp": r.timestamp,
            "key": b64(r.key),
            "value": b64(r.value),
            "headers": [{"key": k, "value": b64(v)} for k, v in r.headers],
        } for r in decoded],
    }
    with open(name + ".json", "w") as f:
        json.dump(expected, f, indent=1)


build("plain", RECORDS)
build("plain-offset-1000", RECORDS, base_offset=1000)
build("gzip", RECORDS, codec=DefaultRecordBatchBuilder.CODEC_GZIP, base_offset=42)
build("idempotent", RECORDS[:2], base_offset=7, producer_id=4242, producer_epoch=3, base_sequence=100)
build("log-append-time", RECORDS[:3], base_offset=9)
build("many", MANY, base_offset=1 << 40)
build("snappy", RECORDS, codec=DefaultRecordBatchBuilder.CODEC_SNAPPY, base_offset=43)
build("snappy-large", LARGE, codec=DefaultRecordBatchBuilder.CODEC_SNAPPY, base_offset=5000)
build("snappy-raw", RECORDS, base_offset=44, recompress=(DefaultRecordBatchBuilder.CODEC_SNAPPY, snappy.compress))
build("lz4", RECORDS, codec=DefaultRecordBatchBuilder.CODEC_LZ4, base_offset=45)
build("lz4-large", LARGE, codec=DefaultRecordBatchBuilder.CODEC_LZ4, base_offset=6000)
build("zstd", RECORDS, codec=DefaultRecordBatchBuilder.CODEC_ZSTD, base_offset=46)
build("zstd-many", MANY, codec=DefaultRecordBatchBuilder.CODEC_ZSTD, base_offset=7000)


def zstd_streamed(payload):
    """A zstd frame without a content size: what a streaming compressor writes when it is not told the size."""
    frame = zstandard.ZstdCompressor(level=3, write_content_size=False).compress(payload)
    assert zstandard.get_frame_parameters(frame).content_size == zstandard.CONTENTSIZE_UNKNOWN
    return frame


build("zstd-no-content-size", RECORDS, base_offset=47, recompress=(DefaultRecordBatchBuilder.CODEC_ZSTD, zstd_streamed))

# Kafka's partitioner for a few keys and partition counts: murmur2 masked positive, modulo the count.
# kafka-python's murmur2 returns the hash as an unsigned 32-bit number; Java's is the same bits, signed.
keys = ["", "a", "21", "foobar", "user-1", "order-98765", "k\u00e9y", "x" * 100]
vectors = [{"key": base64.b64encode(k.encode()).decode(), "hash": murmur2(k.encode()),
            "partitions": {str(n): (murmur2(k.encode()) & 0x7fffffff) % n for n in (1, 3, 6, 7, 100)}} for k in keys]
with open("murmur2.json", "w") as f:
    json.dump(vectors, f, indent=1)

# CRC32C of pseudo-random data of every length around the 4- and 8-byte strides of the fast paths.
rng = random.Random(20240601)
samples = [bytes(rng.randrange(256) for _ in range(n)) for n in list(range(0, 40)) + [63, 64, 65, 255, 256, 1000, 4099]]
with open("crc32c.json", "w") as f:
    json.dump([{"data": base64.b64encode(s).decode(), "crc": calc_crc32c(s)} for s in samples], f, indent=1)
