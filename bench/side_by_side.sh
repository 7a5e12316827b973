#!/usr/bin/env bash
# Side by side: expose-mine against the tools operators already run, on one generated trace.
#
#   bench/side_by_side.sh [--build DIR] [--rounds N] [--hosts H] [--duration D] [--trace FILE]
#                         [--tshark-timeout S] [--keep]
#
# Generates a trace with the project's generator (default 1000 hosts, 1 h, snap length 128: about
# 2.9 million packets), then runs, alternately and for several rounds:
#   tcpdump -r FILE -w /dev/null                 the bare libpcap read
#   nfpcapd -r FILE -w DIR                       nfdump's pcap-to-flow-records converter
#   argus -r FILE -w FILE.argus                  argus flow records
#   tshark -q -z conv,tcp -z conv,udp -r FILE    Wireshark's conversation tables (with a time limit)
#   expose-mine -q -o RULES FILE                 every rule, generic templates on (the default),
#                                                counting on every core (-j 0)
#   expose-mine -j 1 -q -o RULES FILE            the same, counting on one thread (the reader still
#                                                has a core of its own)
# and prints the median wall time, CPU time (user + system, every thread) and peak memory (GNU
# time) of each, and the ratios to expose-mine: the others are single-threaded, so the CPU column
# and the one-thread row compare the work done, the wall column what an operator waits.
# Installs what it needs from Debian when run as root. Times on a shared machine are noisy: the
# rounds alternate the tools so that load hits them alike, and only medians are reported.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
build="$here/build"
rounds=5
hosts=1000
duration=1h
trace=""
given=""
tshark_timeout=60
keep=0
while [ $# -gt 0 ]; do
  case "$1" in
    --build) build=$(cd "$2" && pwd); shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --hosts) hosts=$2; shift 2 ;;
    --duration) duration=$2; shift 2 ;;
    --trace) trace=$2; given=1; shift 2 ;;
    --tshark-timeout) tshark_timeout=$2; shift 2 ;;
    --keep) keep=1; shift ;;
    -h|--help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "side_by_side.sh: unknown option '$1' (try --help)" >&2; exit 2 ;;
  esac
done
case "$rounds" in ''|*[!0-9]*|0) echo "side_by_side.sh: --rounds: '$rounds' is not a positive count" >&2; exit 2 ;; esac

# What the run needs, from Debian.
need=()
command -v tcpdump >/dev/null || need+=(tcpdump)
command -v nfpcapd >/dev/null || need+=(nfdump)
command -v argus >/dev/null || need+=(argus-server)
command -v tshark >/dev/null || need+=(tshark)
command -v capinfos >/dev/null || need+=(tshark)
[ -x /usr/bin/time ] || need+=(time)
command -v timeout >/dev/null || need+=(coreutils)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "side_by_side.sh: missing ${need[*]}; run as root to install them (apt-get)" >&2
    exit 1
  fi
  echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${need[@]}" >/dev/null
fi
mine="$build/examples/expose-mine"
synth="$build/examples/expose-synth"
for tool in "$mine" "$synth"; do
  [ -x "$tool" ] || { echo "side_by_side.sh: $tool is not built (cmake --build $build)" >&2; exit 1; }
done

work=$(mktemp -d "${TMPDIR:-/tmp}/expose-sbs.XXXXXX")
[ "$keep" = 1 ] || trap 'rm -rf "$work"' EXIT
if [ -z "$trace" ]; then
  trace="$work/trace.pcap"
  "$synth" --seed 1 --duration "$duration" --hosts "$hosts" --snaplen 128 -o "$trace" >/dev/null
fi
packets=$(capinfos -c -M "$trace" | awk -F: '/Number of packets/ {gsub(/ /, "", $2); print $2}')
bytes=$(stat -c %s "$trace")

tools=(tcpdump nfpcapd argus tshark expose-mine expose-mine-1t)
run() {  # run TOOL: one timed run; appends "wall_s peak_kb cpu_s status" to $work/TOOL.times
  local tool=$1 out="$work/out.$1"
  rm -rf "$out"; mkdir -p "$out"
  local cmd
  case "$tool" in
    tcpdump) cmd=(tcpdump -r "$trace" -w /dev/null) ;;
    nfpcapd) cmd=(nfpcapd -r "$trace" -w "$out") ;;
    argus) cmd=(argus -r "$trace" -w "$out/flows.argus") ;;
    tshark) cmd=(timeout "$tshark_timeout" tshark -q -z conv,tcp -z conv,udp -r "$trace") ;;
    expose-mine) cmd=("$mine" -q -o "$out/rules.txt" "$trace") ;;
    expose-mine-1t) cmd=("$mine" -j 1 -q -o "$out/rules.txt" "$trace") ;;
  esac
  local status=0
  /usr/bin/time -f "%e %M %U %S" -o "$work/time.$tool" "${cmd[@]}" >"$out/stdout" 2>"$out/stderr" || status=$?
  # GNU time prefixes a line when the command fails; the figures are on the last line.
  echo "$(tail -n 1 "$work/time.$tool" | awk '{printf "%s %s %.2f", $1, $2, $3 + $4}') $status" >>"$work/$tool.times"
}
median() {  # median FIELD FILE
  cut -d' ' -f"$1" "$2" | sort -g | awk '{v[NR] = $1} END {if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2}'
}

if [ -n "$given" ]; then
  echo "trace: $trace: $packets packets, $bytes bytes; $rounds rounds"
else
  echo "trace: $packets packets, $bytes bytes ($hosts hosts, $duration, snap length 128); $rounds rounds"
fi
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo), $(. /etc/os-release && echo "$PRETTY_NAME"), load $(cut -d' ' -f1-3 /proc/loadavg)"
for r in $(seq 1 "$rounds"); do
  for tool in "${tools[@]}"; do run "$tool"; done
  echo "round $r done"
done

read -r mine_wall < <(median 1 "$work/expose-mine.times")
read -r mine_kb < <(median 2 "$work/expose-mine.times")
read -r mine_cpu < <(median 3 "$work/expose-mine.times")
printf '\n%-15s %8s %8s %10s %11s %10s %10s  %s\n' tool "wall s" "CPU s" "peak MiB" "wall ratio" "CPU ratio" "mem ratio" "note"
for tool in "${tools[@]}"; do
  wall=$(median 1 "$work/$tool.times")
  kb=$(median 2 "$work/$tool.times")
  cpu=$(median 3 "$work/$tool.times")
  note=""
  if [ "$tool" = tshark ] && grep -q ' 124$' "$work/tshark.times"; then
    note="stopped at the ${tshark_timeout} s limit in $(grep -c ' 124$' "$work/tshark.times") of $rounds rounds: its wall time is a lower bound"
    wall=">$wall"
  elif awk '$4 != 0 {bad = 1} END {exit !bad}' "$work/$tool.times"; then
    note="failed in some rounds (see $work/out.$tool/stderr)"
  fi
  awk -v t="$tool" -v w="$wall" -v k="$kb" -v c="$cpu" -v mw="$mine_wall" -v mk="$mine_kb" -v mc="$mine_cpu" -v n="$note" 'BEGIN {
    ww = w; sub(/^>/, "", ww); gt = (w ~ /^>/) ? ">" : "";
    printf "%-15s %8s %8.2f %10.1f %11s %9.2fx %9.2fx  %s\n", t, w, c, k / 1024, gt sprintf("%.2fx", ww / mw), (mc > 0 ? c / mc : 0), k / mk, n }'
done
echo
echo "ratios are the tool's median over expose-mine's (above 1: expose-mine is faster / smaller)"
echo "expose-mine: $(grep -Eo '^[0-9]+ patterns?, most significant first, from [0-9]+ rules?' "$work/out.expose-mine/rules.txt" ||
  grep -Eo '^[0-9]+ rules?' "$work/out.expose-mine/rules.txt" || echo "no rules");" \
  "nfpcapd: $(ls "$work/out.nfpcapd" | grep -c '^nfcapd\.') flow files"
