#!/usr/bin/env bash
# db_concurrent.sh EXPOSE_MINE EXPOSE_DB TRACE: two `expose-db add` processes at once on a new
# database. The first holds the write lock for a second (test hook); the second waits (busy
# timeout) and both runs land.
set -u
mine=$1 db_tool=$2 trace=$3
db=concurrent.db
rm -f "$db" "$db-wal" "$db-shm" conc-rules.json conc-a.out conc-b.out
fail() { echo "FAIL: $*"; exit 1; }
"$mine" -q -F json -o conc-rules.json "$trace" || fail "expose-mine failed"
EXPOSE_DB_TEST_PAUSE=1 "$db_tool" --db "$db" add --site lab --run a conc-rules.json >conc-a.out 2>&1 &
a=$!
"$db_tool" --db "$db" add --site lab --run b conc-rules.json >conc-b.out 2>&1 &
b=$!
wait $a || fail "add a: $(cat conc-a.out)"
wait $b || fail "add b: $(cat conc-b.out)"
cat conc-a.out conc-b.out
list=$("$db_tool" --db "$db" list) || fail "list failed"
echo "$list"
grep -q "site lab: 2 runs, 5 distinct rules" <<<"$list" || fail "not both runs landed"
[ "$("$db_tool" --db "$db" check)" = ok ] || fail "integrity check"
