#!/usr/bin/env bash
# scripts/heldout_mix.sh BUILD [WORK]: the mix check of scripts/mix_check.sh on captures the project
# was never tuned on. It fetches the source of Debian's nDPI package (apt-get source; adds a deb-src
# entry when there is none), takes the captures of its tests/pcap with at least 200 packets and
# 60 s to 3.3 h long (the fuzzing captures left out), deals them in turn into three lists of at most
# 16 (expose-synth --background mixes up to 16) and runs mix_check.sh on each under both null models.
# Needs root for the deb-src entry, and capinfos (tshark).
set -euo pipefail
build=${1:?usage: scripts/heldout_mix.sh BUILD [WORK]}
work=${2:-/tmp/expose-heldout}
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$work"
cd "$work"
if ! ls -d nDPI-*/tests/pcap >/dev/null 2>&1; then
  if ! grep -rqs '^Types: deb-src' /etc/apt/sources.list.d/ && ! grep -qs '^deb-src' /etc/apt/sources.list; then
    sed 's/^Types: deb$/Types: deb-src/' /etc/apt/sources.list.d/debian.sources >/etc/apt/sources.list.d/expose-deb-src.sources
    apt-get update -qq
  fi
  apt-get source --download-only ndpi >/dev/null 2>&1
  tar xzf ndpi_*.orig.tar.gz --wildcards '*/tests/pcap/*'
fi
for f in nDPI-*/tests/pcap/*; do capinfos -M -T -r -c -u "$f" 2>/dev/null || true; done |
  awk -F'\t' -v dir="$work" '$2 >= 200 && $3 >= 60 && $3 <= 12000 && $1 !~ /fuzz/ { print dir "/" $1 }' >all.txt
rm -f list-1.txt list-2.txt list-3.txt
awk '{ print > ("list-" (NR % 3 + 1) ".txt") }' all.txt
echo "$(wc -l <all.txt) held-out captures in three lists"
for i in 1 2 3; do
  echo "list $i: $(xargs -n1 basename <list-$i.txt | tr '\n' ' ')"
  EXPOSE_MIX_DIR="$work/mix-$i" bash "$here/mix_check.sh" "$build" --captures "$work/list-$i.txt"
done
