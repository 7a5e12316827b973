#!/usr/bin/env bash
# fuzz/run.sh [SECONDS]: builds the libFuzzer targets with clang into ./build-fuzz
# (-DEXPOSE_BUILD_FUZZERS=ON: -fsanitize=fuzzer,address,undefined, every report fatal), seeds a
# corpus (fuzz/seed_corpus.sh: the tests' fixtures, plus the real captures' first records when
# EXPOSE_TRACE_DIR is set) and runs every target for SECONDS (default 60), all at once:
#   decode_fuzz      one frame of any link type through expose::io::decode
#   pcap_file_fuzz   the input as a capture file through expose::io::pcap_files and a whole
#                    expose::mine() run with the default pipeline, then the text report
# Each target also aborts on a broken invariant (see the header of its .cpp). Fails (exit 1) when
# a target crashed, timed out (EXPOSE_FUZZ_TIMEOUT, default 10 s an input; the slowest input seen
# takes 0.1 s of CPU, so raise it only on a loaded machine) or ran out of memory (2 GB), and
# prints the reproducer: `build-fuzz/fuzz/TARGET REPRODUCER` runs that one input again. The
# corpus grows in build-fuzz/corpus/TARGET across runs; reproducers go to build-fuzz/artifacts/.
# Needs Clang 16 and libFuzzer (Debian 12: clang-16, libclang-rt-16-dev) and the packages
# scripts/quickstart.sh installs. EXPOSE_FUZZ_BUILD changes the build folder, EXPOSE_FUZZ_FLAGS the
# optimization and debug flags (default -O1 -g; .ci/run uses -O0 -g1, which compiles in a third of
# the CPU time, 24 s instead of 69 s for flow_log_fuzz.cpp, and runs fewer inputs a second).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
[[ "$seconds" =~ ^[0-9]+$ ]] || { echo "usage: fuzz/run.sh [SECONDS]" >&2; exit 2; }
build=${EXPOSE_FUZZ_BUILD:-build-fuzz}
cxx=${EXPOSE_FUZZ_CXX:-clang++-16}
command -v "$cxx" >/dev/null || { echo "fuzz: no $cxx; install the Debian packages clang-16 libclang-rt-16-dev" >&2; exit 1; }
if ! echo 'extern "C" int LLVMFuzzerTestOneInput(const char*, unsigned long) { return 0; }' |
     "$cxx" -x c++ -fsanitize=fuzzer - -o /dev/null 2>/dev/null; then
  echo "fuzz: $cxx cannot link libFuzzer; install the Debian package libclang-rt-16-dev" >&2
  exit 1
fi

cmake -S . -B "$build" -G Ninja -DCMAKE_CXX_COMPILER="$cxx" -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="${EXPOSE_FUZZ_FLAGS:--O1 -g}" \
      -DEXPOSE_BUILD_FUZZERS=ON -DEXPOSE_BUILD_TESTS=OFF -DEXPOSE_BUILD_EXAMPLES=OFF -DEXPOSE_BUILD_BENCHMARKS=OFF \
      -DEXPOSE_INSTALL=OFF >/dev/null
cmake --build "$build" -j"${EXPOSE_JOBS:-2}"
fuzz/seed_corpus.sh "$build" "$build/seeds"

artifacts="$build/artifacts"
mkdir -p "$artifacts"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1}"
targets=(decode_fuzz pcap_file_fuzz flow_log_fuzz)
# All targets at once (each libFuzzer process is one thread): the run takes SECONDS, not 3×SECONDS.
for target in "${targets[@]}"; do
  name=${target%_fuzz}
  max_len=2048
  [ "$target" = pcap_file_fuzz ] && max_len=65536
  [ "$target" = flow_log_fuzz ] && max_len=16384
  mkdir -p "$build/corpus/$name"
  echo "fuzz: $target for ${seconds} s (log: $build/$target.log)"
  touch "$artifacts/.started-$target"
  (
    set +e
    "$build/fuzz/$target" "$build/corpus/$name" "$build/seeds/$name" -max_total_time="$seconds" -timeout="${EXPOSE_FUZZ_TIMEOUT:-10}" \
      -rss_limit_mb=2048 -max_len="$max_len" -print_final_stats=1 -artifact_prefix="$artifacts/$target-" >"$build/$target.log" 2>&1
    echo $? >"$build/$target.rc"
  ) &
done
wait
failed=0
for target in "${targets[@]}"; do
  log="$build/$target.log"
  rc=$(cat "$build/$target.rc")
  echo "fuzz: $target"
  grep -E '^(stat::number_of_executed_units|stat::new_units_added|Done [0-9]+ runs)' "$log" | sed 's/^/  /' || true
  found=$(find "$artifacts" -type f -name "$target-*" ! -name "$target-slow-unit-*" -newer "$artifacts/.started-$target")
  if [ "$rc" != 0 ] || [ -n "$found" ]; then
    failed=1
    echo "fuzz: $target FAILED (exit status $rc); the end of its log:"
    grep -vE '^(#[0-9]+|INFO:|\s*NEW_FUNC)' "$log" | tail -n 40 | sed 's/^/  /'
    for f in $found; do
      echo "fuzz: reproducer $f"
      echo "fuzz:   run it again with: $build/fuzz/$target $f"
    done
  fi
done
if [ "$failed" != 0 ]; then
  echo "fuzz: a target failed"
  exit 1
fi
echo "fuzz: no crash in ${seconds} s per target"
