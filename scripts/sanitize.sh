#!/usr/bin/env bash
# scripts/sanitize.sh [CTEST ARGS...]: the test suite under AddressSanitizer and
# UndefinedBehaviorSanitizer, each half built once, by Clang 16 when it is installed with its
# sanitizers' runtimes (CI installs both), else by GCC:
#
#   unit tests  meson builds them into ./build-asan-meson (test files in batches of 32, a unity
#               build) and runs them with `meson test`: this is also CI's check that the meson
#               build of the tests works (the ctest test meson.unit_tests does it unsanitized).
#               The tools are configured there (examples/meson.build is read), not compiled.
#   the tools   CMake builds them into ./build-asan (-DEXPOSE_SANITIZE=address,undefined) beside
#               the meson build (two jobs each: the cores are never idle), then runs the ctest
#               tests that run them, cli.* and mpi.*, beside the unit tests' last compile and
#               their run.
#
# Why Clang: it compiles this code under the sanitizers in a third to a half of GCC's time, and the
# step is bound by compiling. Measured on 2026-12-07 on the 2-core machine: the unit tests 77 s by
# Clang alone (meson compile, wall), where GCC's longest batch of them took 258-286 s of CI's job
# time beside the tools' build; the tools and MPI check programs 125 s by Clang alone, where GCC
# took 766 s of job time beside the meson build in CI; one file (the rank-0 failure check) 19 s by
# Clang, 46 s by GCC, each alone. The tests run about as fast either way (by Clang alone: unit tests
# 100 s, cli.* 67 s, mpi.* 131 s).
#
# Both builds: -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer, plus
# libstdc++'s bounds assertions, at -O0 (it compiles in half the time of -O1). Three checks of
# UndefinedBehaviorSanitizer are left out (-fno-sanitize=vptr,alignment,null): they instrument every
# pointer and reference, which costs Clang 1.3-1.7 times the compile time (unit tests 134 s, tools
# 158 s; GCC 1.6 times); a null dereference still stops the program (AddressSanitizer reports the
# SEGV), and the fuzzers (fuzz/run.sh) keep every check of -fsanitize=undefined on the input paths.
# (With every check, everything here passed on 2026-12-07.) EXPOSE_TRACE_DIR is set (default
# ../shared/traces), so the real captures go through the sanitized reader too. Any report (a bad
# read or write, a leak, undefined behaviour) stops the program with exit status 86, which no test
# expects, so the test fails and its output holds the report.
# Left out: the packaging tests (they rebuild everything without sanitizers), the compile_fail
# tests (they only compile), the benchmarks and the header check. Extra arguments go to the ctest
# runs (e.g. -R cli.db). Needs the packages scripts/quickstart.sh installs; Clang's sanitizer
# runtimes are in libclang-rt-16-dev (which clang-16 only recommends), GCC's come with Debian's g++.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${EXPOSE_SANITIZE_BUILD:-build-asan}
jobs=${EXPOSE_JOBS:-2}
if [ -z "${EXPOSE_TRACE_DIR:-}" ] && [ -d ../shared/traces ]; then
  EXPOSE_TRACE_DIR=$(cd ../shared/traces && pwd)
  export EXPOSE_TRACE_DIR
fi
no_sanitize=vptr,alignment,null
flags="-D_GLIBCXX_ASSERTIONS -fno-sanitize=$no_sanitize -fno-sanitize-recover=all -fno-omit-frame-pointer -g1"

export ASAN_OPTIONS="exitcode=86:abort_on_error=0:detect_leaks=1:strict_string_checks=1:detect_stack_use_after_return=1:check_initialization_order=1"
export UBSAN_OPTIONS="exitcode=86:print_stacktrace=1"
export LSAN_OPTIONS="exitcode=86"
# Tests that repeat a long check on bigger inputs run a part of it here (tests/mpi/real_traces.sh):
# the plain suite runs it whole.
export EXPOSE_SANITIZED=1

cxx=g++
if command -v clang++-16 >/dev/null 2>&1 && [ -e "$(clang++-16 -print-resource-dir)/lib/linux/libclang_rt.asan-x86_64.a" ]; then
  cxx=clang++-16
fi
echo "sanitize: built by $cxx"

# ---- the tools, by CMake, built beside everything else (their compile jobs fill what the meson
# build and the unit-test run leave of the two cores; the longest ones are started first) ----
# (a build directory configured by another compiler is made afresh: CMake would drop its cache
# with a warning, and build everything again all the same)
if [ -f "$build/CMakeCache.txt" ] && ! grep -q "^CMAKE_CXX_COMPILER:[A-Z]*=\(.*/\)\?$cxx\$" "$build/CMakeCache.txt"; then rm -rf "$build"; fi
cmake -S . -B "$build" -G Ninja -DCMAKE_CXX_COMPILER="$cxx" -DCMAKE_BUILD_TYPE=Debug \
      -DCMAKE_CXX_FLAGS_DEBUG="-O0 -D_GLIBCXX_ASSERTIONS -g1" -DEXPOSE_SANITIZE=address,undefined -DEXPOSE_NO_SANITIZE=$no_sanitize \
      -DEXPOSE_BUILD_BENCHMARKS=OFF -DEXPOSE_BUILD_MPI_TOOL=ON -DEXPOSE_INSTALL=OFF >/dev/null
# Every program the cli.* and mpi.* tests run: the optional ones (expose-db with SQLite;
# expose-mine-mpi, the MPI tests' trace splitter and crafted trace, and every MPI check program
# tests/expose_mpi_*, found in the build file) when configured.
# Not custom-template (the public-API example: its library code runs in the sanitized unit tests).
targets=(expose-mine)
for optional in examples/expose-mine-mpi; do
  if grep -q "^build $optional:" "$build/build.ninja"; then targets+=("${optional#*/}"); fi
done
targets+=(expose-synth expose-accuracy demo_trace)
for optional in examples/expose-db tests/expose_pcap_split tests/expose_ambiguous_trace; do
  if grep -q "^build $optional:" "$build/build.ninja"; then targets+=("${optional#*/}"); fi
done
# (a check program added to tests/CMakeLists.txt was not built here, and its tests failed to start)
while read -r check; do targets+=("$check"); done < <(sed -n 's|^build tests/\(expose_mpi_[a-z0-9_]*\): .*|\1|p' "$build/build.ninja" | sort -u)
# Each build in a process group of its own, so that a failing build of the tools stops the unit
# tests' job too (a failure of the unit tests, or of the tools' tests, is said at the end): the
# group's cmake or meson and ninja, and ninja passes the signal on to its compilers (each in a
# group of its own). Without job control (set +m) the background child is no group's leader, so
# setsid execs its command in place and $! is the new group's number; with it, setsid would fork
# and $! name a parent that exits at once. (A SIGKILL of this script leaves the builds running:
# each is in its own session.)
set +m
setsid cmake --build "$build" -j"$jobs" --target "${targets[@]}" >"$build/sanitize-build.log" 2>&1 &
tools=$!
# (only the jobs still running: a finished job's group number may be given to another process)
trap 'for g in $(jobs -rp); do kill -- -"$g" 2>/dev/null || true; done' EXIT

# ---- the unit tests, by meson: compiled, then run, beside the tools' build and then their tests
# (their tests fill the cores while the unit tests' longest batch is compiled and while they
# run) ----
meson_build="$build-meson"
meson_args=(--buildtype=debug -Db_sanitize=address,undefined -Db_lundef=false
            --unity=on --unity-size=32 "-Dcpp_args=$flags")
# (meson keeps the compiler a build directory was set up with: one of another is made afresh)
if [ -f "$meson_build/build.ninja" ] && [ "$(cat "$meson_build/sanitize-cxx" 2>/dev/null)" = "$cxx" ]; then
  meson setup --reconfigure "$meson_build" "${meson_args[@]}" >/dev/null
else
  rm -rf "$meson_build"
  CXX=$cxx meson setup "$meson_build" "${meson_args[@]}" >/dev/null
  echo "$cxx" >"$meson_build/sanitize-cxx"
fi
echo "sanitize: meson compile and test in $meson_build (EXPOSE_TRACE_DIR=${EXPOSE_TRACE_DIR:-unset}), log in $meson_build/sanitize-test.log"
setsid bash -c 'meson compile -C "$0" -j "$1" expose-tests && meson test -C "$0" --no-rebuild --print-errorlogs' \
  "$meson_build" "$jobs" >"$meson_build/sanitize-test.log" 2>&1 &
unit_tests=$!
built=0
wait "$tools" || built=$?
cat "$build/sanitize-build.log"
[ "$built" = 0 ] || { echo "sanitize: the sanitized tools did not build"; exit 1; }

# Left to the unsanitized suite: cli.custom_template (not built here) and cli.mix_real_captures (an
# accuracy check, 34 s under the sanitizers, whose code paths the other tests run); and in
# cli.patterns_first and cli.report_real_traces, nfpuzzle_evidence04 (EXPOSE_SANITIZED: 22 s and
# 26 s here, a capture the sanitized unit tests mine).
echo "sanitize: ctest -R cli in $build"
tools_rc=0
ctest --test-dir "$build" --output-on-failure -j"$jobs" -R "^cli\." -E "^cli[.](custom_template|mix_real_captures)$" "$@" || tools_rc=1
# The MPI tests: Open MPI's own start-up allocations (in its dlopened components, no symbols to
# suppress them by) are never freed, so leak detection is off for them; ASan and UBSan stay on.
# The window items by owner on four ranks here (one, two and three ranks run the same code: a
# plain build with the MPI tool runs them; 17-27 s each under the sanitizers beside the other tests).
if grep -q "^build examples/expose-mine-mpi:" "$build/build.ninja"; then
  ASAN_OPTIONS="${ASAN_OPTIONS/detect_leaks=1/detect_leaks=0}" \
    ctest --test-dir "$build" --output-on-failure -j"$jobs" -R "^mpi\." -E "^mpi[.]window_items_(one_rank|two_ranks|three_ranks)$" "$@" || tools_rc=1
fi
unit_rc=0
wait "$unit_tests" || unit_rc=$?
cat "$meson_build/sanitize-test.log"
[ "$unit_rc" = 0 ] || { echo "sanitize: the unit tests failed under the sanitizers (meson compile or test exit $unit_rc)"; exit 1; }
[ "$tools_rc" = 0 ] || { echo "sanitize: the tools' tests failed under the sanitizers"; exit 1; }
