#!/usr/bin/env bash
# patterns_first.sh MINE DEMO: the text output reads patterns first. On the demo: 3 patterns from
# 5 rules, each rule once; --rules-per-pattern 1 counts what it leaves out; --rules all lists every
# rule after the patterns. On two real captures (with EXPOSE_TRACE_DIR): nfpuzzle_evidence04
# (378,865 rules) prints at most 100 lines and names all its patterns within the first 50;
# ppa_gnutella at most 60 lines.
set -euo pipefail
mine=$1 demo=$2
fail() { echo "FAIL: $*"; exit 1; }
out=$("$mine" -q "$demo")
grep -q '^3 patterns, most significant first, from 5 rules' <<<"$out" || fail "demo: not 3 patterns from 5 rules"
[ "$(grep -c '^pattern [0-9]*: ' <<<"$out")" = 3 ] || fail "demo: not 3 pattern blocks"
[ "$(grep -cE '^ +[0-9]+  0[.][0-9]{4} ' <<<"$out")" = 5 ] || fail "demo: not each of the 5 rules once"
one=$("$mine" -q --rules-per-pattern 1 "$demo")
grep -q '^        [.][.][.] 2 more (--rules all, or --format json)$' <<<"$one" || fail "--rules-per-pattern 1: the 2 rules left out are not counted"
all=$("$mine" -q --rules all --rules-per-pattern 1 "$demo")
grep -q '^5 rules, most significant first' <<<"$all" || fail "--rules all: no full rule list"
grep -q '^the flows of each pattern$' <<<"$all" || fail "--rules all: no flows of each pattern"
if [ -n "${EXPOSE_TRACE_DIR:-}" ] && [ -d "$EXPOSE_TRACE_DIR" ]; then
  scan=$("$mine" -q "$EXPOSE_TRACE_DIR/nfpuzzle_evidence04.pcap")
  lines=$(wc -l <<<"$scan")
  [ "$lines" -le 100 ] || fail "nfpuzzle_evidence04: $lines lines, more than 100"
  patterns=$(sed -n 's/^\([0-9]*\) patterns, most significant first.*/\1/p' <<<"$scan")
  [ "$(head -50 <<<"$scan" | grep -c '^pattern [0-9]*: ')" = "$patterns" ] || fail "nfpuzzle_evidence04: not all $patterns patterns in the first 50 lines"
  gnutella=$("$mine" -q "$EXPOSE_TRACE_DIR/ppa_gnutella.pcap" | wc -l)
  [ "$gnutella" -le 60 ] || fail "ppa_gnutella: $gnutella lines, more than 60"
  echo "ok: nfpuzzle_evidence04 $lines lines ($patterns patterns), ppa_gnutella $gnutella lines"
fi
echo "ok: patterns first"
