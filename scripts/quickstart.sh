#!/usr/bin/env bash
# Installs what is missing (Debian 12 packages; as root, else prints the apt-get line), builds
# expose into ./build, writes the demo trace with expose-synth and mines it with expose-mine.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(g++ cmake ninja-build pkg-config meson libboost1.81-dev libpcap-dev libeigen3-dev
          libspectra-dev nlohmann-json3-dev libcli11-dev doctest-dev libbenchmark-dev graphviz
          libopenmpi-dev openmpi-bin libsqlite3-dev sqlite3 zlib1g-dev)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "quickstart: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "quickstart: missing Debian packages; run this as root, or first:"
    echo "  sudo apt-get install -y ${missing[*]}"
    exit 1
  fi
fi

# The benchmarks and expose-mine-mpi are not built here: the tools and the tests are what a
# newcomer needs first (.ci/run builds the benchmarks, and scripts/sanitize.sh builds
# expose-mine-mpi and runs its tests). For the MPI tool: cmake -S . -B build -DEXPOSE_BUILD_MPI_TOOL=ON.
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DEXPOSE_BUILD_BENCHMARKS=OFF -DEXPOSE_BUILD_MPI_TOOL=OFF >/dev/null
cmake --build build
echo
echo "\$ build/examples/expose-mine build/demo.pcap"
build/examples/expose-mine build/demo.pcap
