#!/usr/bin/env bash
# Round trip through the node with kcat (Debian's kcat over librdkafka), an unmodified Kafka tool.
#
# usage: kcat_roundtrip.sh BOOTSTRAP TOPIC PARTITIONS [--group]
#
# kcat -L must list the topic with its partitions; kcat -P writes keyed records with headers to each partition;
# kcat -C -e reads each partition back with a format string, and the output must equal what was produced, record
# for record and in order. With --group, two kcat -G members of one group must between them read every record.
set -euo pipefail

bootstrap=$1 topic=$2 partitions=$3 group=${4:-}
records=50
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }

kcat -b "$bootstrap" -L -t "$topic" -m 10 > "$work/metadata" 2>&1 || fail "kcat -L failed: $(cat "$work/metadata")"
grep -q "topic \"$topic\" with $partitions partitions" "$work/metadata" || fail "kcat -L: $(cat "$work/metadata")"

for ((p = 0; p < partitions; p++)); do
  : > "$work/expected-$p"
  for ((i = 0; i < records; i++)); do
    echo "k$((i % 7))|p$p-v$i value with spaces" >> "$work/input-$p"
    printf '%s\t%s\t%s\t%s\n' "$p" "k$((i % 7))" "p$p-v$i value with spaces" "origin=kcat,partition=$p" >> "$work/expected-$p"
  done
  kcat -b "$bootstrap" -P -t "$topic" -p "$p" -K '|' -H origin=kcat -H "partition=$p" \
    -X acks=all -X linger.ms=5 < "$work/input-$p" 2> "$work/produce-$p.err" \
    || fail "kcat -P to partition $p failed: $(cat "$work/produce-$p.err")"
done
echo "produced $((records * partitions)) records"

for ((p = 0; p < partitions; p++)); do
  kcat -b "$bootstrap" -C -t "$topic" -p "$p" -o beginning -e -q -f '%p\t%k\t%s\t%h\n' > "$work/actual-$p" 2> "$work/consume-$p.err" \
    || fail "kcat -C of partition $p failed: $(cat "$work/consume-$p.err")"
  diff -u "$work/expected-$p" "$work/actual-$p" > "$work/diff-$p" || fail "partition $p differs:
$(head -40 "$work/diff-$p")"
done
echo "kcat -C: all $((records * partitions)) records back intact and in order"

if [ "$group" = "--group" ]; then
  gid="kcat-$(date +%s%N)"
  for m in 0 1; do
    timeout 60 kcat -b "$bootstrap" -G "$gid" -X auto.offset.reset=earliest -q -f '%p\t%o\n' "$topic" > "$work/member-$m" 2>&1 &
  done
  deadline=$((SECONDS + 60))
  while [ "$(cat "$work"/member-* | sort -u | wc -l)" -lt $((records * partitions)) ] && [ $SECONDS -lt $deadline ]; do
    sleep 0.5
  done
  kill $(jobs -p) 2>/dev/null || true
  wait || true
  got=$(cat "$work"/member-* | sort -u | wc -l)
  [ "$got" -eq $((records * partitions)) ] || fail "group: $got of $((records * partitions)) records read"
  echo "group: all records read by members of $gid"
fi
echo OK
