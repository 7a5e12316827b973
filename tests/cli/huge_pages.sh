#!/usr/bin/env bash
# huge_pages.sh EXPOSE_MINE TRACE: where the kernel gives transparent huge pages to memory that asks
# (transparent_hugepage/enabled: [madvise]), expose-mine starts itself again once with
# GLIBC_TUNABLES=glibc.malloc.hugetlb=1 (other tunables kept), keeps its name and marks the restart
# with EXPOSE_HUGE_PAGES=restarted; it does not with EXPOSE_HUGE_PAGES=0 or where GLIBC_TUNABLES
# names the tunable already; the rules are the same either way. Each run reads the trace through a
# FIFO, so it waits, started, until the test has looked at it. Exits 77 (skipped) elsewhere.
set -u
mine=$1 trace=$2
fail() { echo "FAIL: $*"; exit 1; }
modes=$(cat /sys/kernel/mm/transparent_hugepage/enabled 2>/dev/null) || { echo "SKIPPED: no transparent_hugepage in /sys"; exit 77; }
[[ "$modes" == *"[madvise]"* ]] || { echo "SKIPPED: transparent huge pages are '$modes', not madvise"; exit 77; }
ldd --version 2>&1 | grep -qi "glibc\|gnu libc" || { echo "SKIPPED: not glibc"; exit 77; }
rm -f hp.fifo hp-*.txt
"$mine" -q -o hp-plain.txt "$trace" || fail "expose-mine failed on $trace"
mkfifo hp.fifo || fail "mkfifo"
env_of() { tr '\0' '\n' <"/proc/$1/environ"; }
# Started and past the point of restarting: its reader thread runs (the restart comes first in
# main, before any thread) and waits at the FIFO.
settled() { [ "$(ls "/proc/$1/task" 2>/dev/null | wc -l)" -ge 2 ]; }
run() {  # run NAME [VAR=VALUE ...]: one run through the FIFO; prints its environment's lines of interest
  local name=$1; shift
  env -u GLIBC_TUNABLES -u EXPOSE_HUGE_PAGES "$@" "$mine" -q -o "hp-$name.txt" hp.fifo 2>"hp-$name.err" &
  local pid=$!
  for _ in $(seq 400); do settled $pid && break; sleep 0.05; done
  settled $pid || { kill $pid; fail "$name: the run never started reading: $(cat "hp-$name.err")"; }
  [ "$(cat "/proc/$pid/comm")" = expose-mine ] || fail "$name: the process is called '$(cat "/proc/$pid/comm")'"
  env_of $pid | grep -E '^(GLIBC_TUNABLES|EXPOSE_HUGE_PAGES)=' | sort >"hp-$name.env"
  cat "$trace" >hp.fifo
  wait $pid || fail "$name: exit status $? ($(cat "hp-$name.err"))"
  cmp -s hp-plain.txt "hp-$name.txt" || fail "$name: other rules than a run without a FIFO"
  echo "$name: $(tr '\n' ' ' <"hp-$name.env")"
}
run restarted
[ "$(cat hp-restarted.env)" = $'EXPOSE_HUGE_PAGES=restarted\nGLIBC_TUNABLES=glibc.malloc.hugetlb=1' ] || fail "restarted: $(cat hp-restarted.env)"
# Restarted with the tunable after the one given. (glibc parses GLIBC_TUNABLES in place, so
# /proc/PID/environ shows the first tunable only; getenv sees them all.)
run kept GLIBC_TUNABLES=glibc.malloc.check=0
[ "$(cat hp-kept.env)" = $'EXPOSE_HUGE_PAGES=restarted\nGLIBC_TUNABLES=glibc.malloc.check=0' ] || fail "kept: $(cat hp-kept.env)"
run opted_out EXPOSE_HUGE_PAGES=0
[ "$(cat hp-opted_out.env)" = "EXPOSE_HUGE_PAGES=0" ] || fail "opted_out: $(cat hp-opted_out.env)"
run chosen GLIBC_TUNABLES=glibc.malloc.hugetlb=0
[ "$(cat hp-chosen.env)" = "GLIBC_TUNABLES=glibc.malloc.hugetlb=0" ] || fail "chosen: $(cat hp-chosen.env)"
echo "PASSED"
