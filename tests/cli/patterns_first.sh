#!/usr/bin/env bash
# patterns_first.sh MINE DEMO: the text output reads patterns first. On the demo: 3 patterns from
# 3 rules and 2 alike to them (the mDNS clique's flows are active in the same windows), each rule
# listed once; with --all-rules the alike ones are listed too and --rules-per-pattern 1 counts what
# it leaves out; --rules all lists every rule after the patterns. On two real captures (with EXPOSE_TRACE_DIR): nfpuzzle_evidence04
# (378,865 rules) prints at most 100 lines and names all its patterns within the first 50;
# ppa_gnutella at most 60 lines. Under the sanitizers (EXPOSE_SANITIZED, scripts/sanitize.sh)
# ppa_gnutella alone: nfpuzzle_evidence04 takes 22 s there, and the sanitized unit tests mine it
# (real_traces_test.cpp); the plain suite runs both.
set -euo pipefail
mine=$1 demo=$2
fail() { echo "FAIL: $*"; exit 1; }
out=$("$mine" -q "$demo")
grep -q '^3 patterns, most significant first, from 3 rules (+2 alike)' <<<"$out" || fail "demo: not 3 patterns from 3 rules (+2 alike)"
[ "$(grep -c '^pattern [0-9]*: ' <<<"$out")" = 3 ] || fail "demo: not 3 pattern blocks"
[ "$(grep -cE '^ +[0-9]+  0[.][0-9]{4} ' <<<"$out")" = 3 ] || fail "demo: not each of the 3 rules once"
grep -q '  3 flows, 4 hosts, 1 rule (+2 alike);' <<<"$out" || fail "demo: the mDNS pattern does not count its alike rules"
one=$("$mine" -q --all-rules --rules-per-pattern 1 "$demo")
grep -q '^        [.][.][.] 2 more (--rules all, or --format json)$' <<<"$one" || fail "--rules-per-pattern 1: the 2 rules left out are not counted"
all=$("$mine" -q --rules all --rules-per-pattern 1 "$demo")
grep -q '^3 rules (+2 alike), most significant first' <<<"$all" || fail "--rules all: no full rule list"
[ "$(grep -cE '^ +[0-9]+  0[.][0-9]{4} ' <<<"$all")" = 6 ] || fail "--rules all: not 3 best rules and 3 in the list"
grep -q '^the flows of each pattern$' <<<"$all" || fail "--rules all: no flows of each pattern"
if [ -n "${EXPOSE_TRACE_DIR:-}" ] && [ -d "$EXPOSE_TRACE_DIR" ]; then
  if [ -z "${EXPOSE_SANITIZED:-}" ]; then
    scan=$("$mine" -q "$EXPOSE_TRACE_DIR/nfpuzzle_evidence04.pcap")
    lines=$(wc -l <<<"$scan")
    [ "$lines" -le 100 ] || fail "nfpuzzle_evidence04: $lines lines, more than 100"
    patterns=$(sed -n 's/^\([0-9]*\) patterns, most significant first.*/\1/p' <<<"$scan")
    [ "$(head -50 <<<"$scan" | grep -c '^pattern [0-9]*: ')" = "$patterns" ] || fail "nfpuzzle_evidence04: not all $patterns patterns in the first 50 lines"
    echo "ok: nfpuzzle_evidence04 $lines lines ($patterns patterns)"
  fi
  gnutella=$("$mine" -q "$EXPOSE_TRACE_DIR/ppa_gnutella.pcap" | wc -l)
  [ "$gnutella" -le 60 ] || fail "ppa_gnutella: $gnutella lines, more than 60"
  echo "ok: ppa_gnutella $gnutella lines"
fi
echo "ok: patterns first"
