#!/usr/bin/env bash
# db_damaged_page.sh EXPOSE_MINE EXPOSE_DB TRACE: a rule database with a damaged page (8 bytes of
# 0xff over the header of page 5, a b-tree page of the rules) is listed with a warning that names
# SQLite's finding and exit status 3, and diffed with the warning before the error; before, a damaged page could leave rules out of a
# diff, or garble them, with exit status 0 and no word (a review found a diff short of rules). The
# file is left as it was, and an undamaged one gives no warning.
set -u
mine=$1 db_tool=$2 trace=$3
fail() { echo "FAIL: $*"; exit 1; }
dir=$(mktemp -d "$PWD/dmg.XXXXXX")
trap 'rm -rf "$dir"' EXIT
"$mine" -q --db "$dir/r.db" --site lab --run mon "$trace" >/dev/null || fail "expose-mine --db failed"
[ ! -e "$dir/r.db-wal" ] || [ ! -s "$dir/r.db-wal" ] || fail "a -wal file with pages is left beside the database"
out=$("$db_tool" --db "$dir/r.db" list 2>&1) || fail "list of the undamaged database: exit $?: $out"
grep -q "warning" <<<"$out" && fail "a warning for an undamaged database: $out"
printf '\377\377\377\377\377\377\377\377' | dd of="$dir/r.db" bs=1 seek=$((4096 * 4)) conv=notrunc 2>/dev/null || fail "dd failed"
sum=$(md5sum <"$dir/r.db")
# list reads what it can (exit 3); diff meets the damaged page itself, and stops with SQLite's
# error after the warning, damage too (exit 3; it was 1 before 2026-12-07)
for command in list "diff --site lab"; do
  # shellcheck disable=SC2086
  "$db_tool" --db "$dir/r.db" $command >"$dir/out" 2>"$dir/err"
  rc=$?
  grep -q "^expose-db: warning: database '.*r.db' is damaged (SQLite's quick check: Page 5: btreeInitPage() returns error code 11): what follows may lack rules or hold garbled ones" "$dir/err" ||
    fail "$command: no warning naming the damaged page: $(cat "$dir/err")"
  if [ "$command" = list ]; then
    [ "$rc" = 3 ] || fail "list: exit status $rc, expected 3: $(cat "$dir/err")"
    grep -q "^  mon  2026-01-05 08:00:00  *5  *5$" "$dir/out" || fail "list: the run not written after the warning: $(cat "$dir/out")"
  else
    [ "$rc" = 3 ] || fail "diff: exit status $rc, expected 3: $(cat "$dir/err")"
    grep -q "database disk image is malformed (damaged; an earlier copy" "$dir/err" || fail "diff: no error after the warning: $(cat "$dir/err")"
  fi
done
# check meets the damaged page too: damage, exit 3 (it was 1)
"$db_tool" --db "$dir/r.db" check >"$dir/out" 2>"$dir/err"
rc=$?
[ "$rc" = 3 ] || fail "check: exit status $rc, expected 3: $(cat "$dir/out" "$dir/err")"
grep -q "database disk image is malformed (damaged; an earlier copy of the file is the way back)" "$dir/err" || fail "check: not said damaged: $(cat "$dir/err")"
[ "$(md5sum <"$dir/r.db")" = "$sum" ] || fail "the damaged file was changed"
echo "pass: damaged page said, exit status 3"
