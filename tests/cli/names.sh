#!/usr/bin/env bash
# names.sh MINE DEMO: host names beside addresses. An inventory (--names FILE) names the demo's
# NTP server in the text (rules and the pattern's names line), the JSON hosts table and the DOT
# labels; --names off shows none; a missing file or a bad line is refused, naming the file and
# line. With EXPOSE_TRACE_DIR: slips_test7-malicious.pcap names its Raspberry Pi from the trace
# itself (DHCP host name and mDNS).
set -euo pipefail
mine=$1 demo=$2
fail() { echo "FAIL: $*"; exit 1; }
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
printf 'address,name\n10.0.0.1,ntp1\n' >"$dir/hosts.csv"

text=$("$mine" -q --names "$dir/hosts.csv" "$demo")
grep -q ' ntp1(10[.]0[.]0[.]1)[.]123 : udp' <<<"$text" || fail "text: no rule with ntp1(10.0.0.1).123"
grep -qx '  names: ntp1(10[.]0[.]0[.]1)' <<<"$text" || fail "text: no names line for the NTP pattern"
json=$("$mine" -q -F json --names "$dir/hosts.csv" "$demo")
tr -d ' \n' <<<"$json" | grep -q '"hosts":\[{"address":"10.0.0.1","names":\[{"name":"ntp1","source":"inventory"}\]}\]' ||
  fail "json: no hosts table naming 10.0.0.1 ntp1 from the inventory"
dot=$("$mine" -q -F dot --names "$dir/hosts.csv" "$demo")
grep -q 'label="10[.]0[.]0[.]2[0-9][.]123 : ntp1(10[.]0[.]0[.]1)[.]123 : udp"' <<<"$dot" || fail "dot: no node labelled with ntp1(10.0.0.1)"
off=$("$mine" -q --names off "$demo")
if grep -q 'ntp1\|names:' <<<"$off"; then fail "--names off: names shown"; fi
json_off=$("$mine" -q -F json --names off "$demo")
python3 -c 'import json, sys; sys.exit(1 if "hosts" in json.load(sys.stdin) else 0)' <<<"$json_off" ||
  fail "--names off: a hosts table in the JSON"

# refused FILE MESSAGE: --names FILE makes expose-mine exit 1 with MESSAGE.
refused() {
  local out rc=0
  out=$("$mine" -q --names "$1" "$demo" 2>&1) || rc=$?
  [ "$rc" = 1 ] || fail "--names $1: exit $rc, not 1"
  grep -qF "$2" <<<"$out" || fail "--names $1: message was: $out"
}
refused "$dir/none.csv" "expose-mine: --names: cannot read '$dir/none.csv'"
printf '10.0.0.1,ntp1\nntp2\n' >"$dir/bad.csv"
refused "$dir/bad.csv" "expose-mine: --names: $dir/bad.csv:2: expected 'address,name', got 'ntp2'"

if [ -n "${EXPOSE_TRACE_DIR:-}" ] && [ -d "$EXPOSE_TRACE_DIR" ]; then
  slips=$("$mine" -q "$EXPOSE_TRACE_DIR/slips_test7-malicious.pcap")
  grep -q 'black-pearl(192[.]168[.]2[.]16)' <<<"$slips" || fail "slips_test7: black-pearl(192.168.2.16) not named"
  echo "ok: slips_test7-malicious names $(grep -c 'black-pearl(192[.]168[.]2[.]16)' <<<"$slips") lines with black-pearl"
fi
echo "ok: names"
