#!/usr/bin/env bash
# report_check.sh REPORT.html [CHROMIUM]: loads an expose-mine --report page in headless Chromium
# and fails unless the page's own script found the clusters drawn: on load it measures every
# cluster of the inline SVG (getBBox(), width and height > 0) and writes how many into
# <body data-drawn="N">, beside data-clusters="M", the clusters the page lists. Passes when
# N >= 1 and N == M.
set -u
page=${1:?usage: report_check.sh REPORT.html [CHROMIUM]}
chromium=${2:-chromium}
[ -f "$page" ] || { echo "report_check: no report at '$page'"; exit 1; }
abs=$(cd "$(dirname "$page")" && pwd)/$(basename "$page")
profile=$(mktemp -d)
trap 'rm -rf -- "$profile"' EXIT

dom=$("$chromium" --headless --no-sandbox --disable-gpu --virtual-time-budget=5000 --user-data-dir="$profile" \
      --no-first-run --disable-extensions --dump-dom "file://$abs" 2>"$profile/stderr")
rc=$?
if [ "$rc" != 0 ] || [ -z "$dom" ]; then
  echo "report_check: '$chromium --headless --dump-dom' failed on $abs (exit status $rc); its stderr:"
  cat "$profile/stderr"
  exit 1
fi

body=$(printf '%s\n' "$dom" | grep -o '<body[^>]*>' | head -n 1)
drawn=$(printf '%s\n' "$body" | sed -n 's/.*data-drawn="\([0-9]*\)".*/\1/p')
clusters=$(printf '%s\n' "$body" | sed -n 's/.*data-clusters="\([0-9]*\)".*/\1/p')
if [ -z "$drawn" ]; then
  echo "report_check: the page's script did not run in Chromium: no data-drawn on <body> of $abs"
  echo "  body tag: ${body:-none}"
  exit 1
fi
if [ "$drawn" -lt 1 ]; then
  echo "report_check: Chromium drew no cluster of $abs (data-drawn=\"$drawn\", data-clusters=\"${clusters:-?}\");"
  grep -o 'Graphviz (dot)[^<]*' "$abs" | head -n 1 | sed 's/^/  the page says: /'
  exit 1
fi
if [ -n "$clusters" ] && [ "$drawn" != "$clusters" ]; then
  echo "report_check: Chromium drew $drawn of the $clusters clusters of $abs with a non-zero box"
  exit 1
fi
echo "report_check: $abs: Chromium drew $drawn of ${clusters:-?} clusters (data-drawn=\"$drawn\")"
exit 0
