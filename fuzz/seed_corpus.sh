#!/usr/bin/env bash
# fuzz/seed_corpus.sh BUILD_DIR OUT_DIR: writes the fuzzers' seed corpus into OUT_DIR/decode, OUT_DIR/flow_log and
# OUT_DIR/pcap_file with BUILD_DIR/fuzz/seed_corpus (built by fuzz/run.sh, or by any build
# configured with -DEXPOSE_BUILD_FUZZERS=ON): the frames of tests/io/decode_test.cpp, the small
# pcap and pcapng files tests/io/pcap_file_test.cpp writes, one pcap per link type and short
# generator traces. When EXPOSE_TRACE_DIR names the real captures (CI sets it), the first 16 KiB
# and the first 64 frames of each are added too: read where they lie, never copied into the
# source tree. OUT_DIR is emptied first.
set -euo pipefail
[ $# = 2 ] || { echo "usage: fuzz/seed_corpus.sh BUILD_DIR OUT_DIR" >&2; exit 2; }
build=$1 out=$2
program="$build/fuzz/seed_corpus"
[ -x "$program" ] || { echo "seed_corpus.sh: no $program; build with -DEXPOSE_BUILD_FUZZERS=ON first" >&2; exit 1; }
traces=()
if [ -n "${EXPOSE_TRACE_DIR:-}" ] && [ -d "$EXPOSE_TRACE_DIR" ]; then
  mapfile -t traces < <(find "$EXPOSE_TRACE_DIR" -type f \( -name '*.pcap' -o -name '*.pcapng' \) | sort)
fi
rm -rf -- "$out"
"$program" "$out" "${traces[@]}"
