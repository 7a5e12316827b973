#!/usr/bin/env bash
# db_day_over_day.sh EXPOSE_SYNTH EXPOSE_MINE EXPOSE_DB: the README's example. Two days of one
# site made by the generator with the same seed: Monday without the ssh scan, Tuesday without
# IMAP/IMAPS. `diff` must show the scan's three rules as new, the IMAP rule as gone, the rest persistent.
set -u
synth=$1 mine=$2 db_tool=$3
fail() { echo "FAIL: $*"; exit 1; }
rm -f days.db days.db-wal days.db-shm
"$synth" --seed 7 --duration 10m --hosts 20 --noise 2 --rate ssh-scan=0 -o monday.pcap >/dev/null || fail "synth monday"
"$synth" --seed 7 --duration 10m --hosts 20 --noise 2 --rate imap-imaps=0 -o tuesday.pcap >/dev/null || fail "synth tuesday"
"$mine" -q -F json -o monday.json monday.pcap || fail "mine monday"
"$mine" -q -F json -o tuesday.json tuesday.pcap || fail "mine tuesday"
out=$("$db_tool" --db days.db add --site campus --run monday monday.json) || fail "add monday: $out"
[ "$out" = "added run monday to site campus: 185 rules, 185 new, 0 known" ] || fail "add monday said: $out"
out=$("$db_tool" --db days.db add --site campus --run tuesday tuesday.json) || fail "add tuesday: $out"
[ "$out" = "added run tuesday to site campus: 187 rules, 3 new, 184 known" ] || fail "add tuesday said: $out"
diff=$("$db_tool" --db days.db diff --site campus --run tuesday) || fail "diff: $diff"
expected_head="site campus, run tuesday (2026-01-05 08:00:00, 187 rules) against the previous run monday (2026-01-05 08:00:00, 185 rules): 3 new, 1 gone, 184 persistent

new: 3 rules no earlier run of the site reported (rank, score, support, runs that saw it, first run, rule)
   1  0.0138      21/21         1 run   since tuesday  \$A.* : 10.0.0.1.22 : tcp <=> \$A.* : 10.0.0.3.22 : tcp
   2  0.0126      21/25         1 run   since tuesday  \$A.* : 10.0.0.2.22 : tcp <=> \$A.* : 10.0.0.3.22 : tcp
   3  0.0119      19/21         1 run   since tuesday  \$A.* : 10.0.0.1.22 : tcp <=> \$A.* : 10.0.0.2.22 : tcp

gone: 1 rule of monday that tuesday lacks (rank, score, support, runs that saw it, last run, rule)
   1  0.0116      18/20         1 run   last monday  \$A.* : 10.0.0.143.143 : tcp <=> \$A.* : 10.0.0.143.993 : tcp

persistent: 184 rules seen before and again in tuesday (rank, score, support, runs that saw it, first run, rule)"
[ "$(head -n 11 <<<"$diff")" = "$expected_head" ] || { printf 'FAIL: diff begins:\n%s\n' "$(head -n 11 <<<"$diff")"; exit 1; }
[ "$(grep -c ' 2 runs  since monday ' <<<"$diff")" = 184 ] || fail "not 184 persistent rules seen in 2 runs"
"$db_tool" --db days.db diff --site campus --run tuesday --format json >days-diff.json || fail "diff json"
python3 - days-diff.json <<'PY' || fail "diff --format json"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["tool"] == "expose-db" and d["site"] == "campus", d.keys()
assert d["run"]["name"] == "tuesday" and d["previous"]["name"] == "monday"
assert [len(d[k]) for k in ("new", "gone", "persistent")] == [3, 1, 184]
r = d["new"][0]
for k in ("lhs", "rhs", "kind", "score", "reverse_score", "support", "lhs_count", "rhs_count", "samples", "confidence", "text", "order", "lag_windows"):
    assert k in r, k
assert r["text"] == "$A.* : 10.0.0.1.22 : tcp <=> $A.* : 10.0.0.3.22 : tcp", r["text"]
assert r["runs_seen"] == 1 and r["first_run"] == "tuesday"
assert d["gone"][0]["last_run"] == "monday"
assert all(p["runs_seen"] == 2 for p in d["persistent"])
PY
# expose-mine adds a run itself and marks each rule: Wednesday is Tuesday again.
marked=$("$mine" -q --db days.db --site campus --run wednesday tuesday.pcap 2>&1) || fail "mine --db: $marked"
grep -q "expose-mine: added run wednesday to site campus in 'days.db': 0 new, 187 known" <<<"$marked" || fail "mine --db said: $marked"
grep -Eq "^   1  0.1955      34/38      known:3  10.0.0.25.[*] : 10.0.2.26.25 : tcp <=> 10.0.0.25.[*] : 10.0.2.25.25 : tcp   [(]together[)]$" <<<"$marked" ||
  fail "no marker column: $(head -5 <<<"$marked")"
grep -Eq "known:2  [$]A.[*] : 10.0.0.1.22 : tcp" <<<"$marked" || fail "the scan was not known:2"
echo "PASSED"
