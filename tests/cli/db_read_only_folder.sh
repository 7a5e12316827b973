#!/usr/bin/env bash
# db_read_only_folder.sh EXPOSE_MINE EXPOSE_DB TRACE: a rule database in a read-only folder (an
# archive share) is listed, diffed and checked; SQLite cannot make there the shared-memory file a
# WAL database needs, and every command said "unable to open database file". A forget is refused,
# naming the permissions. The folder is made read-only by a bind mount in a mount namespace
# (unshare -m, as root: permissions do not stop root): skipped (77) where there is none. Then a
# -wal file left beside it without its -shm is named.
set -u
mine=$1 db_tool=$2 trace=$3
fail() { echo "FAIL: $*"; exit 1; }
dir=$(mktemp -d "$PWD/rodb.XXXXXX")
trap 'rm -rf "$dir"' EXIT
"$mine" -q --db "$dir/r.db" --site lab "$trace" >/dev/null || fail "expose-mine --db failed"
unshare -m mount --bind -o ro "$dir" "$dir" 2>/dev/null || { echo "skipped: no mount namespace here"; exit 77; }
out=$(unshare -m bash -c '
  mount --bind -o ro "$0" "$0" || exit 9
  touch "$0/probe" 2>/dev/null && echo "the folder is writable"
  "$1" --db "$0/r.db" list; echo "list rc $?"
  "$1" --db "$0/r.db" diff --site lab; echo "diff rc $?"
  "$1" --db "$0/r.db" check; echo "check rc $?"
  "$1" --db "$0/r.db" forget --site lab; echo "forget rc $?"' "$dir" "$db_tool" 2>&1)
printf '%s\n' "$out"
grep -q "the folder is writable" <<<"$out" && fail "the bind mount did not make the folder read-only"
for want in "^site lab: 1 run, 5 distinct rules" "^list rc 0" "the site.s first run: 5 new, 0 gone, 0 persistent" "^diff rc 0" \
            "^ok$" "^check rc 0" "unable to open database file (check the file's and its folder's permissions)" "^forget rc 1"; do
  grep -q -- "$want" <<<"$out" || fail "missing: $want"
done
# A -wal file left by a writer killed after its commit, without its -shm (copied alone): the
# changes in it cannot be read in a read-only folder, and that is said (it said "check the
# file's and its folder's permissions").
python3 -c '
import os, signal, sqlite3, sys
c = sqlite3.connect(sys.argv[1])
c.execute("PRAGMA wal_autocheckpoint = 0")
c.execute("INSERT INTO sites(name) VALUES (?)", ("after",))
c.commit()
os.kill(os.getpid(), signal.SIGKILL)' "$dir/r.db"
rm -f "$dir/r.db-shm"
[ -s "$dir/r.db-wal" ] || fail "no -wal file was left"
out=$(unshare -m bash -c 'mount --bind -o ro "$0" "$0" || exit 9; "$1" --db "$0/r.db" list; echo "list rc $?"' "$dir" "$db_tool" 2>&1)
printf '%s\n' "$out"
grep -q "r.db-wal' beside it may hold changes not yet in it, which SQLite reads through a shared-memory file it cannot make in this folder: copy both files to a folder that can be written" <<<"$out" || fail "the -wal file is not named"
grep -q "^list rc 1" <<<"$out" || fail "list did not fail"
echo "ok: a database in a read-only folder is read"
