#pragma once
// The HTML report: one self-contained page (inline CSS and a little inline JavaScript, no external
// URL) with the input's summary, the clusters of the rule graph drawn by Graphviz as inline SVG and
// listed one by one, a rule table sorted by a click on a column header, and the skipped packets by
// reason. Every text that comes from the trace is HTML-escaped. Without Graphviz the page says so
// where the drawing would be, and is written all the same.

#include <cstdint>
#include <cstdio>
#include <ctime>
#include <ostream>
#include <sstream>
#include <string>
#include <string_view>

#include "expose/io/dot.hpp"
#include "expose/io/graphviz.hpp"
#include "expose/io/text.hpp"
#include "expose/mine_result.hpp"
#include "expose/version.hpp"

namespace expose::io {

struct html_options {
  std::string title{};              ///< shown under the heading, e.g. the trace files (escaped)
  std::string dot_program = "dot";  ///< Graphviz, looked up on PATH unless it holds a slash
  std::size_t max_drawn_rules = 1000;  ///< more rules than this are not drawn (dot would take long); 0: no limit
  const host_names* names = nullptr;   ///< names shown beside addresses (`name(address).port`)
};

/// What writing the page did about the drawing: `note` is one line to tell the user when the
/// clusters could not be drawn (Graphviz missing or failing, too many rules), else empty.
struct html_result {
  bool drawn = false;
  std::string note{};
};

/// The note shown instead of the drawing when Graphviz is not installed.
inline constexpr std::string_view graphviz_missing_note =
    "Graphviz (dot) is not installed: install the Debian package graphviz to draw the clusters";

namespace detail {

[[nodiscard]] inline std::string html_escape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

[[nodiscard]] inline std::string html_number(const char* format, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, format, v);
  return buf;
}

/// `2026-01-05 08:00:00.000 UTC`.
[[nodiscard]] inline std::string html_time(std::int64_t ns) {
  std::int64_t s = ns / 1'000'000'000, frac = ns % 1'000'000'000;
  if (frac < 0) {
    frac += 1'000'000'000;
    --s;
  }
  const std::time_t t = static_cast<std::time_t>(s);
  std::tm tm{};
  if (::gmtime_r(&t, &tm) == nullptr) return std::to_string(s) + " s";
  char buf[80];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d %02d:%02d:%02d.%03d UTC", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                tm.tm_min, tm.tm_sec, static_cast<int>(frac / 1'000'000));
  return buf;
}

inline constexpr std::string_view html_style = R"(
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; color: #1d1d1f; margin: 2em auto; max-width: 1200px; padding: 0 1em; }
h1 { font-size: 1.6em; margin-bottom: 0.1em; } h2 { margin-top: 1.8em; border-bottom: 1px solid #ddd; padding-bottom: 0.2em; }
h3 { font-size: 1.05em; margin: 1em 0 0.2em; }
.sub { color: #555; margin-top: 0; }
table { border-collapse: collapse; margin: 0.6em 0; }
th, td { padding: 0.25em 0.7em; border-bottom: 1px solid #e4e4e4; text-align: left; vertical-align: top; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
table.kv th { font-weight: normal; color: #555; }
table.sortable th { cursor: pointer; user-select: none; background: #f4f4f6; white-space: nowrap; }
table.sortable th::after { content: " \2195"; color: #aaa; }
table.sortable th[aria-sort="ascending"]::after { content: " \2191"; color: #333; }
table.sortable th[aria-sort="descending"]::after { content: " \2193"; color: #333; }
tbody tr:hover { background: #fafae6; } tr:target { background: #fff3b0; }
code, .rule { font-family: ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 0.92em; }
.note { background: #fff4e5; border-left: 4px solid #f0a030; padding: 0.6em 1em; }
.warn { color: #9a3412; }
.drawing { overflow: auto; border: 1px solid #e4e4e4; padding: 0.5em; background: #fff; }
.cluster { border-left: 3px solid #c8c8d0; padding-left: 0.8em; margin: 0.8em 0; }
.cluster:target { border-left-color: #f0a030; }
.cluster ul { margin: 0.3em 0; }
)";

inline constexpr std::string_view html_script = R"(
(function () {
  function value(cell, numeric) {
    var v = cell.getAttribute("data-v");
    if (v === null) v = cell.textContent;
    return numeric ? parseFloat(v) : v;
  }
  document.querySelectorAll("table.sortable").forEach(function (table) {
    var heads = table.tHead.rows[0].cells;
    Array.prototype.forEach.call(heads, function (th, col) {
      th.addEventListener("click", function () {
        var numeric = th.getAttribute("data-type") === "num";
        var dir = th.getAttribute("aria-sort") === "ascending" ? -1 : 1;
        Array.prototype.forEach.call(heads, function (h) { h.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", dir > 0 ? "ascending" : "descending");
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (a, b) {
          var x = value(a.cells[col], numeric), y = value(b.cells[col], numeric);
          return dir * (numeric ? x - y : (x < y ? -1 : x > y ? 1 : 0));
        });
        rows.forEach(function (r) { body.appendChild(r); });
      });
    });
  });
  // How many clusters the drawing shows with a non-zero box: body data-drawn (checked in a
  // headless browser by the tests), beside data-clusters, the number of clusters listed.
  window.addEventListener("load", function () {
    var drawn = 0;
    document.querySelectorAll(".drawing svg g.cluster").forEach(function (g) {
      var box = g.getBBox();
      if (box.width > 0 && box.height > 0) ++drawn;
    });
    document.body.dataset.drawn = String(drawn);
  });
})();
)";

}  // namespace detail

/// Writes the page. Graphviz (`options.dot_program`) draws the clusters; when it is missing or
/// fails, the page holds a note instead and the result says why.
inline html_result write_html(std::ostream& out, const mine_result& r, const html_options& options = {}) {
  using detail::html_escape;
  using detail::html_number;
  html_result done;
  const auto& in = r.input;
  std::uint64_t skipped = 0;
  for (const auto& [why, n] : in.skipped) skipped += n;

  out << "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      << "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
      << "<title>expose: " << r.rules.size() << (r.rules.size() == 1 ? " rule" : " rules")
      << (options.title.empty() ? "" : " \u2014 ") << html_escape(options.title) << "</title>\n"
      << "<style>" << detail::html_style << "</style>\n</head>\n"
      << "<body data-clusters=\"" << r.clusters.size() << "\">\n"
      << "<h1>expose report</h1>\n<p class=\"sub\">expose " << version;
  if (!options.title.empty()) out << " \u2014 " << html_escape(options.title);
  out << "</p>\n";

  // ---- the input ----
  out << "<h2 id=\"summary\">Trace</h2>\n<table class=\"kv\">\n";
  auto row = [&](std::string_view name, const std::string& value) {
    out << "<tr><th>" << name << "</th><td class=\"n\">" << value << "</td></tr>\n";
  };
  row("packets", std::to_string(in.packets));
  row("decoded", std::to_string(in.decoded));
  row("skipped", skipped == 0 ? std::string("0") : std::to_string(skipped) + " (<a href=\"#skipped\">by reason</a>)");
  row("flows", std::to_string(r.flows));
  row("items (flows and generic patterns)", std::to_string(r.items.size()));
  row("windows", std::to_string(r.windows) + " of " + html_number("%g", r.window_seconds) + " s");
  row("start", in.decoded == 0 ? std::string("&mdash;") : detail::html_time(in.start_ns));
  row("end", in.decoded == 0 ? std::string("&mdash;") : detail::html_time(in.end_ns));
  row("activity entries", std::to_string(r.activity_entries));
  row("damaged", in.damaged ? "<span class=\"warn\">yes: the results cover what was read before the damage</span>" : "no");
  row("evicted flows", std::to_string(r.limits.evicted_flows));
  row("refused packets", std::to_string(r.limits.refused));
  if (r.limits.stopped) row("reading stopped early", "after " + std::to_string(r.limits.stopped_after) + " decoded packets");
  out << "</table>\n";
  if (in.warnings.empty()) {
    out << "<p>No warnings.</p>\n";
  } else {
    out << "<h3>Warnings</h3>\n<ul class=\"warn\">\n";
    for (const auto& w : in.warnings) out << "<li>" << html_escape(w) << "</li>\n";
    out << "</ul>\n";
  }

  // ---- the clusters: drawn, then listed ----
  out << "<h2 id=\"clusters\">Clusters of the rule graph</h2>\n<p>" << r.clusters.size()
      << (r.clusters.size() == 1 ? " cluster" : " clusters") << " of " << r.rules.size() << (r.rules.size() == 1 ? " rule" : " rules")
      << "; flows are boxes, rules are edges labelled with their score (<code>&lt;=&gt;</code> has arrows both ways).</p>\n";
  if (r.rules.empty()) {
    out << "<p>No rules: nothing to draw.</p>\n";
  } else if (options.max_drawn_rules != 0 && r.rules.size() > options.max_drawn_rules) {
    done.note = std::to_string(r.rules.size()) + " rules are too many to draw (more than " + std::to_string(options.max_drawn_rules) +
                "); keep fewer (expose-mine --top) to draw the clusters";
    out << "<p class=\"note\">" << html_escape(done.note) << "</p>\n";
  } else {
    std::ostringstream dot;
    write_dot(dot, r, options.names);
    const svg_drawing drawing = render_svg(dot.str(), options.dot_program);
    if (drawing.drawn()) {
      done.drawn = true;
      out << "<div class=\"drawing\">\n" << drawing.svg << "\n</div>\n";
    } else {
      if (drawing.state == svg_drawing::status::not_installed) done.note = graphviz_missing_note;
      else done.note = "Graphviz (dot) failed, so the clusters are not drawn: " + drawing.error;
      out << "<p class=\"note\" id=\"no-drawing\">" << html_escape(done.note) << "</p>\n";
    }
  }
  for (std::size_t c = 0; c < r.clusters.size(); ++c) {
    const cluster& cl = r.clusters[c];
    out << "<div class=\"cluster\" id=\"cluster-" << c << "\">\n<h3>cluster " << c << ": <span class=\"rule\">" << html_escape(cl.summary)
        << "</span></h3>\n<p>density " << html_number("%.2f", cl.density) << " &middot; " << cl.items.size()
        << (cl.items.size() == 1 ? " flow" : " flows") << " &middot; " << cl.rules.size() << (cl.rules.size() == 1 ? " rule" : " rules")
        << ":";
    for (auto i : cl.rules) out << " <a href=\"#rule-" << i + 1 << "\">" << i + 1 << "</a>";
    out << "</p>\n<ul>\n";
    for (auto item : cl.items) out << "<li><code>" << html_escape(named_text(r.items[item], options.names)) << "</code></li>\n";
    out << "</ul>\n</div>\n";
  }

  // ---- the rules ----
  out << "<h2 id=\"rules\">Rules</h2>\n<p>" << r.rules.size() << (r.rules.size() == 1 ? " rule" : " rules")
      << ", most significant first; click a column header to sort. Score: J-measure in bits; support: samples with both sides; "
         "lhs_count: samples with the left side.</p>\n"
      << "<table class=\"sortable\" id=\"rule-table\">\n<thead><tr><th class=\"n\" data-type=\"num\">rank</th>"
      << "<th class=\"n\" data-type=\"num\">score</th><th class=\"n\" data-type=\"num\">support</th>"
      << "<th class=\"n\" data-type=\"num\">lhs_count</th><th>kind</th><th>rule</th><th>order</th></tr></thead>\n<tbody>\n";
  for (std::size_t i = 0; i < r.rules.size(); ++i) {
    const rule& x = r.rules[i];
    out << "<tr id=\"rule-" << i + 1 << "\"><td class=\"n\">" << i + 1 << "</td><td class=\"n\" data-v=\"" << html_number("%.17g", x.score)
        << "\">" << html_number("%.4f", x.score) << "</td><td class=\"n\">" << x.counts.n_xy << "</td><td class=\"n\">" << x.counts.n_x
        << "</td><td>" << html_escape(kind_text(x.kind)) << "</td><td class=\"rule\">" << html_escape(rule_text(r, x, options.names)) << "</td><td>"
        << order_text(x.order);
    if (x.order == rule_order::lhs_first) out << " (within " << x.lag << (x.lag == 1 ? " window" : " windows") << ")";
    out << "</td></tr>\n";
  }
  out << "</tbody>\n</table>\n";

  // ---- the skipped packets ----
  out << "<h2 id=\"skipped\">Skipped packets</h2>\n";
  if (in.skipped.empty()) {
    out << "<p>No packet was skipped.</p>\n";
  } else {
    out << "<table class=\"sortable\" id=\"skipped-table\">\n<thead><tr><th>reason</th><th class=\"n\" data-type=\"num\">packets</th>"
        << "<th class=\"n\" data-type=\"num\">share of all packets</th></tr></thead>\n<tbody>\n";
    for (const auto& [why, n] : in.skipped) {
      const double share = in.packets == 0 ? 0.0 : 100.0 * static_cast<double>(n) / static_cast<double>(in.packets);
      out << "<tr><td>" << html_escape(why) << "</td><td class=\"n\">" << n << "</td><td class=\"n\" data-v=\""
          << html_number("%.17g", share) << "\">" << html_number("%.2f", share) << "%</td></tr>\n";
    }
    out << "</tbody>\n</table>\n";
  }

  out << "<script>" << detail::html_script << "</script>\n</body>\n</html>\n";
  return done;
}

}  // namespace expose::io
