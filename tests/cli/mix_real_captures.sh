#!/usr/bin/env bash
# mix_real_captures.sh SOURCE_DIR BUILD_DIR: the known answer on real traffic (scripts/mix_check.sh
# under the default null model). The captures of EXPOSE_TRACE_DIR, each in its own address range,
# are played over one another from one start and from two random starts, then under a generated
# trace with the 14 planted patterns: no rule may join hosts of two captures, and every planted
# pattern must be found. Skipped (77) without EXPOSE_TRACE_DIR.
set -euo pipefail
src=$1 build=$2
[ -n "${EXPOSE_TRACE_DIR:-}" ] && [ -d "$EXPOSE_TRACE_DIR" ] || { echo "SKIPPED: EXPOSE_TRACE_DIR is not set"; exit 77; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
out=$(EXPOSE_MIX_DIR="$work" bash "$src/scripts/mix_check.sh" "$build" "$EXPOSE_TRACE_DIR" alive)
printf '%s\n' "$out"
# | arrangement | null | rules | cross | source precision | recall | in-capture rules (captures) |
rows=$(awk -F'|' 'NR > 1 { n++ } END { print n + 0 }' <<<"$out")
[ "$rows" = 4 ] || { echo "FAIL: $rows arrangements, not 4"; exit 1; }
awk -F'|' 'NR > 1 && $5 + 0 != 0 { print "FAIL: " $2 "has" $5 "cross-source rules"; bad = 1 } END { exit bad }' <<<"$out"
awk -F'|' 'NR > 1 && $2 ~ /planted/ && $7 !~ /14\/14/ { print "FAIL: planted recall" $7 "is not 14/14"; bad = 1 } END { exit bad }' <<<"$out"
echo "ok: no cross-source rule in 4 arrangements, 14/14 planted patterns found"
