#!/usr/bin/env bash
# db_kill.sh EXPOSE_MINE EXPOSE_DB TRACE: an `expose-db add` killed with SIGKILL in the middle of its
# transaction (the test hook EXPOSE_DB_TEST_PAUSE holds it there) leaves a database that passes
# SQLite's integrity check and holds none of that run; the same add then lands whole.
set -u
mine=$1 db_tool=$2 trace=$3
db=kill.db
rm -f "$db" "$db-wal" "$db-shm" kill-rules.json kill.err
fail() { echo "FAIL: $*"; exit 1; }
"$mine" -q -F json -o kill-rules.json "$trace" || fail "expose-mine failed"
"$db_tool" --db "$db" add --site lab --run day1 kill-rules.json || fail "the first add failed"
EXPOSE_DB_TEST_PAUSE=60 "$db_tool" --db "$db" add --site lab --run day2 kill-rules.json 2>kill.err &
pid=$!
for _ in $(seq 200); do grep -q "test hook: pausing" kill.err && break; sleep 0.05; done
grep -q "test hook: pausing" kill.err || { kill -9 $pid; fail "the add never reached the hook: $(cat kill.err)"; }
kill -9 $pid
wait $pid 2>/dev/null
echo "killed the add of day2 inside its transaction"
out=$("$db_tool" --db "$db" check) || fail "integrity check: $out"
[ "$out" = ok ] || fail "integrity check says: $out"
echo "integrity_check: $out"
if command -v sqlite3 >/dev/null; then
  raw=$(sqlite3 "$db" "PRAGMA integrity_check; SELECT count(*) FROM runs; SELECT count(*) FROM observations;" | tr '\n' ' ')
  [ "$raw" = "ok 1 5 " ] || fail "sqlite3 says: $raw (expected ok, 1 run, 5 observations)"
  echo "sqlite3: $raw"
fi
list=$("$db_tool" --db "$db" list) || fail "list failed"
grep -q "site lab: 1 run, 5 distinct rules" <<<"$list" || fail "after the kill: $list"
again=$("$db_tool" --db "$db" add --site lab --run day2 kill-rules.json) || fail "the add after the kill failed"
[ "$again" = "added run day2 to site lab: 5 rules, 0 new, 5 known" ] || fail "the add after the kill said: $again"
echo "$again"
