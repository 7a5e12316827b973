#!/usr/bin/env bash
# report_real.sh MINE CHECK CHROMIUM OUT_DIR: the HTML report of real captures (needs
# EXPOSE_TRACE_DIR, else skipped with status 77). For nfpuzzle_evidence04 (378,865 rules) and
# ppa_gnutella: the page is at most 5 MB, and headless Chromium draws every pattern (report_check.sh,
# CHECK, which prints the load time). Writes OUT_DIR/report-nfpuzzle.png, the screenshot the README
# shows. Under the sanitizers (EXPOSE_SANITIZED, scripts/sanitize.sh) ppa_gnutella alone:
# nfpuzzle_evidence04's report takes 26 s there; the sanitized unit tests mine the capture
# (real_traces_test.cpp), and the report writer runs sanitized on ppa_gnutella here and on
# io/html_test.cpp's results. The plain suite runs both captures.
set -euo pipefail
mine=$1 check=$2 chromium=$3 out=$4
fail() { echo "FAIL: $*"; exit 1; }
if [ -z "${EXPOSE_TRACE_DIR:-}" ] || [ ! -d "$EXPOSE_TRACE_DIR" ]; then
  echo "SKIPPED: EXPOSE_TRACE_DIR does not name the real captures"
  exit 77
fi
mkdir -p "$out"
traces=(nfpuzzle_evidence04 ppa_gnutella)
[ -n "${EXPOSE_SANITIZED:-}" ] && traces=(ppa_gnutella)
for trace in "${traces[@]}"; do
  page="$out/report-$trace.html"
  "$mine" -q --report "$page" -o /dev/null "$EXPOSE_TRACE_DIR/$trace.pcap"
  size=$(stat -c %s "$page")
  [ "$size" -le 5000000 ] || fail "$trace: the report is $size bytes, more than 5 MB"
  shot=()
  [ "$trace" = nfpuzzle_evidence04 ] && shot=("$out/report-nfpuzzle.png")
  bash "$check" "$page" "$chromium" "${shot[@]}" || fail "$trace: the report does not render (above)"
  echo "ok: $trace: $size bytes"
done
