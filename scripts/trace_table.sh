#!/usr/bin/env bash
# trace_table.sh [TRACE_DIR]: the README's table of every capture in ../shared/traces (and edge/),
# our figures beside tshark's. Ours: expose-mine's JSON (records read, decoded, skipped by reason,
# flows of every protocol, and of TCP and UDP). tshark's: frames read, frames with an IP header (outermost or tunnelled),
# and TCP plus UDP conversations (its `-z conv` tables: 5-tuples over the whole file, no timeout).
# Needs build/examples/expose-mine, tshark and python3.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-${EXPOSE_TRACE_DIR:-../shared/traces}}
mine=build/examples/expose-mine
echo "| file | read | decoded | skipped (reason: count) | flows | of them TCP+UDP | tshark frames | tshark IP frames | tshark TCP+UDP conversations |"
echo "|---|---:|---:|---|---:|---:|---:|---:|---:|"
find "$dir" \( -name '*.pcap' -o -name '*.pcapng' \) | sort | while read -r f; do
  name=${f#"$dir"/}
  ours=$( ("$mine" -q -F json -t 1 "$f" 2>/dev/null || true) | python3 -c '
import json, sys
i = json.load(sys.stdin)["input"]
skipped = ", ".join(f"{k}: {v}" for k, v in sorted(i["skipped"].items())) or "–"
if i["damaged"]: skipped += " (damaged)"
by = i["flows_by_protocol"]
print(" | ".join(str(x) for x in (i["packets"], i["decoded"], skipped, i["flows"], by.get("tcp", 0) + by.get("udp", 0))))' || echo "error | | | | ")
  frames=$( (tshark -r "$f" -T fields -e frame.number 2>/dev/null || true) | wc -l)
  ipf=$( (tshark -r "$f" -Y "ip or ipv6" -T fields -e frame.number 2>/dev/null || true) | wc -l)
  conv=$( (tshark -r "$f" -q -z conv,tcp -z conv,udp 2>/dev/null || true) | grep -cE '<->' || true)
  echo "| $name | $ours | $frames | $ipf | $conv |"
done
