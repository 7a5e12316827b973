#!/usr/bin/env bash
# same_results.sh NAME MPIEXEC_COMMAND... -- MINE MINE_MPI ARGS...
# Runs `MINE -F json ARGS` and `MPIEXEC_COMMAND MINE_MPI -F json --timings ARGS` (host names read
# by both), and checks the two
# JSON reports are the same byte for byte, that there are rules in them (a comparison of two empty
# reports proves little), and that every rank read packets (so connections and windows cross the
# ranges; SAME_IDLE_RANKS: those ranks must read nothing), and that with several ranks rank 0
# measured no host rule's delays itself (rank 1 does).
# Leaves NAME.single.json, NAME.mpi.json and NAME.mpi.err behind for a look.
set -uo pipefail
name=$1
shift
launch=()
while [[ $# -gt 0 && $1 != -- ]]; do launch+=("$1"); shift; done
shift
mine=$1 mpi=$2
shift 2
"$mine" -q -F json "$@" >"$name.single.json" 2>"$name.single.err"
rc1=$?
"${launch[@]}" "$mpi" -q -F json --timings "$@" >"$name.mpi.json" 2>"$name.mpi.err"
rc2=$?
cat "$name.mpi.err" >&2
if [[ $rc1 != "$rc2" ]]; then
  echo "FAIL: expose-mine exited $rc1, expose-mine-mpi $rc2" >&2
  exit 1
fi
if ! cmp -s "$name.single.json" "$name.mpi.json"; then
  echo "FAIL: the JSON reports differ:" >&2
  diff "$name.single.json" "$name.mpi.json" | head -20 >&2
  exit 1
fi
rules=$(grep -c '"lhs"' "$name.single.json")
if ((rules == 0)); then
  echo "FAIL: no rules in the reports: the comparison proves little" >&2
  exit 1
fi
# The timings table: one line per rank after the header; a rank with 0 packets read nothing.
# SAME_IDLE_RANKS names the ranks that must read nothing (after damage in the file), else none may.
idle=$(awk '/^ *rank /{t++; next} t == 1 && $1 ~ /^[0-9]+$/ && $2 == 0 {print $1}' "$name.mpi.err" | xargs)
if [[ $idle != "${SAME_IDLE_RANKS:-}" ]]; then
  echo "FAIL: rank(s) '$idle' read no packet, expected '${SAME_IDLE_RANKS:-}' (none: else the test does not cross range boundaries)" >&2
  exit 1
fi
# Rank 1 measures the host rules' delays on two or more ranks; rank 0 measures them only if rank 1
# failed to (the same delays, so the JSON alone would not show it): none may be measured on rank 0.
ranks=$(awk '/^ *rank /{t++; next} t == 1 && $1 ~ /^[0-9]+$/ {n++} END {print n + 0}' "$name.mpi.err")
delays=$(grep -o "host rules' delays: [0-9]* taken from rank 1, [0-9]* measured on rank 0" "$name.mpi.err")
if [[ -z $delays ]]; then
  echo "FAIL: no line on the host rules' delays after the timings" >&2
  exit 1
fi
read -r taken measured < <(sed -E 's/[^0-9]*([0-9]+)[^0-9]*1, ([0-9]+).*/\1 \2/' <<<"$delays")
if ((ranks >= 2 && measured != 0)); then
  echo "FAIL: rank 0 measured $measured host rules' delays itself ($taken taken from rank 1): rank 1's answer was lost" >&2
  exit 1
fi
# Each rank's seconds waiting for others, per phase (after its CPU seconds), lie within the phase's
# wall time (printed to the millisecond).
waits=$(awk '/^ *rank /{t++; next}
  t == 1 && $1 ~ /^[0-9]+$/ {read[$1] = $3; merge[$1] = $4; count[$1] = $6; score[$1] = $7}
  t == 2 && $1 ~ /^[0-9]+$/ && NF == 11 {
    n++
    if ($7 > read[$1] + 0.002 || $8 > merge[$1] + 0.002 || $9 > count[$1] + 0.002 || $10 > score[$1] + 0.002 ||
        ($11 - $7 - $8 - $9 - $10)^2 > 0.000004) bad = bad " " $1
  }
  END {printf "%d%s", n, bad}' "$name.mpi.err")
if [[ $waits != "$ranks" ]]; then
  echo "FAIL: the waits after the CPU seconds: '$waits' (rows checked, then ranks waiting longer than a phase took; $ranks ranks)" >&2
  exit 1
fi
echo "same results: $rules rules, $(wc -c <"$name.single.json") bytes of JSON; host rules' delays: $taken from rank 1, $measured on rank 0"
