#!/usr/bin/env bash
# What the significance test costs: expose-mine on one generated trace with the test off
# (--fdr 1), with the original null model (--null whole-trace) and with the default one
# (--null alive), alternately for several rounds; prints the median wall and CPU time (user + sys)
# and peak memory of each and their ratios to the run without the test.
#
#   bench/null_cost.sh [--build DIR] [--rounds N] [--hosts H] [--duration D] [--trace FILE] [--threads J]
#
# Default: 1000 hosts, 1 h, snap length 128 (the trace of the README's side-by-side table),
# 5 rounds, every core (-j 0). Needs GNU time (Debian: time).
set -euo pipefail
build=build rounds=5 hosts=1000 duration=1h trace="" threads=0
while [ $# -gt 0 ]; do
  case $1 in
    --build) build=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --hosts) hosts=$2; shift 2 ;;
    --duration) duration=$2; shift 2 ;;
    --trace) trace=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    *) echo "bench/null_cost.sh: unknown option '$1'" >&2; exit 2 ;;
  esac
done
mine="$build/examples/expose-mine"
[ -x "$mine" ] || { echo "bench/null_cost.sh: no $mine (build first)" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "bench/null_cost.sh: needs GNU time (apt-get install time)" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
if [ -z "$trace" ]; then
  trace="$work/trace.pcap"
  "$build/examples/expose-synth" --seed 1 --hosts "$hosts" --duration "$duration" --snaplen 128 -o "$trace" >/dev/null 2>&1
fi
modes=("no-test:--fdr 1" "whole-trace:--null whole-trace" "alive:--null alive")
for ((r = 1; r <= rounds; r++)); do
  for m in "${modes[@]}"; do
    name=${m%%:*} args=${m#*:}
    # shellcheck disable=SC2086
    /usr/bin/time -f "%e %U %S %M" -o "$work/t" "$mine" -q -j "$threads" $args -o "$work/$name.txt" "$trace"
    echo "$name $(cat "$work/t")" >>"$work/times"
  done
done
rules() { sed -n 's/.* from \([0-9]*\) rules\{0,1\} .*/\1/p; s/^\([0-9]*\) rules\{0,1\}, most.*/\1/p' "$work/$1.txt" | head -1; }
echo "expose-mine on $(basename "$trace"), medians of $rounds alternating rounds:"
printf '%-12s %8s %8s %8s %8s  %s\n' test wall cpu "MB" rules "wall / no-test"
base=""
for m in "${modes[@]}"; do
  name=${m%%:*}
  median() { awk -v n="$name" -v f="$1" '$1 == n { print (f == "cpu" ? $3 + $4 : f == "mb" ? $5 / 1024 : $2) }' "$work/times" |
              sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
  wall=$(median wall) cpu=$(median cpu) mb=$(median mb)
  [ -n "$base" ] || base=$wall
  printf '%-12s %7.2fs %7.2fs %8.0f %8s  %.3f\n' "$name" "$wall" "$cpu" "$mb" "$(rules "$name")" "$(awk -v a="$wall" -v b="$base" 'BEGIN { print a / b }')"
done
