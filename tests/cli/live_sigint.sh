#!/usr/bin/env bash
# live_sigint.sh EXPOSE_MINE: captures on lo while two UDP flows to 127.0.0.1 go out together,
# stops it with SIGINT and checks that the rules of what was captured were written. Needs root (or
# CAP_NET_RAW), the lo interface and python3; exits 77 (skipped) without them.
set -u
mine=$1
if [ "$(id -u)" != 0 ]; then echo "SKIPPED: live capture needs root"; exit 77; fi
if [ ! -e /sys/class/net/lo ]; then echo "SKIPPED: no lo interface"; exit 77; fi
command -v python3 >/dev/null || { echo "SKIPPED: python3 is missing"; exit 77; }
rm -f live.txt live.err
"$mine" --live lo --window 500ms --filter "udp and (dst port 47901 or dst port 47902)" -n 5 --fdr 1 >live.txt 2>live.err &
pid=$!
sleep 1
python3 - <<'PY'
import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
# 16 slots of half a second (one window each), both flows in the same 9 of them.
for bit in "1011001101001011":
    if bit == "1":
        s.sendto(b"a", ("127.0.0.1", 47901)); s.sendto(b"b", ("127.0.0.1", 47902))
    time.sleep(0.5)
PY
kill -INT $pid
wait $pid
rc=$?
cat live.txt live.err
[ $rc = 0 ] || { echo "FAIL: exit status $rc after SIGINT"; exit 1; }
grep -q "interrupted: the rules of what was captured are written" live.err || { echo "FAIL: no interruption note"; exit 1; }
grep -Eq "^expose 0.1.0: [0-9]+ packets" live.txt || { echo "FAIL: no summary"; exit 1; }
grep -E "<=>" live.txt | grep "47901" | grep -q "47902" ||
  { echo "FAIL: the lock-step rule was not found"; exit 1; }
echo "PASSED"
