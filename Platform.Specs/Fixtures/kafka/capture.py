#!/usr/bin/python3
"""Records the request frames real Kafka clients send, as fixtures for Platform.Specs/Protocol.

Run with Debian's Python (kafka-python and confluent-kafka are Debian packages, kcat is /usr/bin/kcat):

    /usr/bin/python3 Platform.Specs/Fixtures/kafka/capture.py

For each scenario it starts a listener on 127.0.0.1, runs one client against it and writes every request frame
the client sends, without its 4-byte size prefix (request header + body), to
`<scenario>-<nn>-<Api>-v<version>.bin` here. It answers just enough for the client to go on: ApiVersions with a
hand-built table, and Metadata (non-flexible versions only, which the advertised table forces) with one broker,
this listener, leading partition 0 of every requested topic. Any other request is recorded and the connection
closed. Requests are hand-encoded here on purpose, so the fixtures do not depend on the codecs they test.
"""
import os
import socket
import struct
import subprocess
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
NAMES = {0: "Produce", 1: "Fetch", 2: "ListOffsets", 3: "Metadata", 8: "OffsetCommit", 9: "OffsetFetch",
         10: "FindCoordinator", 11: "JoinGroup", 12: "Heartbeat", 13: "LeaveGroup", 14: "SyncGroup",
         15: "DescribeGroups", 16: "ListGroups", 17: "SaslHandshake", 18: "ApiVersions", 19: "CreateTopics",
         20: "DeleteTopics", 21: "DeleteRecords", 22: "InitProducerId", 23: "OffsetForLeaderEpoch", 32: "DescribeConfigs",
         33: "AlterConfigs", 37: "CreatePartitions", 42: "DeleteGroups", 44: "IncrementalAlterConfigs", 60: "DescribeCluster"}
# What the listener advertises: Kafka 3.8's ranges, with Metadata capped below its first flexible version so the
# hand-built Metadata response below stays simple.
ADVERTISED = {0: (0, 9), 1: (0, 12), 2: (0, 7), 3: (0, 8), 8: (0, 8), 9: (0, 7), 10: (0, 4), 11: (0, 7), 12: (0, 4),
              13: (0, 4), 14: (0, 5), 15: (0, 5), 16: (0, 4), 17: (0, 1), 18: (0, 3), 19: (0, 7), 20: (0, 6), 21: (0, 2),
              22: (0, 4), 23: (0, 4), 32: (0, 4), 33: (0, 2), 37: (0, 3), 42: (0, 2), 44: (0, 1), 60: (0, 1)}


def uvarint(n):
    out = bytearray()
    while n >= 0x80:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def read_uvarint(data, pos):
    value, shift = 0, 0
    while True:
        b = data[pos]
        pos += 1
        value |= (b & 0x7F) << shift
        if not b & 0x80:
            return value, pos
        shift += 7


def string(s):
    if s is None:
        return struct.pack(">h", -1)
    b = s.encode()
    return struct.pack(">h", len(b)) + b


def api_versions_response(version):
    if version >= 3:
        body = struct.pack(">h", 0) + uvarint(len(ADVERTISED) + 1)
        for key, (lo, hi) in sorted(ADVERTISED.items()):
            body += struct.pack(">hhh", key, lo, hi) + b"\x00"
        return body + struct.pack(">i", 0) + b"\x00"
    body = struct.pack(">hi", 0, len(ADVERTISED))
    for key, (lo, hi) in sorted(ADVERTISED.items()):
        body += struct.pack(">hhh", key, lo, hi)
    return body + (struct.pack(">i", 0) if version >= 1 else b"")


def metadata_topics(body, version):
    """The topic names of a non-flexible Metadata request (null = all topics: answered with 'test')."""
    (count,) = struct.unpack_from(">i", body, 0)
    if count < 0:
        return ["test"]
    pos, names = 4, []
    for _ in range(count):
        (n,) = struct.unpack_from(">h", body, pos)
        names.append(body[pos + 2:pos + 2 + n].decode())
        pos += 2 + n
    return names or ["test"]


def metadata_response(version, port, topics):
    out = struct.pack(">i", 0) if version >= 3 else b""
    out += struct.pack(">i", 1) + struct.pack(">i", 1) + string("127.0.0.1") + struct.pack(">i", port)
    if version >= 1:
        out += string(None)  # rack
    if version >= 2:
        out += string("platform-fixtures")  # cluster id
    if version >= 1:
        out += struct.pack(">i", 1)  # controller id
    out += struct.pack(">i", len(topics))
    for name in topics:
        out += struct.pack(">h", 0) + string(name)
        if version >= 1:
            out += b"\x00"  # is_internal
        out += struct.pack(">i", 1) + struct.pack(">hii", 0, 0, 1)  # one partition: no error, index 0, leader 1
        if version >= 7:
            out += struct.pack(">i", 0)  # leader epoch
        out += struct.pack(">ii", 1, 1) + struct.pack(">ii", 1, 1)  # replicas [1], isr [1]
        if version >= 5:
            out += struct.pack(">i", 0)  # offline replicas []
        if version >= 8:
            out += struct.pack(">i", -2147483648)  # topic authorized operations
    if version >= 8:
        out += struct.pack(">i", -2147483648)  # cluster authorized operations
    return out


class Listener:
    def __init__(self, scenario):
        self.scenario = scenario
        self.count = 0
        self.seen = set()
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.lock = threading.Lock()
        threading.Thread(target=self.accept, daemon=True).start()

    def accept(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self.serve, args=(conn,), daemon=True).start()

    def serve(self, conn):
        with conn:
            while True:
                head = self.recv(conn, 4)
                if head is None:
                    return
                (size,) = struct.unpack(">i", head)
                frame = self.recv(conn, size)
                if frame is None:
                    return
                key, version, correlation = struct.unpack_from(">hhi", frame, 0)
                with self.lock:
                    if (key, version) not in self.seen:  # retries repeat themselves; the first of each is enough
                        self.seen.add((key, version))
                        self.count += 1
                        name = f"{self.scenario}-{self.count:02d}-{NAMES.get(key, key)}-v{version}.bin"
                        with open(os.path.join(HERE, name), "wb") as f:
                            f.write(frame)
                        print("  recorded", name)
                if key == 18:
                    reply = struct.pack(">i", correlation) + api_versions_response(version)
                elif key == 3 and version <= 8:
                    (client_len,) = struct.unpack_from(">h", frame, 8)
                    body = frame[10 + max(client_len, 0):]
                    reply = struct.pack(">i", correlation) + metadata_response(version, self.port, metadata_topics(body, version))
                else:
                    return
                conn.sendall(struct.pack(">i", len(reply)) + reply)

    @staticmethod
    def recv(conn, n):
        data = b""
        while len(data) < n:
            chunk = conn.recv(n - len(data))
            if not chunk:
                return None
            data += chunk
        return data

    def close(self):
        self.sock.close()


def run(scenario, make_command):
    listener = Listener(scenario)
    print(scenario)
    try:
        subprocess.run(make_command(listener.port), timeout=15, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       input=b"hello\n")
    except subprocess.TimeoutExpired:
        pass
    time.sleep(0.2)
    listener.close()


PYTHON = "/usr/bin/python3"

KAFKA_PYTHON_PRODUCER = """
import sys
from kafka import KafkaProducer
p = KafkaProducer(bootstrap_servers='127.0.0.1:%s', client_id='fixture-producer', acks=1, retries=0,
                  api_version_auto_timeout_ms=5000, request_timeout_ms=3000, max_block_ms=5000)
try:
    p.send('test', key=b'k', value=b'hello', partition=0).get(timeout=5)
except Exception:
    pass
"""

KAFKA_PYTHON_CONSUMER = """
from kafka import KafkaConsumer
c = KafkaConsumer('test', bootstrap_servers='127.0.0.1:%s', client_id='fixture-consumer', group_id='fixture-group',
                  api_version_auto_timeout_ms=5000, request_timeout_ms=3000)
import time
deadline = time.time() + 8
while time.time() < deadline:
    c.poll(timeout_ms=500)
"""

CONFLUENT_PRODUCER = """
from confluent_kafka import Producer
p = Producer({'bootstrap.servers': '127.0.0.1:%s', 'client.id': 'fixture-rdkafka', 'message.timeout.ms': 4000,
              'linger.ms': 0})
p.produce('test', key=b'k', value=b'hello', partition=0)
p.flush(6)
"""

CONFLUENT_CONSUMER = """
import time
from confluent_kafka import Consumer
c = Consumer({'bootstrap.servers': '127.0.0.1:%s', 'client.id': 'fixture-rdkafka-consumer', 'group.id': 'fixture-group'})
c.subscribe(['test'])
deadline = time.time() + 6
while time.time() < deadline:
    c.poll(0.5)
c.close()
"""


def main():
    for old in os.listdir(HERE):
        if old.endswith(".bin"):
            os.remove(os.path.join(HERE, old))
    run("kcat-list", lambda port: ["kcat", "-b", f"127.0.0.1:{port}", "-L", "-m", "3", "-X", "client.id=fixture-kcat"])
    run("kafka-python-producer", lambda port: [PYTHON, "-c", KAFKA_PYTHON_PRODUCER % port])
    run("kafka-python-consumer", lambda port: [PYTHON, "-c", KAFKA_PYTHON_CONSUMER % port])
    run("confluent-producer", lambda port: [PYTHON, "-c", CONFLUENT_PRODUCER % port])
    run("confluent-consumer", lambda port: [PYTHON, "-c", CONFLUENT_CONSUMER % port])


if __name__ == "__main__":
    main()
