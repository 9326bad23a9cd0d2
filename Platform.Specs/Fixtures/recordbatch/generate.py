#!/usr/bin/python3
# Writes RecordBatch v2 fixtures with kafka-python (Debian's python3-kafka), an implementation independent
# of ours. Run once, offline, by a developer: `/usr/bin/python3 generate.py`. The outputs are committed;
# neither the tests nor CI run this script.
import base64, json, struct
from kafka.record.default_records import DefaultRecordBatchBuilder
from kafka.partitioner.default import murmur2

RECORDS = [
    (1700000000000, b"alice", b"paid", []),
    (1700000000005, None, b"no key", [("trace-id", b"abc123")]),
    (1700000000003, b"bob", None, [("h1", b"v1"), ("empty", b""), ("none", None)]),
    (1700000000010, b"", b"\x00\x01\x02\xff" * 50, []),
    (1700000000011, "k\u00e9y".encode(), "v\u00e4lue \u2713".encode(), [("\u00fcnicode", b"\xfe")]),
]

def build(name, codec, base_offset):
    builder = DefaultRecordBatchBuilder(magic=2, compression_type=codec, is_transactional=False,
                                        producer_id=-1, producer_epoch=-1, base_sequence=-1, batch_size=1 << 20)
    for i, (ts, key, value, headers) in enumerate(RECORDS):
        builder.append(i, timestamp=ts, key=key, value=value, headers=headers)
    data = bytearray(builder.build())
    struct.pack_into(">q", data, 0, base_offset)  # base offset sits outside the CRC, as a broker would set it
    with open(name + ".bin", "wb") as f:
        f.write(data)
    expected = [{
        "offset": base_offset + i,
        "timestamp": ts,
        "key": None if key is None else base64.b64encode(key).decode(),
        "value": None if value is None else base64.b64encode(value).decode(),
        "headers": [{"key": k, "value": None if v is None else base64.b64encode(v).decode()} for k, v in headers],
    } for i, (ts, key, value, headers) in enumerate(RECORDS)]
    with open(name + ".json", "w") as f:
        json.dump({"baseOffset": base_offset, "compression": codec, "records": expected}, f, indent=1)

build("plain", DefaultRecordBatchBuilder.CODEC_NONE, 0)
build("plain-offset-1000", DefaultRecordBatchBuilder.CODEC_NONE, 1000)
build("gzip", DefaultRecordBatchBuilder.CODEC_GZIP, 42)

# Kafka's partitioner for a few keys and partition counts: murmur2 masked positive, modulo the count.
keys = ["", "a", "21", "foobar", "user-1", "order-98765", "k\u00e9y", "x" * 100]
vectors = [{"key": base64.b64encode(k.encode()).decode(), "hash": murmur2(k.encode()),
            "partitions": {str(n): (murmur2(k.encode()) & 0x7fffffff) % n for n in (1, 3, 6, 7, 100)}} for k in keys]
with open("murmur2.json", "w") as f:
    json.dump(vectors, f, indent=1)
