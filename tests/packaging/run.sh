#!/usr/bin/env bash
# Packaging tests: build small consumers of expose the four ways a user can get it, run them, and
# check what they print (nlohmann/json's cmake_import tests, done as one script).
#
#   tests/packaging/run.sh MODE SOURCE_DIR WORK_DIR
#
# MODE
#   cmake-install     configure expose (no tests, tools, benchmarks), `cmake --install` it into
#                     WORK_DIR/cmake-install/prefix, then build and run two consumers:
#                     find_package(expose REQUIRED COMPONENTS pcap json db) and find_package(expose REQUIRED);
#                     then from the same install `$EXPOSE_PKG_CONFIG_CXX core.cpp $(pkg-config --cflags --libs expose)`;
#                     when meson is there, the .pc file meson installs too (its flags preprocess
#                     core.cpp and link the object the first .pc's flags compiled: a third compile
#                     of the same file would check nothing more)
#   cmake-subdir      a consumer that does add_subdirectory(SOURCE_DIR) and builds the program of
#                     every component (it links expose::expose through them)
#   meson-subproject  a meson project whose subprojects/expose is a symlink to SOURCE_DIR, using
#                     dependency('expose') and the components' with a fallback, in one program
# Everything is made under WORK_DIR/MODE, which is deleted first. Exit status: 0 passed, 1 failed,
# 77 skipped (a tool the mode needs is missing). CXX picks the compiler (the build systems' own
# choice without it); EXPOSE_PKG_CONFIG_CXX the pkg-config consumer's (default CXX, else g++; the
# ctest test sets it to clang++-16 when that is installed).
set -euo pipefail

usage() {
  echo "usage: $0 cmake-install|cmake-subdir|meson-subproject SOURCE_DIR WORK_DIR" >&2
  exit 2
}
[[ $# -eq 3 ]] || usage
mode=$1
src=$(cd "$2" && pwd)
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)  # the consumers live beside this script
[[ -f "$src/CMakeLists.txt" && -f "$src/include/expose/expose.hpp" ]] || { echo "$src is not expose's source tree" >&2; exit 2; }
case $mode in cmake-install | cmake-subdir | meson-subproject) ;; *) usage ;; esac

mkdir -p "$3"
work="$(cd "$3" && pwd)/$mode"
rm -rf -- "$work"
mkdir -p "$work"

# The version the headers declare: every consumer checks the build system reports the same.
version=$(sed -n 's/^inline constexpr const char\* version = "\(.*\)";$/\1/p' "$src/include/expose/version.hpp")
[[ -n $version ]] || { echo "cannot read the version from include/expose/version.hpp" >&2; exit 1; }

step() { printf '\n== %s: %s\n' "$mode" "$*"; }
fail() { echo "FAIL ($mode): $*" >&2; exit 1; }
need() { command -v "$1" >/dev/null 2>&1 || { echo "SKIP ($mode): $1 not found" >&2; exit 77; }; }

generator=()
command -v ninja >/dev/null 2>&1 && generator=(-G Ninja)

# run_consumer LABEL COMMAND...: runs a consumer and checks its output line by line.
run_consumer() {
  local label=$1 out rc=0
  shift
  step "run $label: $*"
  out=$("$@") || rc=$?
  printf '%s\n' "$out"
  ((rc == 0)) || fail "$label exited with status $rc"
  local -a expected
  case $label in
    core*) expected=("expose $version core: packets=36 flows=5 windows=19 rules=1" "core consumer: ok") ;;
    full*) expected=("expose $version pcap: packets=36 flows=5 windows=19 rules=1"
                     "expose $version json: packets=36 rules=1"
                     "expose $version db: rules=1 new=0 known=1 persistent=1" "full consumer: ok") ;;
  esac
  # add_subdirectory gives the consumer no version to compare (expose_VERSION stays in expose's scope).
  [[ $label == *add_subdirectory* ]] || expected+=("expose version $version matches the package")
  local line
  for line in "${expected[@]}"; do
    grep -Fxq -- "$line" <<<"$out" || fail "$label did not print '$line'"
  done
}

# install_expose PREFIX: configures expose as a user would (nothing but the library) and installs it.
install_expose() {
  local prefix=$1
  step "configure and install expose into $prefix"
  cmake -S "$src" -B "$work/build" "${generator[@]}" -DEXPOSE_BUILD_TESTS=OFF -DEXPOSE_BUILD_EXAMPLES=OFF \
    -DEXPOSE_BUILD_BENCHMARKS=OFF -DEXPOSE_INSTALL=ON
  cmake --build "$work/build"
  cmake --install "$work/build" --prefix "$prefix"
  local f
  for f in include/expose/expose.hpp include/expose/io/pcap_file.hpp include/expose/io/pcap_writer.hpp \
    include/expose/io/json.hpp include/expose/store/rule_store.hpp include/expose/store/sqlite.hpp \
    include/expose/store/rule_key.hpp include/expose/stream.hpp include/expose/io/pcap_live.hpp \
    share/cmake/expose/expose-db-targets.cmake share/cmake/expose/expose-config.cmake share/cmake/expose/expose-config-version.cmake \
    share/cmake/expose/expose-targets.cmake share/cmake/expose/expose-pcap-targets.cmake \
    share/cmake/expose/expose-json-targets.cmake share/cmake/expose/FindPCAP.cmake share/pkgconfig/expose.pc; do
    [[ -f "$prefix/$f" ]] || fail "the install lacks $f"
  done
  [[ ! -e "$prefix/bin" ]] || fail "the tools were installed although EXPOSE_BUILD_EXAMPLES=OFF"
}

# cmake_consumer NAME [ARGS...]: configures and builds tests/packaging/NAME into WORK_DIR/MODE/NAME.
cmake_consumer() {
  local name=$1
  shift
  step "configure and build the consumer $name"
  cmake -S "$here/$name" -B "$work/$name" "${generator[@]}" "$@"
  cmake --build "$work/$name"
}

# flag_set FLAGS: the flags other than include paths, each once, sorted, on one line.
flag_set() { tr ' ' '\n' <<<"$1" | grep -v -e '^-I' -e '^$' | sort -u | tr '\n' ' '; }
first_pc_flags=

# pkg_config_consumer PC_DIR PREFIX LABEL [OBJECT]: builds the core consumer with nothing but
# pkg-config's flags: compiled and linked, or (OBJECT given: core.cpp compiled by another .pc's flags)
# preprocessed with these flags and that object linked with them.
pkg_config_consumer() {
  local pc_dir=$1 prefix=$2 label=$3 object=${4:-}
  export PKG_CONFIG_PATH="$pc_dir"
  step "pkg-config expose ($label): PKG_CONFIG_PATH=$PKG_CONFIG_PATH"
  local modversion cflags libs
  modversion=$(pkg-config --modversion expose)
  cflags=$(pkg-config --cflags expose)
  libs=$(pkg-config --libs expose)
  echo "version $modversion; cflags $cflags; libs $libs"
  [[ $modversion == "$version" ]] || fail "pkg-config says version $modversion, the headers $version"
  # The include path must point into this prefix (also when the install was moved by --prefix).
  local include_dir
  include_dir=$(pkg-config --variable=includedir expose)
  [[ -f "$include_dir/expose/expose.hpp" && $(cd "$include_dir" && pwd -P) == $(cd "$prefix/include" && pwd -P) ]] ||
    fail "pkg-config's includedir '$include_dir' is not $prefix/include"
  # Under ctest, compiled by Clang 16 when it is installed (CI installs it): a user of another
  # compiler than the one that built expose, with nothing but the .pc file's flags (Clang before 17
  # deduces no aggregate's template arguments: the consumer's scores::untested{...} needs the
  # header's deduction guide).
  local cxx=${EXPOSE_PKG_CONFIG_CXX:-${CXX:-g++}}
  need "$cxx"
  echo "compiler: $cxx"
  # Both .pc files must give the same flags besides the include path (checked above): core.cpp is
  # compiled once, with the first file's.
  local flags
  flags=$(flag_set "$cflags $libs")
  if [[ -z $object ]]; then
    first_pc_flags=$flags
  elif [[ $flags != "$first_pc_flags" ]]; then
    fail "pkg-config ($label) gives the flags '$flags' besides the include path, the first .pc file '$first_pc_flags'"
  fi
  # shellcheck disable=SC2086 # pkg-config's output is meant to be split
  if [[ -z $object ]]; then
    "$cxx" -c "$here/consumer/core.cpp" -o "$work/core-$label.o" -DEXPOSE_EXPECTED_VERSION="\"$modversion\"" $cflags
    object="$work/core-$label.o"
  else
    "$cxx" -E "$here/consumer/core.cpp" -DEXPOSE_EXPECTED_VERSION="\"$modversion\"" $cflags >/dev/null
  fi
  # shellcheck disable=SC2086
  "$cxx" "$object" -o "$work/core-$label" $libs
  run_consumer "core ($label pkg-config)" "$work/core-$label"
}

case $mode in
  cmake-install)
    need cmake
    install_expose "$work/prefix"
    cmake_consumer cmake_find_components -DCMAKE_PREFIX_PATH="$work/prefix"
    run_consumer "full (find_package COMPONENTS pcap json db)" "$work/cmake_find_components/full" "$work/full.pcap" "$work/full.db"
    cmake_consumer cmake_find_core -DCMAKE_PREFIX_PATH="$work/prefix"
    run_consumer "core (find_package, no components)" "$work/cmake_find_core/core"
    command -v pkg-config >/dev/null 2>&1 || { echo "SKIP ($mode): pkg-config not found: find_package passed, the .pc files are not checked" >&2; exit 77; }
    pkg_config_consumer "$work/prefix/share/pkgconfig" "$work/prefix" cmake
    if command -v meson >/dev/null 2>&1; then
      step "meson: install expose into $work/meson-prefix"
      meson setup "$work/meson-build" "$src" --prefix "$work/meson-prefix" -Dtests=disabled -Dexamples=disabled
      meson install -C "$work/meson-build"
      pkg_config_consumer "$work/meson-prefix/share/pkgconfig" "$work/meson-prefix" meson "$work/core-cmake.o"
    else
      echo "meson not found: the .pc file meson installs is not checked"
    fi
    ;;

  cmake-subdir)
    need cmake
    cmake_consumer cmake_subdir -DEXPOSE_SOURCE_DIR="$src"
    run_consumer "full (add_subdirectory)" "$work/cmake_subdir/full" "$work/full.pcap" "$work/full.db"
    ;;

  meson-subproject)
    need meson
    need ninja
    consumer="$work/consumer"
    mkdir -p "$consumer/subprojects"
    cp "$here/meson_subproject/meson.build" "$consumer/"
    cp -r "$here/consumer" "$consumer/consumer"
    ln -s "$src" "$consumer/subprojects/expose"
    step "meson setup and compile the consumer"
    # Forced to the subproject so an expose installed on the machine cannot stand in for it.
    meson setup "$consumer/build" "$consumer" --force-fallback-for=expose,expose-pcap,expose-json,expose-db
    meson compile -C "$consumer/build"
    targets=$(meson introspect --targets "$consumer/build")
    for t in expose-tests expose-mine expose-synth; do
      if grep -q "\"name\": \"$t\"" <<<"$targets"; then fail "the subproject built $t: tests and tools must be off"; fi
    done
    run_consumer "full (meson subproject)" "$consumer/build/full" "$work/full.pcap" "$work/full.db"
    ;;
esac

printf '\n== %s: passed\n' "$mode"
