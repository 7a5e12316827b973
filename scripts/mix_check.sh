#!/usr/bin/env bash
# scripts/mix_check.sh BUILD TRACE_DIR [NULL...]: the known answer on real traffic. Independent
# real captures, each given its own addresses by expose-synth --background, are played over one
# another; a rule whose sides name hosts of two captures is false by construction. Arrangements:
#   together   every capture (the 10 of TRACE_DIR and 6 intact ones of TRACE_DIR/edge) from one start
#   spread-1   the same, each from a random instant (--spread 1)
#   spread-2   the same, --spread 2
#   planted    the captures shorter than 30 min under a generated trace with the 14 planted
#              patterns (100 hosts, 30 min, default noise and heavy flows), from one start
# scripts/mix_check.sh BUILD --captures LIST [NULL...] does the same over the captures named in the
# file LIST (one path a line, # starts a comment): a held-out set. Their lengths are read with
# capinfos (Wireshark's), to choose the planted arrangement's short captures.
# For each arrangement and null model (default: whole-trace alive) it prints the rules, the
# cross-source rules, the source precision (rules not crossing / all rules), the recall of the
# planted patterns, the rules inside one capture and how many captures have any.
set -euo pipefail
usage="usage: scripts/mix_check.sh BUILD TRACE_DIR [NULL...] | BUILD --captures LIST [NULL...]"
build=${1:?$usage}
traces=${2:?$usage}
shift 2
all=()
short=()
if [ "$traces" = --captures ]; then
  list=${1:?$usage}
  shift
  [ -r "$list" ] || { echo "mix_check.sh: cannot read the capture list '$list'" >&2; exit 2; }
  command -v capinfos >/dev/null || { echo "mix_check.sh: --captures needs capinfos (apt-get install tshark)" >&2; exit 2; }
  while IFS= read -r line; do
    line=${line%%#*}
    line=$(echo "$line" | xargs)
    [ -n "$line" ] || continue
    [ -r "$line" ] || { echo "mix_check.sh: cannot read the capture '$line' named in '$list'" >&2; exit 2; }
    all+=("$line")
    seconds=$(capinfos -M -T -r -u "$line" | awk -F'\t' '{ print int($2) }')
    [ "$seconds" -ge 1800 ] || short+=("$line")
  done <"$list"
  [ ${#all[@]} -ge 2 ] || { echo "mix_check.sh: '$list' names fewer than two captures" >&2; exit 2; }
else
  all=("$traces"/*.pcap "$traces"/*.pcapng)
  for f in tcpdump_QinQpacket.pcap tcpdump_mpls-traceroute.pcap zeek_gre-aruba.pcap wireshark_grpc_web_nulllink.pcapng \
           wireshark_dhcp-nanosecond.pcap chrissanders_http_ip4and6.pcapng; do
    all+=("$traces/edge/$f")
  done
  for f in "${all[@]}"; do
    case "$f" in *ppa_evilprogram* | *grpc_web_nulllink*) ;; *) short+=("$f") ;; esac  # 5.7 h and 10.6 h long
  done
fi
nulls=("$@")
[ ${#nulls[@]} -gt 0 ] || nulls=(whole-trace alive)
work=${EXPOSE_MIX_DIR:-$(mktemp -d)}
mkdir -p "$work"
off=()
for p in dns-before-web ftp-control-data mail-dead-hosts ntp-lockstep ssh-scan imap-imaps dhcp llmnr-dns-wins \
         mdns-advert im-msn-aol web-crawler traceroute p2p; do
  off+=(--rate "$p=0")
done
synth="$build/examples/expose-synth"
"$synth" --seed 1 --hosts 10 --noise 0 --heavy 0 "${off[@]}" -d 30m --background "${all[@]}" --truth "$work/together.json" -o "$work/together.pcap" 2>/dev/null
"$synth" --seed 1 --hosts 10 --noise 0 --heavy 0 "${off[@]}" -d 30m --background "${all[@]}" --spread 1 --truth "$work/spread-1.json" -o "$work/spread-1.pcap" 2>/dev/null
"$synth" --seed 1 --hosts 10 --noise 0 --heavy 0 "${off[@]}" -d 30m --background "${all[@]}" --spread 2 --truth "$work/spread-2.json" -o "$work/spread-2.pcap" 2>/dev/null
"$synth" --seed 1 --hosts 100 --snaplen 128 -d 30m --background "${short[@]}" --truth "$work/planted.json" -o "$work/planted.pcap" 2>/dev/null
printf '| %-10s | %-11s | %5s | %5s | %-16s | %-7s | %s |\n' arrangement null rules cross "source precision" recall "in-capture rules (captures)"
for m in together spread-1 spread-2 planted; do
  for n in "${nulls[@]}"; do
    "$build/examples/expose-mine" -q --null "$n" -F json -o "$work/$m-$n.rules.json" "$work/$m.pcap"
    "$build/examples/expose-accuracy" --format json --truth "$work/$m.json" "$work/$m-$n.rules.json" >"$work/$m-$n.accuracy.json"
    python3 - "$work/$m-$n.accuracy.json" "$m" "$n" <<'PY'
import json, sys
a = json.load(open(sys.argv[1]))
rules = a.get("rules_total", a.get("rules", 0))
if isinstance(rules, list): rules = len(rules)
cross = a["cross_source"]
sp = a["source_precision"]
recall = f'{a["found"]}/{a["planted"]}' if a.get("planted") else "-"
caps = [s for s in a["sources"] if s.get("name") != "generated"]
in_capture = sum(s.get("rules", 0) for s in caps)
with_rules = sum(1 for s in caps if s.get("rules", 0) > 0)
print(f'| {sys.argv[2]:<10} | {sys.argv[3]:<11} | {rules:5} | {cross:5} | {100*sp:15.1f}% | {recall:<7} | {in_capture} ({with_rules} of {len(caps)}) |')
PY
  done
done
