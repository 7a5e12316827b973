#!/usr/bin/env bash
# nfdump_csv.sh MINE DEMO NFPCAPD NFDUMP: turns the demo capture into nfdump flow records (1 s
# inactive timeout, so flows end between bursts), prints them as CSV and mines the CSV: the five
# planted rules of the demo must come back, over the demo's 1213 flows (three listed, two alike to
# the mDNS one; --all-rules lists all five).
set -euo pipefail
mine=$1 demo=$2 nfpcapd=$3 nfdump=$4
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
mkdir "$dir/nf"
"$nfpcapd" -r "$demo" -w "$dir/nf" -e 2,1 >/dev/null 2>&1
TZ=UTC "$nfdump" -R "$dir/nf" -o csv >"$dir/demo.csv"
out=$("$mine" -q "$dir/demo.csv")
printf '%s\n' "$out" | head -12
all=$("$mine" -q --all-rules --rules all "$dir/demo.csv")
grep -Eq '^expose 0.1.0: 3524 connection records, 3524 decoded; 1213 flows' <<<"$out" || { echo "FAIL: not the demo's 1213 flows"; exit 1; }
grep -q '^3 patterns, most significant first, from 3 rules (+2 alike)' <<<"$out" || { echo "FAIL: not 3 rules (+2 alike) in 3 patterns"; exit 1; }
for want in '10.0.0.30.50100 : 64.4.0.1.1863 : tcp <=> 10.0.0.30.50101 : 64.12.0.1.5190 : tcp' \
            '10.0.0.40.5353 : 10.0.0.42.5353 : udp <=> 10.0.0.40.5353 : 10.0.0.43.5353 : udp' \
            ': 10.0.0.21.123 : udp <=> '; do
  grep -qF -- "$want" <<<"$all" || { echo "FAIL: missing rule: $want"; exit 1; }
done
echo "ok: nfdump's CSV of the demo gives its five planted rules"
