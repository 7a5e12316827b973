#!/usr/bin/env bash
# delays_tshark.sh EXPOSE_MINE: a rule's delays on a real capture against Wireshark's own clock. On
# honeynet2010-2_suspicious-time.pcap the rule between each client's name lookups (from port 1029
# to 192.168.1.1:53) and its web connections to www.honeynet.org (64.236.114.1:80) is measured by
# expose-mine; the same delays are computed again from tshark's timestamps: per client and second
# (the window), the first packet of the lookup flow and the first of a web connection, the latter
# minus the former, quantiles as numpy's default (type 7). The two must agree within 0.05 ms (a
# window's 65536th is 0.015 ms). Skipped (77) without EXPOSE_TRACE_DIR or tshark.
set -euo pipefail
mine=$1
trace="${EXPOSE_TRACE_DIR:-}/honeynet2010-2_suspicious-time.pcap"
[ -n "${EXPOSE_TRACE_DIR:-}" ] && [ -r "$trace" ] || { echo "SKIPPED: EXPOSE_TRACE_DIR is not set"; exit 77; }
command -v tshark >/dev/null || { echo "SKIPPED: tshark is not installed (Debian package tshark)"; exit 77; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$mine" -q -F json -o "$work/rules.json" "$trace"
tshark -r "$trace" -T fields -E separator=, -e frame.time_epoch -e ip.src -e ip.dst -e ip.proto -e udp.srcport -e udp.dstport \
  -e tcp.srcport -e tcp.dstport >"$work/packets.csv" 2>/dev/null
python3 - "$work/rules.json" "$work/packets.csv" <<'PY'
import json, math, sys
from decimal import Decimal
rules = json.load(open(sys.argv[1]))["rules"]
lookup_text = "$A.1029 : 192.168.1.1.53 : udp"
web_text = "$A.* : 64.236.114.1.80 : tcp"
found = [r for r in rules if sorted(r["text"].split(" <=> ")) == sorted([lookup_text, web_text])]
assert len(found) == 1, f"no single rule between {lookup_text} and {web_text}"
rule = found[0]
lookup_first = rule["text"].startswith(lookup_text)
first = {}  # (kind, host, second) -> first timestamp
for line in open(sys.argv[2]):
    f = line.rstrip("\n").split(",")
    if len(f) < 8 or not f[0] or not f[1]:
        continue
    ts, src, dst, proto = Decimal(f[0]), f[1], f[2], f[3]
    kind = host = None
    if proto == "17" and (src, f[4], dst, f[5])[1:] == ("1029", "192.168.1.1", "53"):
        kind, host = "lookup", src
    elif proto == "17" and (dst, f[5], src, f[4])[1:] == ("1029", "192.168.1.1", "53"):
        kind, host = "lookup", dst
    elif proto == "6" and dst == "64.236.114.1" and f[7] == "80":
        kind, host = "web", src
    elif proto == "6" and src == "64.236.114.1" and f[6] == "80":
        kind, host = "web", dst
    if kind is None:
        continue
    key = (kind, host, int(ts // 1))
    if key not in first or ts < first[key]:
        first[key] = ts
delays = []
for (kind, host, second), ts in first.items():
    if kind == "lookup" and ("web", host, second) in first:
        d = float(first[("web", host, second)] - ts) * 1000
        delays.append(d if lookup_first else -d)
delays.sort()
def quantile(q):
    h = q * (len(delays) - 1)
    lo = math.floor(h)
    hi = min(lo + 1, len(delays) - 1)
    return delays[lo] + (h - lo) * (delays[hi] - delays[lo])
ours = rule["delay"]
print(f"expose-mine: {rule['text']}: median {ours['median_ms']:.3f} ms, p25 {ours['p25_ms']:.3f}, p75 {ours['p75_ms']:.3f}, {ours['samples']} samples, {ours['hosts']} hosts")
print(f"tshark:      median {quantile(0.5):.3f} ms, p25 {quantile(0.25):.3f}, p75 {quantile(0.75):.3f}, {len(delays)} samples")
assert ours["samples"] == len(delays) == 4, (ours["samples"], len(delays))
assert ours["hosts"] == 2, ours["hosts"]
for name, q in (("median_ms", 0.5), ("p25_ms", 0.25), ("p75_ms", 0.75)):
    assert abs(ours[name] - quantile(q)) <= 0.05, (name, ours[name], quantile(q))
print("ok: the delays agree with tshark's timestamps within 0.05 ms")
PY
