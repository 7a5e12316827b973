#!/usr/bin/env bash
# scripts/sanitize.sh [CTEST ARGS...]: the test suite under AddressSanitizer and
# UndefinedBehaviorSanitizer. Builds the unit tests and the tools with GCC into ./build-asan
# (-DEXPOSE_SANITIZE=address,undefined: -fsanitize=address,undefined -fno-omit-frame-pointer
# -fno-sanitize-recover=all, plus libstdc++'s bounds assertions, at -O1) and runs ctest there with
# EXPOSE_TRACE_DIR set (default ../shared/traces), so the real captures go through the sanitized
# reader too. Any report (a bad read or write, a leak, undefined behaviour) stops the program with
# exit status 86, which no test expects, so the test fails and its output holds the report.
# Left out: the packaging and meson tests (they rebuild everything without sanitizers), the
# compile_fail tests (they only compile), the benchmarks and the header check. Extra arguments
# go to ctest (e.g. -R cli). Needs the packages scripts/quickstart.sh installs; Debian's g++
# ships the sanitizer runtimes (libasan8, libubsan1).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${EXPOSE_SANITIZE_BUILD:-build-asan}
if [ -z "${EXPOSE_TRACE_DIR:-}" ] && [ -d ../shared/traces ]; then
  EXPOSE_TRACE_DIR=$(cd ../shared/traces && pwd)
  export EXPOSE_TRACE_DIR
fi

cmake -S . -B "$build" -G Ninja -DCMAKE_CXX_COMPILER=g++ -DCMAKE_BUILD_TYPE=Debug \
      -DCMAKE_CXX_FLAGS_DEBUG="-O1 -g1 -D_GLIBCXX_ASSERTIONS" -DEXPOSE_SANITIZE=address,undefined \
      -DEXPOSE_BUILD_BENCHMARKS=OFF -DEXPOSE_INSTALL=OFF >/dev/null
# What ctest runs; not the one-translation-unit-per-header check, which sanitizers add nothing to.
# Every program ctest runs: the optional ones (expose-db with SQLite; expose-mine-mpi and the MPI
# tests' trace splitter with MPI) when configured.
targets=(expose_tests expose-mine expose-synth expose-accuracy custom-template demo_trace)
for optional in examples/expose-db examples/expose-mine-mpi tests/expose_pcap_split; do
  if grep -q "^build $optional:" "$build/build.ninja"; then targets+=("${optional#*/}"); fi
done
cmake --build "$build" -j"${EXPOSE_JOBS:-2}" --target "${targets[@]}"

export ASAN_OPTIONS="exitcode=86:abort_on_error=0:detect_leaks=1:strict_string_checks=1:detect_stack_use_after_return=1:check_initialization_order=1"
export UBSAN_OPTIONS="exitcode=86:print_stacktrace=1"
export LSAN_OPTIONS="exitcode=86"
echo "sanitize: ctest in $build (EXPOSE_TRACE_DIR=${EXPOSE_TRACE_DIR:-unset})"
ctest --test-dir "$build" --output-on-failure -j"${EXPOSE_JOBS:-2}" -E "^(packaging|meson|compile_fail|mpi)\." "$@"
# The MPI tests: Open MPI's own start-up allocations (in its dlopened components, no symbols to
# suppress them by) are never freed, so leak detection is off for them; ASan and UBSan stay on.
if grep -q "^build examples/expose-mine-mpi:" "$build/build.ninja"; then
  ASAN_OPTIONS="${ASAN_OPTIONS/detect_leaks=1/detect_leaks=0}" \
    ctest --test-dir "$build" --output-on-failure -j"${EXPOSE_JOBS:-2}" -R "^mpi\." "$@"
fi
