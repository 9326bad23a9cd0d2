#!/usr/bin/env python3
"""Phases of every journal write from a trace written by a node built with trace.patch (see README.md).

  python3 tools/latency-trace/phases.py TRACE

Prints, per batch (PersistAsync to its callback): the wait before its journal transaction opened, the transaction
(BEGIN IMMEDIATE, INSERT, COMMIT), the way back to the callback; how many transactions opened between a batch's
PersistAsync and its own; and the journal BEGINs that waited while a snapshot-store transaction was open.
"""
import bisect
import sys

persists, opens, statements = [], [], []
for line in open(sys.argv[1]):
    f = line.split()
    if f[0] == "P":
        persists.append((int(f[1]), int(f[2])))
    elif f[0] == "O":
        opens.append((int(f[2]), "O", f[1], f[4], ""))
    elif f[0] == "S":
        statements.append((int(f[2]), "S", f[1], f[5], " ".join(f[6:])))

# One transaction: a connection taken from the pool (O), its statements, up to COMMIT/ROLLBACK.
transactions, current = [], {}
for t, kind, store, conn, sql in sorted(opens + statements):
    if kind == "O":
        current[conn] = {"store": store, "open": t, "stmts": []}
        continue
    tx = current.get(conn)
    if tx is None:
        continue
    tx["stmts"].append((t, sql))
    if sql.startswith(("COMMIT", "ROLLBACK")):
        transactions.append(tx)
        current[conn] = {"store": store, "open": t, "stmts": []}


def begin_end(tx):
    begin = next((t for t, s in tx["stmts"] if s.startswith("BEGIN")), tx["open"])
    return begin, tx["stmts"][-1][0]


writes = [x for x in transactions if x["store"] == "J" and any(s.startswith("INSERT") for _, s in x["stmts"])]
others = [x for x in transactions if x not in writes]
ends = [begin_end(x)[1] for x in writes]
starts = [x["open"] for x in writes]
rows = []
for started, called in persists:
    own = bisect.bisect_right(ends, called) - 1
    first = bisect.bisect_left(starts, started)
    if own < 0 or first >= len(starts):
        continue
    tx = writes[own]
    begin, end = begin_end(tx)
    rows.append({"total": called - started, "before": max(0, tx["open"] - started), "transaction": end - tx["open"],
                 "back": called - end, "waited_for": max(0, own - first)})


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * p))]


print(f"{len(persists)} batches, {len(writes)} journal write transactions, {len(others)} other transactions")
for key in ["total", "before", "transaction", "back"]:
    v = [r[key] / 1e6 for r in rows]
    print(f"{key:12s} ms  p50 {pct(v, .5):8.2f}  p99 {pct(v, .99):8.2f}  p99.9 {pct(v, .999):8.2f}  max {max(v):8.2f}")
slow = sorted(rows, key=lambda r: r["total"])[int(len(rows) * .99):]
print("transactions opened before a batch's own: p50", pct([r["waited_for"] for r in rows], .5),
      "; slowest 1 %:", pct([r["waited_for"] for r in slow], .5))
snapshot_spans = [(x["open"], begin_end(x)[1]) for x in others if x["store"] == "N"]
waits = []
for x in writes:
    begin, _ = begin_end(x)
    if begin - x["open"] > 0.5e6 and any(s < begin and e > x["open"] for s, e in snapshot_spans):
        waits.append((begin - x["open"]) / 1e6)
print(f"journal BEGINs over 0.5 ms while a snapshot transaction was open: {len(waits)}, {sum(waits):.1f} ms in all,"
      f" max {max(waits, default=0):.2f} ms")
