#!/usr/bin/env python3
"""Medians of side-by-side's figures as the table of issue #16: one row per figure, one column per system."""
import json
import statistics
import sys
from collections import defaultdict

ROWS = [
    ("throughput", "produce_records_per_s", "1,000,000 × 100 B: produce rec/s"),
    ("throughput", "consume_records_per_s", "1,000,000 × 100 B: consume rec/s"),
    ("paced", "ack_p50_ms", "100 B paced at 10,000/s: ack p50 ms"),
    ("paced", "ack_p99_ms", "100 B paced: ack p99 ms"),
    ("paced", "ack_p99_9_ms", "100 B paced: ack p99.9 ms"),
    ("paced", "e2e_p50_ms", "100 B paced: end-to-end p50 ms"),
    ("paced", "e2e_p99_ms", "100 B paced: end-to-end p99 ms"),
    ("large", "produce_records_per_s", "200,000 × 1 KiB: produce rec/s"),
    ("large", "consume_records_per_s", "200,000 × 1 KiB: consume rec/s"),
    ("throughput", "node_peak_rss_mib", "server peak RSS, 100 B run MiB"),
    ("paced", "node_peak_rss_mib", "server peak RSS, paced run MiB"),
    ("large", "node_peak_rss_mib", "server peak RSS, 1 KiB run MiB"),
]
SYSTEMS = ["platform", "redis", "nats"]

figures = defaultdict(list)
loads = []
with open(sys.argv[1]) as results:
    for line in results:
        run = json.loads(line)
        loads.append(run.get("load_average_start", "?"))
        for key, value in run.items():
            if isinstance(value, (int, float)):
                figures[(run["system"], run["scenario"], key)].append(value)

print("| figure (median) | Platform | Redis Streams | NATS JetStream |")
print("|---|---|---|---|")
for scenario, key, label in ROWS:
    cells = []
    for system in SYSTEMS:
        values = figures.get((system, scenario, key))
        cells.append(f"{statistics.median(values):,.2f}".rstrip("0").rstrip(".") + f" (n={len(values)})" if values else "–")
    if any(c != "–" for c in cells):
        print(f"| {label} | " + " | ".join(cells) + " |")
print(f"\nload averages at the start of each run: {', '.join(loads)}")
