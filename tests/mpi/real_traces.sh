#!/usr/bin/env bash
# real_traces.sh MPIEXEC_COMMAND... -- MINE MINE_MPI
# On real captures ($EXPOSE_TRACE_DIR; skipped with status 77 without it): expose-mine-mpi writes
# what expose-mine writes, byte for byte, with the host names the captures show and an inventory
# (JSON; text for two of them), and with --icmp-errors apart, which changes the rules of two of
# them (checked, so that the comparison tests the option); and on a capture damaged in its middle
# (edge/pcapfix_test_damaged.pcap: libpcap reads one record, then reports the dump truncated),
# where the ranks after the first must drop what they find past the damage, as one process never
# reads it (the same records, warning and exit status 3). Leaves real-*.single and real-*.mpi
# behind for a look.
set -uo pipefail
launch=()
while [[ $# -gt 0 && $1 != -- ]]; do launch+=("$1"); shift; done
shift
mine=$1 mpi=$2
dir=${EXPOSE_TRACE_DIR:-}
if [[ -z $dir || ! -d $dir ]]; then
  echo "SKIPPED: EXPOSE_TRACE_DIR is not set to the real captures" >&2
  exit 77
fi
printf 'address,name\n24.6.125.19,evil-host\n192.168.2.1,home-router\n' >real-inventory.csv
fail=0
same() {  # NAME ARGS...: the two tools' outputs, compared
  local name=$1
  shift
  "$mine" -q "$@" -o "real-$name.single" 2>/dev/null
  local rc1=$?
  "${launch[@]}" "$mpi" -q --timings "$@" -o "real-$name.mpi" 2>"real-$name.err"
  local rc2=$?
  # every rank read packets (so names and flows come from every range); the timings table's rows
  local idle
  idle=$(awk '/^ *rank /{t = !t; next} t && $1 ~ /^[0-9]+$/ && $2 == 0 {print $1}' "real-$name.err")
  if [[ -n $idle && -z ${IDLE_OK:-} ]]; then
    echo "FAIL $name: rank(s) $idle read no packet: the test does not cross range boundaries" >&2
    fail=1
  fi
  if [[ $rc1 != "$rc2" ]]; then
    echo "FAIL $name: expose-mine exited $rc1, expose-mine-mpi $rc2" >&2
    cat "real-$name.err" >&2
    fail=1
  elif ! cmp -s "real-$name.single" "real-$name.mpi"; then
    echo "FAIL $name: the outputs differ:" >&2
    diff "real-$name.single" "real-$name.mpi" | head -10 >&2
    fail=1
  fi
}
named=0
for t in honeynet2010-2_suspicious-time.pcap ppa_evilprogram.pcap slips_test7-malicious.pcap ustc_Tinba.pcap \
  wireshark_logistics_multicast.pcapng; do
  [[ -r $dir/$t ]] || { echo "FAIL: no $dir/$t" >&2; exit 1; }
  base=${t%%.*}
  same "$base.json" -F json "$dir/$t"
  named=$((named + $(grep -c '"source"' "real-$base.json.single")))
  case $base in
    ppa_evilprogram | slips_test7-malicious) same "$base.txt" --names real-inventory.csv "$dir/$t" ;;&
    ppa_evilprogram | ustc_Tinba) same "$base.apart.json" -F json --icmp-errors apart "$dir/$t" ;;
  esac
done
damaged=$dir/edge/pcapfix_test_damaged.pcap
[[ -r $damaged ]] || { echo "FAIL: no $damaged" >&2; exit 1; }
IDLE_OK=1 same pcapfix_test_damaged.json -F json "$damaged"
if ! grep -q '"damaged": true' real-pcapfix_test_damaged.json.mpi; then
  echo "FAIL: the damaged capture is not said damaged" >&2
  fail=1
fi
# Names were read (the JSON's host table lists each name with its source) ...
echo "names read from the captures: $named"
if ((named != 29)); then
  echo "FAIL: expected 29 names read from the captures, got $named" >&2
  fail=1
fi
# ... the inventory's names are shown beside their addresses ...
for pair in "ppa_evilprogram evil-host(24.6.125.19)" "slips_test7-malicious home-router(192.168.2.1)"; do
  set -- $pair
  if ! grep -qF "$2" "real-$1.txt.single"; then
    echo "FAIL: the inventory's $2 is not in the text of $1" >&2
    fail=1
  fi
done
# ... and --icmp-errors apart changes the rules of ppa_evilprogram and ustc_Tinba.
for base in ppa_evilprogram ustc_Tinba; do
  if [[ ! -s real-$base.apart.json.single ]] || cmp -s "real-$base.json.single" "real-$base.apart.json.single"; then
    echo "FAIL: --icmp-errors apart changed nothing on $base: the comparison does not test it" >&2
    fail=1
  fi
done
((fail == 0)) && echo "same outputs on 6 real captures, 10 runs"
exit $fail
