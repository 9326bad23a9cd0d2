#!/usr/bin/python3
"""One kafka-python consumer in a consumer group, for the mixed-client group spec.

usage: kafka_python_group_member.py BOOTSTRAP TOPIC GROUP SECONDS

Prints "assigned P,P,..." on every assignment and "record PARTITION OFFSET VALUE" for every record, flushing each
line, until SECONDS have passed or standard input closes; then commits and leaves the group. kafka-python 2.0.2 is
pinned to api_version (2, 4, 0), the version it infers from this broker's ApiVersions (see kafka_python_roundtrip.py).
"""
import select
import sys
import time

from kafka import KafkaConsumer
from kafka.consumer.subscription_state import ConsumerRebalanceListener


class Listener(ConsumerRebalanceListener):
    def on_partitions_revoked(self, revoked):
        pass

    def on_partitions_assigned(self, assigned):
        print("assigned " + ",".join(str(tp.partition) for tp in sorted(assigned)), flush=True)


def main():
    bootstrap, topic, group, seconds = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, api_version=(2, 4, 0), group_id=group,
                             auto_offset_reset="earliest", enable_auto_commit=True, client_id="kafka-python-member")
    consumer.subscribe([topic], listener=Listener())
    deadline = time.time() + seconds
    while time.time() < deadline:
        for tp, records in consumer.poll(timeout_ms=200).items():
            for r in records:
                print("record %d %d %s" % (tp.partition, r.offset, r.value.decode()), flush=True)
        if select.select([sys.stdin], [], [], 0)[0] and not sys.stdin.readline():
            break
    consumer.close()


if __name__ == "__main__":
    main()
