#!/usr/bin/env bash
# report_check.sh REPORT.html [CHROMIUM] [SCREENSHOT.png]: loads an expose-mine --report page in
# headless Chromium and fails unless the page's own script ran and found every pattern drawn: on
# load it measures each pattern's drawing (the inline SVG's box, width and height > 0) and writes
# how many into <body data-drawn="N">, beside data-drawings="D" (the drawings the page holds) and
# data-patterns="P" (the patterns it lists), and when it had loaded, data-load-ms. Passes when
# N >= 1 and N == D == P; prints the load time but does not judge it (a time is no test: a loaded
# machine would fail it; Chromium's --virtual-time-budget gives the page 5 s of virtual time to
# load, and a page not loaded by then has no data-drawn, which fails). With SCREENSHOT, also
# writes a screenshot of the page's top (1200 x 1600 pixels) there, for the README.
set -u
page=${1:?usage: report_check.sh REPORT.html [CHROMIUM] [SCREENSHOT.png]}
chromium=${2:-chromium}
screenshot=${3:-}
[ -f "$page" ] || { echo "report_check: no report at '$page'"; exit 1; }
abs=$(cd "$(dirname "$page")" && pwd)/$(basename "$page")
profile=$(mktemp -d)
trap 'rm -rf -- "$profile"' EXIT
flags=(--headless --no-sandbox --disable-gpu --user-data-dir="$profile" --no-first-run --disable-extensions)

dom=$("$chromium" "${flags[@]}" --virtual-time-budget=5000 --dump-dom "file://$abs" 2>"$profile/stderr")
rc=$?
if [ "$rc" != 0 ] || [ -z "$dom" ]; then
  echo "report_check: '$chromium --headless --dump-dom' failed on $abs (exit status $rc); its stderr:"
  cat "$profile/stderr"
  exit 1
fi

body=$(printf '%s\n' "$dom" | grep -o '<body[^>]*>' | head -n 1)
attribute() { printf '%s\n' "$body" | sed -n "s/.* $1=\"\([0-9]*\)\".*/\1/p"; }
drawn=$(attribute data-drawn)
drawings=$(attribute data-drawings)
patterns=$(attribute data-patterns)
load_ms=$(attribute data-load-ms)
if [ -z "$drawn" ] || [ -z "$load_ms" ]; then
  echo "report_check: the page's script did not run in Chromium: no data-drawn or data-load-ms on <body> of $abs"
  echo "  body tag: ${body:-none}"
  exit 1
fi
if [ "$drawn" -lt 1 ]; then
  echo "report_check: Chromium drew no pattern of $abs (data-drawn=\"$drawn\", data-patterns=\"${patterns:-?}\");"
  grep -o 'Graphviz (dot)[^<]*' "$abs" | head -n 1 | sed 's/^/  the page says: /'
  exit 1
fi
if [ "$drawn" != "$drawings" ] || [ "$drawings" != "$patterns" ]; then
  echo "report_check: Chromium drew $drawn of the page's $drawings drawings, for ${patterns:-?} patterns, of $abs"
  exit 1
fi
rows=$(printf '%s\n' "$dom" | sed -n '/<table class="sortable" id="rule-table">/,/<\/table>/p' | grep -o '<tr>' | wc -l)
echo "report_check: $abs: Chromium drew $drawn of $patterns patterns; $((rows - 1)) rule rows on the first page; loaded in $load_ms ms"
if [ -n "$screenshot" ]; then
  "$chromium" "${flags[@]}" --hide-scrollbars --window-size=1200,1600 --screenshot="$screenshot" "file://$abs" 2>"$profile/stderr" ||
    { echo "report_check: the screenshot failed:"; cat "$profile/stderr"; exit 1; }
  [ -s "$screenshot" ] || { echo "report_check: no screenshot at $screenshot"; exit 1; }
  echo "report_check: screenshot: $screenshot"
fi
exit 0
