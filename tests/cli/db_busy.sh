#!/usr/bin/env bash
# db_busy.sh EXPOSE_MINE EXPOSE_DB TRACE: expose-mine --db while another process holds the write
# lock past expose-mine's busy timeout. The run is not added, and that is said with exit status 1;
# the rules are written all the same, without marks, with the database's error in the JSON (the
# output was removed before, and the mining lost).
set -u
mine=$1 db_tool=$2 trace=$3
db=busy.db
rm -f "$db" "$db-wal" "$db-shm" busy-rules.json busy-hold.out busy-out.json
fail() { echo "FAIL: $*"; kill "$hold" 2>/dev/null; exit 1; }
"$mine" -q -F json -o busy-rules.json "$trace" || { echo "FAIL: expose-mine failed"; exit 1; }
"$db_tool" --db "$db" add --site lab --run first busy-rules.json > /dev/null || { echo "FAIL: first add"; exit 1; }
# The holder pauses inside its transaction (test hook) until it is killed; expose-mine starts once
# the holder says it holds the lock, so nothing here depends on timing.
EXPOSE_DB_TEST_PAUSE=600 "$db_tool" --db "$db" add --site lab --run held busy-rules.json > busy-hold.out 2>&1 &
hold=$!
for _ in $(seq 1 600); do
  grep -q "pausing" busy-hold.out && break
  kill -0 "$hold" 2>/dev/null || fail "the holder stopped: $(cat busy-hold.out)"
  sleep 0.1
done
grep -q "pausing" busy-hold.out || fail "the holder never took the lock"
"$mine" -q --db "$db" --site lab --run second --busy-timeout 100ms -F json -o busy-out.json "$trace" 2> busy-err.txt
rc=$?
kill "$hold" 2>/dev/null
wait "$hold" 2>/dev/null
cat busy-err.txt
[ "$rc" = 1 ] || fail "exit status $rc, not 1"
grep -q "run second was not added: .*database is locked" busy-err.txt || fail "the failure is not said"
[ -s busy-out.json ] || fail "no output"
[ "$(grep -c '"text"' busy-out.json)" = "$(grep -c '"text"' busy-rules.json)" ] || fail "the rules are not all written"
grep -q '"error": "database' busy-out.json || fail "no db.error in the JSON"
grep -q '"known"' busy-out.json && fail "rules marked known/new though the run was not added"
echo "ok: the rules written without marks, the failure said, exit 1"
