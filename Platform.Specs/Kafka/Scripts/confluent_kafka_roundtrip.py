#!/usr/bin/python3
"""Round trip through the node with confluent-kafka-python (Debian's python3-confluent-kafka over librdkafka).

usage: confluent_kafka_roundtrip.py BOOTSTRAP TOPIC PARTITIONS [--group]

Produces records with keys, values and headers (every compression codec in turn), reads every partition back with
an assigned consumer and exits non-zero unless every record came back intact and in production order within its
partition. With --group, two consumers in one group (subscribe) must between them receive every record exactly once.
"""
import sys
import time

from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, Producer, TopicPartition

RECORDS_PER_CODEC = 60
CODECS = ["none", "gzip", "snappy", "lz4", "zstd"]


def fail(message):
    print("FAIL: " + message, file=sys.stderr)
    sys.exit(1)


def produce(bootstrap, topic, partitions):
    sent = []
    errors = []

    def delivered(err, msg):
        if err is not None:
            errors.append("%s: %s" % (msg.key(), err))

    for codec in CODECS:
        producer = Producer({"bootstrap.servers": bootstrap, "acks": "all", "linger.ms": 5,
                             "enable.idempotence": False, "compression.type": codec, "message.timeout.ms": 30000})
        for i in range(RECORDS_PER_CODEC):
            partition = i % partitions
            key = ("%s-k%d" % (codec, i % 7)).encode()
            value = ("%s-v%d" % (codec, i)).encode() * (1 + i % 5)
            headers = [("n", str(i).encode()), ("codec", codec.encode())]
            producer.produce(topic, key=key, value=value, headers=headers, partition=partition, on_delivery=delivered)
            sent.append((partition, key, value, headers))
        if producer.flush(30) != 0:
            fail("%s: records still undelivered after 30 s" % codec)
    if errors:
        fail("delivery failed: " + "; ".join(errors[:5]))
    print("produced %d records" % len(sent))
    return sent


def consume_assigned(bootstrap, topic, partitions, count):
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "unused-assign-only", "enable.auto.commit": False,
                         "enable.partition.eof": False})
    consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in range(partitions)])
    received = {}
    total = 0
    deadline = time.time() + 30
    while total < count and time.time() < deadline:
        msg = consumer.poll(0.5)
        if msg is None:
            continue
        if msg.error():
            fail("consume error: %s" % msg.error())
        received.setdefault(msg.partition(), []).append((msg.offset(), msg.key(), msg.value(), msg.headers() or []))
        total += 1
    consumer.close()
    return received


def check(sent, received):
    expected = {}
    for partition, key, value, headers in sent:
        expected.setdefault(partition, []).append((key, value, headers))
    for partition, records in expected.items():
        got = received.get(partition, [])
        if len(got) != len(records):
            fail("partition %d: expected %d records, got %d" % (partition, len(records), len(got)))
        offsets = [r[0] for r in got]
        if offsets != sorted(offsets):
            fail("partition %d: offsets out of order: %s" % (partition, offsets))
        for want, (offset, key, value, headers) in zip(records, got):
            if want != (key, value, headers):
                fail("partition %d offset %d: expected %r, got %r" % (partition, offset, want, (key, value, headers)))


def consume_group(bootstrap, topic, count):
    group = "confluent-python-%d" % int(time.time() * 1000)
    members = []
    for i in range(2):
        member = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "auto.offset.reset": "earliest",
                           "client.id": "member-%d" % i})
        member.subscribe([topic])
        members.append(member)
    seen = set()
    per_member = [0, 0]
    deadline = time.time() + 60
    while len(seen) < count and time.time() < deadline:
        for i, member in enumerate(members):
            msg = member.poll(0.2)
            if msg is None or (msg.error() and msg.error().code() == KafkaError._PARTITION_EOF):
                continue
            if msg.error():
                fail("group consume error: %s" % msg.error())
            if (msg.partition(), msg.offset()) in seen:
                fail("group: record %d@%d delivered twice" % (msg.partition(), msg.offset()))
            seen.add((msg.partition(), msg.offset()))
            per_member[i] += 1
    for m in members:
        m.close()
    if len(seen) != count:
        fail("group: expected %d records, got %d" % (count, len(seen)))
    print("group: %d records, per member %s" % (len(seen), per_member))


def main():
    if len(sys.argv) < 4:
        fail(__doc__)
    bootstrap, topic, partitions = sys.argv[1], sys.argv[2], int(sys.argv[3])
    sent = produce(bootstrap, topic, partitions)
    check(sent, consume_assigned(bootstrap, topic, partitions, len(sent)))
    print("assigned consumer: all %d records back intact and in order" % len(sent))
    if "--group" in sys.argv[4:]:
        consume_group(bootstrap, topic, len(sent))
    print("OK")


if __name__ == "__main__":
    main()
