#!/usr/bin/python3
"""Round trip through the node with kafka-python (Debian's python3-kafka, 2.0.2), an unmodified Kafka client.

usage: kafka_python_roundtrip.py BOOTSTRAP TOPIC PARTITIONS [--group]

Produces records with keys, values and headers, reads every partition back with an assigned consumer and exits
non-zero unless every record came back intact and in production order within its partition. With --group, two
consumers in one group (KafkaConsumer.subscribe) must between them receive every record exactly once.

Why api_version is pinned: without it kafka-python 2.0.2 probes the broker and derives a "broker version" from
the ApiVersions answer by looking for a few marker APIs (DescribeAcls v2 means 2.5, Produce v8 means 2.4, ...).
The node serves Produce up to v9 but no DescribeAcls, so the probe guesses (2, 4, 0); the guess is right but
costs a connection per client and varies as APIs are added. (2, 4, 0) is also what this client knows best
(its newest protocol tables): record batches v2 with headers (needs >= 0.11), Produce v7, Fetch v10,
ListOffsets v2, Metadata v1, all inside the ranges the node advertises (Produce v3+, Fetch v4+, ListOffsets v1+).
"""
import sys
import threading
import time

from kafka import KafkaConsumer, KafkaProducer, TopicPartition

API_VERSION = (2, 4, 0)
RECORDS = 200


def fail(message):
    print("FAIL: " + message, file=sys.stderr)
    sys.exit(1)


def produce(bootstrap, topic, partitions):
    producer = KafkaProducer(bootstrap_servers=bootstrap, api_version=API_VERSION, acks="all", linger_ms=5,
                             retries=3, max_in_flight_requests_per_connection=1)
    sent = []
    futures = []
    for i in range(RECORDS):
        partition = i % partitions
        key = ("k%d" % (i % 11)).encode()
        value = ("v%d" % i).encode()
        headers = [("n", str(i).encode()), ("origin", b"kafka-python")]
        futures.append(producer.send(topic, key=key, value=value, headers=headers, partition=partition))
        sent.append((partition, key, value, headers))
    offsets = [f.get(timeout=30) for f in futures]
    producer.flush(30)
    producer.close(30)
    print("produced %d records" % len(offsets))
    return sent


def expected_by_partition(sent):
    expected = {}
    for partition, key, value, headers in sent:
        expected.setdefault(partition, []).append((key, value, headers))
    return expected


def consume_assigned(bootstrap, topic, partitions, count):
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, api_version=API_VERSION, enable_auto_commit=False,
                             group_id=None, consumer_timeout_ms=1000)
    tps = [TopicPartition(topic, p) for p in range(partitions)]
    consumer.assign(tps)
    consumer.seek_to_beginning(*tps)
    received = {}
    deadline = time.time() + 30
    total = 0
    while total < count and time.time() < deadline:
        for tp, records in consumer.poll(timeout_ms=500).items():
            for r in records:
                received.setdefault(tp.partition, []).append((r.offset, r.key, r.value, [(k, v) for k, v in r.headers]))
                total += 1
    consumer.close()
    return received


def check(sent, received):
    for partition, expected in expected_by_partition(sent).items():
        got = received.get(partition, [])
        if len(got) != len(expected):
            fail("partition %d: expected %d records, got %d" % (partition, len(expected), len(got)))
        offsets = [r[0] for r in got]
        if offsets != sorted(offsets):
            fail("partition %d: offsets out of order: %s" % (partition, offsets))
        for (key, value, headers), (offset, gkey, gvalue, gheaders) in zip(expected, got):
            if (key, value, headers) != (gkey, gvalue, gheaders):
                fail("partition %d offset %d: expected %r, got %r" % (partition, offset, (key, value, headers), (gkey, gvalue, gheaders)))


def consume_group(bootstrap, topic, count):
    # One thread per member: kafka-python's poll() blocks in JoinGroup until the whole group has rejoined, so
    # two members polled from one thread would wait for each other until the rebalance timeout.
    group = "kafka-python-%d" % int(time.time() * 1000)
    seen = []
    per_member = [0, 0]
    assignments = [[], []]
    lock = threading.Lock()
    deadline = time.time() + 60

    def run(i):
        member = KafkaConsumer(topic, bootstrap_servers=bootstrap, api_version=API_VERSION, group_id=group,
                               auto_offset_reset="earliest", enable_auto_commit=True, client_id="member-%d" % i)
        try:
            while time.time() < deadline:
                with lock:
                    if len(seen) >= count:
                        break
                for tp, records in member.poll(timeout_ms=200).items():
                    with lock:
                        for r in records:
                            seen.append((tp.partition, r.offset))
                            per_member[i] += 1
            assignments[i] = sorted(tp.partition for tp in member.assignment())
        finally:
            member.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(90)
    if len(seen) != count or len(set(seen)) != count:
        fail("group: expected %d distinct records, got %d (%d distinct)" % (count, len(seen), len(set(seen))))
    print("group: %d records, per member %s, assignments %s" % (len(seen), per_member, assignments))


def main():
    if len(sys.argv) < 4:
        fail(__doc__)
    bootstrap, topic, partitions = sys.argv[1], sys.argv[2], int(sys.argv[3])
    sent = produce(bootstrap, topic, partitions)
    received = consume_assigned(bootstrap, topic, partitions, len(sent))
    check(sent, received)
    print("assigned consumer: all %d records back intact and in order" % len(sent))
    if "--group" in sys.argv[4:]:
        consume_group(bootstrap, topic, len(sent))
    print("OK")


if __name__ == "__main__":
    main()
