#!/usr/bin/env bash
# scripts/accuracy_grid.sh [BUILD] [DURATIONS] [HOSTS] [NOISES] [MINE OPTIONS...]: the README's
# synthetic accuracy grid. Each cell: expose-synth --seed 1 --snaplen 128 --duration D --hosts H
# --noise R with the ground truth, expose-mine -F json (default options unless given), then
# expose-accuracy; prints one line a cell: duration, hosts, noise, recall, precision (over the
# listed rules), the same with rules alike to another counted one by one, and the false rules.
#   scripts/accuracy_grid.sh build "10m 1h" "10 100 500 2000" "1 10 50"
#   scripts/accuracy_grid.sh build "10m" "100" "10" --null whole-trace
set -euo pipefail
build=${1:-build}
durations=${2:-"10m 1h"}
hosts_list=${3:-"10 100 500 2000"}
noises=${4:-"1 10 50"}
shift $(( $# < 4 ? $# : 4 ))
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
printf '%-8s %6s %6s  %-8s %-18s %-18s %s\n' duration hosts noise recall precision "with alike" false
for d in $durations; do
  for h in $hosts_list; do
    for n in $noises; do
      "$build/examples/expose-synth" --seed 1 --snaplen 128 --duration "$d" --hosts "$h" --noise "$n" \
        --truth "$work/t.json" -o "$work/g.pcap" >/dev/null 2>&1
      "$build/examples/expose-mine" -q -F json -o "$work/r.json" "$@" "$work/g.pcap"
      out=$("$build/examples/expose-accuracy" --truth "$work/t.json" "$work/r.json")
      recall=$(awk '/^recall/{print $2}' <<<"$out")
      precision=$(awk '/^precision/{print $2, $4}' <<<"$out")
      alike=$(awk '/^with alike/{print $3, $5}' <<<"$out")
      false_rules=$(awk '/false rules? [(]rank/{print $1}' <<<"$out")
      printf '%-8s %6s %6s  %-8s %-18s %-18s %s\n' "$d" "$h" "$n" "$recall" "$precision" "${alike:-same}" "${false_rules:-0}"
    done
  done
done
