#!/usr/bin/python3
# Writes RecordBatch v2, CRC32C and murmur2 fixtures with kafka-python (Debian's python3-kafka), an
# implementation independent of ours. Run once, offline, by a developer, from this folder:
#   apt-get install -y python3-kafka && /usr/bin/python3 generate.py
# The outputs are committed; neither the tests nor CI run this script. gzip.bin differs on every run
# (gzip stores the time it was written), the other outputs are reproducible.
#
# Each <name>.bin is one batch; <name>.json lists the header fields and the records as kafka-python's own
# reader (DefaultRecordBatch) decodes them, after checking that they are the records we put in.
import base64, json, random, struct
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

TIMESTAMP_TYPE_MASK = 0x08


def b64(value):
    return None if value is None else base64.b64encode(value).decode()


def build(name, records, codec=DefaultRecordBatchBuilder.CODEC_NONE, base_offset=0,
          producer_id=-1, producer_epoch=-1, base_sequence=-1, log_append_time=False):
    builder = DefaultRecordBatchBuilder(magic=2, compression_type=codec, is_transactional=False,
                                        producer_id=producer_id, producer_epoch=producer_epoch,
                                        base_sequence=base_sequence, batch_size=1 << 20)
    for i, (ts, key, value, headers) in enumerate(records):
        builder.append(i, timestamp=ts, key=key, value=value, headers=headers)
    data = bytearray(builder.build())
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
