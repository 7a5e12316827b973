#pragma once
// The HTML report, for a person: one self-contained page (inline CSS and JavaScript, no external
// URL). It opens with the patterns (the joined clusters of the rule graph, most significant first)
// as cards: summary, counts, an activity timeline; then each pattern in full: when it was active
// (an SVG timeline per minute), its hosts drawn by Graphviz at host level (io/host_graph.hpp: hosts
// as nodes, services on the edges, many alike peers folded; scaled to the page's width), its names,
// its best rules and its flows. Then the rules, paged and sortable, drawn by the page's script from
// a JSON island (the first `max_table_rules` of them, so that the page stays small and quick however
// many rules there are), the input's summary and the skipped packets by reason. Every text that
// comes from the trace is escaped. Without Graphviz the page says so where the drawings would be,
// and is written all the same.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <ostream>
#include <sstream>
#include <string>
#include <string_view>

#include "expose/clusters/summary.hpp"
#include "expose/dependencies.hpp"
#include "expose/io/deps.hpp"
#include "expose/io/graphviz.hpp"
#include "expose/io/host_graph.hpp"
#include "expose/io/text.hpp"
#include "expose/io/utc_time.hpp"
#include "expose/mine_result.hpp"
#include "expose/version.hpp"

namespace expose::io {

struct html_options {
  std::string title{};              ///< shown under the heading, e.g. the trace files (escaped)
  std::string dot_program = "dot";  ///< Graphviz, looked up on PATH unless it holds a slash
  const host_names* names = nullptr;   ///< names shown beside addresses (`name(address).port`)
  std::size_t max_drawn_patterns = 40;  ///< patterns drawn (one Graphviz run each), most significant first
  std::size_t max_table_rules = 10000;  ///< rules in the page's table (all of them: JSON, or text with --rules all)
  std::size_t rules_per_pattern = 3;    ///< best rules shown with each pattern
  std::size_t flows_per_pattern = 50;   ///< flows listed under each pattern
  std::size_t max_dependencies = 50;    ///< service dependencies in their table, most significant first
};

/// What writing the page did about the drawings: `note` is one line to tell the user when the
/// patterns could not be drawn (Graphviz missing or failing), else empty.
struct html_result {
  bool drawn = false;       ///< at least one pattern drawn
  std::size_t drawings = 0;  ///< patterns drawn
  std::string note{};
};

/// The note shown instead of the drawing when Graphviz is not installed.
inline constexpr std::string_view graphviz_missing_note =
    "Graphviz (dot) is not installed: install the Debian package graphviz to draw the patterns";

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
  return utc_time_text(utc_nanoseconds(ns), {.milliseconds = true, .zone = true});
}

/// Each pattern's best rules a table of part of the rules holds first (rules_in_table).
inline constexpr std::size_t table_rules_per_pattern = 20;

/// Which listed rules the report's table holds, `in_table` of them (every one when that is all):
/// past that, each pattern's 20 best (up to half the table: every pattern's best first, then every
/// pattern's second best, ...), then the most significant of the others. The first 10,000 alone
/// left out the third of nfpuzzle_evidence04's patterns (148,509 rules listed), and a filter for
/// one of its hosts found nothing. `order`: pattern_order(r).
[[nodiscard]] inline std::vector<char> rules_in_table(const mine_result& r, const std::vector<std::size_t>& order, std::size_t in_table) {
  const std::size_t listed = r.listed_rules();
  std::vector<char> in(r.rules.size(), in_table >= listed ? 1 : 0);
  if (in_table >= listed) return in;
  std::vector<std::vector<std::size_t>> listed_of(order.size());
  for (std::size_t k = 0; k < order.size(); ++k)
    for (const std::size_t i : r.clusters[order[k]].rules)
      if (i < r.rules.size() && !r.rules[i].folded() && listed_of[k].size() < table_rules_per_pattern) listed_of[k].push_back(i);
  std::size_t taken = 0;
  for (std::size_t depth = 0; depth < table_rules_per_pattern && taken < in_table / 2; ++depth)
    for (std::size_t k = 0; k < order.size() && taken < in_table / 2; ++k)
      if (depth < listed_of[k].size() && in[listed_of[k][depth]] == 0) {
        in[listed_of[k][depth]] = 1;
        ++taken;
      }
  for (std::size_t i = 0; i < r.rules.size() && taken < in_table; ++i)
    if (!r.rules[i].folded() && in[i] == 0) {
      in[i] = 1;
      ++taken;
    }
  return in;
}

/// A string as a JSON string literal that is safe inside a `<script>` element: `<`, `>` and `&`
/// are written as `\u003c`, `\u003e`, `\u0026`, so no text from the trace can close the element.
[[nodiscard]] inline std::string script_json_string(std::string_view s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '<': out += "\\u003c"; break;
      case '>': out += "\\u003e"; break;
      case '&': out += "\\u0026"; break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

/// A timeline's bars are minutes, up to a day of trace; beyond, 60ths of the trace.
[[nodiscard]] inline bool timeline_by_minute(const cluster& c) { return !c.per_minute.empty() && c.per_minute.size() <= 1440; }

/// What one bar of a pattern's timeline counts.
[[nodiscard]] inline const char* timeline_unit(const cluster& c) {
  return timeline_by_minute(c) ? "windows active per minute" : "windows active per 60th of the trace";
}

/// A pattern's activity as a bar per minute (or per 60th of the trace when it is longer than a
/// day), as high as the share of the busiest bar; `big` draws the taller one of a pattern's section.
[[nodiscard]] inline std::string timeline_svg(const cluster& c, bool big) {
  const auto& bars = timeline_by_minute(c) ? c.per_minute : c.timeline;
  if (bars.empty()) return {};
  const auto most = std::max<std::uint32_t>(1, *std::max_element(bars.begin(), bars.end()));
  std::string out = "<svg class=\"timeline" + std::string(big ? " big" : "") + "\" viewBox=\"0 0 " + std::to_string(bars.size()) +
                    " 20\" preserveAspectRatio=\"none\" role=\"img\"><title>" + timeline_unit(c) + "</title>" +
                    "<rect class=\"bg\" x=\"0\" y=\"0\" width=\"" + std::to_string(bars.size()) + "\" height=\"20\"/>";
  char buf[96];
  for (std::size_t i = 0; i < bars.size(); ++i) {
    if (bars[i] == 0) continue;
    const double h = std::max(1.5, 20.0 * bars[i] / most);
    std::snprintf(buf, sizeof buf, "<rect x=\"%zu\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\"/>", i, 20.0 - h, bars.size() > 200 ? 1.0 : 0.85, h);
    out += buf;
  }
  return out + "</svg>";
}

inline constexpr std::string_view html_style = R"(
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; color: #1d1d1f; margin: 2em auto; max-width: 1200px; padding: 0 1em; }
h1 { font-size: 1.6em; margin-bottom: 0.1em; } h2 { margin-top: 1.8em; border-bottom: 1px solid #ddd; padding-bottom: 0.2em; }
h3 { font-size: 1.1em; margin: 0 0 0.3em; } h4 { margin: 0.8em 0 0.2em; font-size: 0.95em; color: #444; }
.sub { color: #555; margin-top: 0; } .lead { font-size: 1.05em; }
table { border-collapse: collapse; margin: 0.6em 0; }
th, td { padding: 0.25em 0.7em; border-bottom: 1px solid #e4e4e4; text-align: left; vertical-align: top; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
table.kv th { font-weight: normal; color: #555; }
table.sortable th { cursor: pointer; user-select: none; background: #f4f4f6; white-space: nowrap; }
table.sortable th::after { content: " \2195"; color: #aaa; }
table.sortable th[aria-sort="ascending"]::after { content: " \2191"; color: #333; }
table.sortable th[aria-sort="descending"]::after { content: " \2193"; color: #333; }
tbody tr:hover { background: #fafae6; }
code, .rule { font-family: ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 0.92em; overflow-wrap: anywhere; }
.note { background: #fff4e5; border-left: 4px solid #f0a030; padding: 0.6em 1em; }
.warn { color: #9a3412; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(270px, 1fr)); gap: 0.8em; margin: 1em 0; }
.card { display: block; border: 1px solid #d8dbe3; border-radius: 8px; padding: 0.6em 0.8em; color: inherit; text-decoration: none; background: #fbfbfd; }
.card:hover { border-color: #7a8bb0; background: #f3f5fb; }
.card .k { font-weight: 600; color: #44507a; } .card .rule { display: block; margin: 0.2em 0; }
.meta { color: #555; font-size: 0.92em; }
svg.timeline { display: block; width: 100%; height: 18px; margin: 0.3em 0; } svg.timeline.big { height: 36px; }
svg.timeline rect { fill: #4a6fb5; } svg.timeline rect.bg { fill: #eef0f5; }
.axis { display: flex; justify-content: space-between; color: #777; font-size: 0.8em; }
.pattern { border: 1px solid #d8dbe3; border-radius: 8px; padding: 0.8em 1em; margin: 1.2em 0; }
.pattern:target { border-color: #f0a030; box-shadow: 0 0 0 2px #f8d9a8; }
.drawing { margin: 0.6em 0; text-align: center; }
.drawing svg { max-width: 100%; height: auto; }
.pager { display: flex; gap: 0.8em; align-items: center; margin: 0.4em 0; }
#rule-filter { width: 24em; max-width: 100%; padding: 0.3em 0.5em; }
details summary { cursor: pointer; color: #44507a; }
)";

inline constexpr std::string_view html_script = R"(
(function () {
  // The rule table: rows drawn from the JSON island, one page at a time (the DOM never holds them
  // all), sorted by a click on a column header, filtered by the text box.
  var data = JSON.parse(document.getElementById("rule-data").textContent);
  var table = document.getElementById("rule-table");
  var body = table.tBodies[0], heads = table.tHead.rows[0].cells;
  var perPage = 100, page = 0, view = data.slice(), listed = Number(table.getAttribute("data-listed"));
  var numeric = [true, true, true, true, false, false, false, true];
  function cell(row, text, cls) {
    var td = row.insertCell(); td.textContent = text; if (cls) td.className = cls; return td;
  }
  function render() {
    var pages = Math.max(1, Math.ceil(view.length / perPage));
    page = Math.min(page, pages - 1);
    body.textContent = "";
    view.slice(page * perPage, (page + 1) * perPage).forEach(function (r) {
      var tr = body.insertRow();
      cell(tr, r[0], "n"); cell(tr, r[1].toFixed(4), "n"); cell(tr, r[2], "n"); cell(tr, r[3], "n");
      cell(tr, r[4]); cell(tr, r[5], "rule"); cell(tr, r[6]);
      var td = tr.insertCell(); td.className = "n";
      if (r[7] > 0) { var a = document.createElement("a"); a.href = "#pattern-" + r[7]; a.textContent = r[7]; td.appendChild(a); }
    });
    // a table that holds part of the rules says so of what a filter finds in it
    var part = data.length < listed ? " among the " + data.length + " in this table, of " + listed + ": all in expose-mine --format json" : "";
    document.getElementById("rule-page").textContent = view.length === 0 ? "no rule matches" + part :
      "rules " + (page * perPage + 1) + "\u2013" + Math.min(view.length, (page + 1) * perPage) + " of " + view.length +
      (view.length < data.length ? part : "");
    document.getElementById("rule-prev").disabled = page === 0;
    document.getElementById("rule-next").disabled = page >= pages - 1;
  }
  Array.prototype.forEach.call(heads, function (th, col) {
    th.addEventListener("click", function () {
      var dir = th.getAttribute("aria-sort") === "ascending" ? -1 : 1;
      Array.prototype.forEach.call(heads, function (h) { h.removeAttribute("aria-sort"); });
      th.setAttribute("aria-sort", dir > 0 ? "ascending" : "descending");
      view.sort(function (a, b) {
        var x = a[col], y = b[col];
        return dir * (numeric[col] ? x - y : (x < y ? -1 : x > y ? 1 : 0)) || a[0] - b[0];
      });
      page = 0; render();
    });
  });
  document.getElementById("rule-prev").addEventListener("click", function () { --page; render(); });
  document.getElementById("rule-next").addEventListener("click", function () { ++page; render(); });
  document.getElementById("rule-filter").addEventListener("input", function (e) {
    var q = e.target.value.toLowerCase();
    view = data.filter(function (r) { return r[5].toLowerCase().indexOf(q) >= 0; });
    Array.prototype.forEach.call(heads, function (h) { h.removeAttribute("aria-sort"); });
    page = 0; render();
  });
  render();
  // For the tests, on <body>: data-drawn, the pattern drawings shown with a non-zero box (beside
  // data-drawings, those the page holds), and data-load-ms, when the page had loaded.
  window.addEventListener("load", function () {
    var drawn = 0;
    document.querySelectorAll(".drawing svg").forEach(function (svg) {
      var box = svg.getBoundingClientRect();
      if (box.width > 0 && box.height > 0) ++drawn;
    });
    document.body.dataset.drawn = String(drawn);
    document.body.dataset.loadMs = String(Math.round(performance.now()));
  });
})();
)";

}  // namespace detail

/// Writes the page. Graphviz (`options.dot_program`) draws the patterns; when it is missing or
/// fails, the page holds a note instead and the result says why.
inline html_result write_html(std::ostream& out, const mine_result& r, const html_options& options = {}) {
  using detail::html_escape;
  using detail::html_number;
  html_result done;
  const auto& in = r.input;
  const host_names* names = options.names;
  std::uint64_t skipped = 0;
  for (const auto& [why, n] : in.skipped) skipped += n;
  const auto plural = [](std::size_t n, const char* one, const char* many) {
    return std::to_string(n) + " " + (n == 1 ? one : many);
  };
  // Rules alike to a more significant one (rule::alike_of) are counted, not listed.
  const std::size_t listed_rules = r.listed_rules();
  const auto order = pattern_order(r);
  std::vector<std::vector<ip_address>> hosts_of_pattern(order.size());  // for the card and the section
  for (std::size_t k = 0; k < order.size(); ++k) hosts_of_pattern[k] = clusters::host_list(r.clusters[order[k]], r.items);
  std::vector<std::size_t> pattern_of_rule(r.rules.size(), 0);  // 1-based pattern number, 0: none
  for (std::size_t k = 0; k < order.size(); ++k)
    for (const auto i : r.clusters[order[k]].rules)
      if (i < pattern_of_rule.size()) pattern_of_rule[i] = k + 1;

  // ---- the drawings first: the page says how many it holds ----
  std::vector<std::string> drawing(order.size());
  std::vector<std::string> drawing_note(order.size());
  const std::size_t to_draw = std::min(order.size(), options.max_drawn_patterns);
  for (std::size_t k = 0; k < to_draw; ++k) {
    std::ostringstream dot;
    write_pattern_dot(dot, r, order[k], {.names = names});
    svg_drawing d = render_svg(dot.str(), options.dot_program);
    if (d.drawn()) {
      drawing[k] = std::move(d.svg);
      ++done.drawings;
    } else if (d.state == svg_drawing::status::not_installed) {
      done.note = graphviz_missing_note;
      break;
    } else {
      drawing_note[k] = "Graphviz (dot) failed, so this pattern is not drawn: " + d.error;
      if (done.note.empty()) done.note = "Graphviz (dot) failed, so the patterns are not drawn: " + d.error;
    }
  }
  done.drawn = done.drawings != 0;

  out << "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      << "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
      << "<title>expose: " << plural(r.clusters.size(), "pattern", "patterns") << ", " << plural(listed_rules, "rule", "rules")
      << (options.title.empty() ? "" : " \u2014 ") << html_escape(options.title) << "</title>\n"
      << "<style>" << detail::html_style << "</style>\n</head>\n"
      << "<body data-patterns=\"" << order.size() << "\" data-drawings=\"" << done.drawings << "\">\n"
      << "<h1>expose report</h1>\n<p class=\"sub\">expose " << version;
  if (!options.title.empty()) out << " \u2014 " << html_escape(options.title);
  const std::string records = std::string(in.record) + "s";  // packets, or connection records of a flow log
  out << "</p>\n<p class=\"lead\">" << in.packets << " " << records;
  if (in.decoded != 0) out << " from " << detail::html_time(in.start_ns) << " to " << detail::html_time(in.end_ns);
  out << "; " << plural(r.flows, "flow", "flows") << " in " << r.windows << " windows of " << html_number("%g", r.window_seconds)
      << " s; <b>" << plural(r.clusters.size(), "pattern", "patterns") << "</b> from " << detail::rules_count(r)
      << ". <a href=\"#trace\">The trace</a> &middot; <a href=\"#rules\">the rules</a>.</p>\n";
  if (in.damaged) out << "<p class=\"note warn\">The input is damaged: the results cover what was read before the damage.</p>\n";
  if (r.limits.evicted_flows != 0 || r.limits.refused != 0 || r.limits.stopped)
    out << "<p class=\"note warn\">A flow or memory limit was reached: " << r.limits.evicted_flows << " flows evicted, " << r.limits.refused
        << " packets of new connections left out" << (r.limits.stopped ? ", reading stopped early" : "") << ".</p>\n";
  for (const auto& w : in.warnings) out << "<p class=\"note warn\">" << html_escape(w) << "</p>\n";

  // ---- the patterns: cards, then each in full ----
  out << "<h2 id=\"patterns\">Patterns</h2>\n";
  if (order.empty()) {
    out << "<p>No pattern: " << (r.rules.empty() ? "no rule was found." : "the rules were not clustered.") << "</p>\n";
  } else {
    out << "<p>" << plural(order.size(), "pattern", "patterns")
        << ", most significant first: each is a set of flows that happen together again and again; the bar shows when.</p>\n"
        << "<div class=\"cards\">\n";
    for (std::size_t k = 0; k < order.size(); ++k) {
      const cluster& cl = r.clusters[order[k]];
      out << "<a class=\"card\" href=\"#pattern-" << k + 1 << "\"><span class=\"k\">" << k + 1 << "</span> <span class=\"rule\">"
          << html_escape(cl.summary) << "</span><span class=\"meta\">" << plural(clusters::listed_flows(cl, r.items).size(), "flow", "flows") << " &middot; "
          << plural(hosts_of_pattern[k].size(), "host", "hosts") << " &middot; " << detail::rules_count(r, cl.rules);
      if (cl.period_seconds > 0) out << " &middot; every " << html_number("%.3g", cl.period_seconds) << " s";
      out << "</span>" << detail::timeline_svg(cl, false) << "</a>\n";
    }
    out << "</div>\n";
  }
  if (!done.note.empty()) out << "<p class=\"note\" id=\"no-drawing\">" << html_escape(done.note) << "</p>\n";
  for (std::size_t k = 0; k < order.size(); ++k) {
    const cluster& cl = r.clusters[order[k]];
    const auto& hosts = hosts_of_pattern[k];
    const auto flows = clusters::listed_flows(cl, r.items);
    out << "<section class=\"pattern\" id=\"pattern-" << k + 1 << "\">\n<h3>Pattern " << k + 1 << ": <span class=\"rule\">"
        << html_escape(cl.summary) << "</span></h3>\n<p class=\"meta\">" << plural(flows.size(), "flow", "flows") << ", "
        << plural(hosts.size(), "host", "hosts") << ", " << detail::rules_count(r, cl.rules) << ", density "
        << html_number("%.2f", cl.density);
    if (cl.parts > 1) out << ", " << cl.parts << " parts joined";
    if (cl.windows_active != 0) {
      const auto at = [](double seconds) { return detail::html_time(static_cast<std::int64_t>(std::floor(seconds * 1e3)) * 1'000'000); };
      const auto [from, to] = r.active_span(cl);
      out << "; active in " << cl.windows_active << " of " << r.windows << " windows, " << at(from) << " to " << at(to);
      if (cl.period_seconds > 0) out << ", every " << html_number("%.3g", cl.period_seconds) << " s";
      out << "</p>\n" << detail::timeline_svg(cl, true) << "\n<div class=\"axis\"><span>"
          << (in.decoded != 0 ? detail::html_time(in.start_ns) : std::string()) << "</span><span>"
          << detail::timeline_unit(cl) << "</span><span>"
          << (in.decoded != 0 ? detail::html_time(in.end_ns) : std::string()) << "</span></div>\n";
    } else {
      out << "</p>\n";
    }
    if (names != nullptr) {
      std::string named;
      for (const auto& h : hosts)
        if (!names->best(h).empty()) named += (named.empty() ? "" : ", ") + html_escape(names->label(h));
      if (!named.empty()) out << "<p class=\"meta\">names: <code>" << named << "</code></p>\n";
    }
    if (!drawing[k].empty()) out << "<div class=\"drawing\">\n" << drawing[k] << "\n</div>\n";
    else if (!drawing_note[k].empty()) out << "<p class=\"note\">" << html_escape(drawing_note[k]) << "</p>\n";
    else if (k >= to_draw && done.note.empty())
      out << "<p class=\"meta\">Not drawn: "
          << (to_draw == 1 ? std::string("only the most significant pattern is.") : "only the " + std::to_string(to_draw) + " most significant patterns are.")
          << "</p>\n";
    const std::size_t listed = r.listed_rules(cl.rules);
    const std::size_t best = std::min(listed, options.rules_per_pattern);
    if (best != 0) {
      out << "<h4>" << (best == listed ? "Its rules" : "Its best " + std::to_string(best) + " of " + std::to_string(listed) + " rules")
          << "</h4>\n<table class=\"best\"><thead><tr><th class=\"n\">rank</th><th class=\"n\">score</th><th class=\"n\">support</th>"
          << "<th>rule</th></tr></thead>\n<tbody>\n";
      std::size_t shown = 0;
      for (const auto i : cl.rules) {
        const rule& x = r.rules[i];
        if (x.folded()) continue;
        if (shown++ == best) break;
        out << "<tr><td class=\"n\">" << i + 1 << "</td><td class=\"n\">" << html_number("%.4f", x.score) << "</td><td class=\"n\">"
            << x.counts.n_xy << "/" << x.counts.n_x << "</td><td class=\"rule\">" << html_escape(rule_text(r, x, names))
            << (x.delay_mark().empty() ? std::string() : " (" + x.delay_mark() + ")")
            << (x.alike != 0 || x.same_shape != 0 ? " [" + detail::fold_mark(x) + "]" : std::string()) << "</td></tr>\n";
      }
      out << "</tbody></table>\n";
    }
    const std::size_t flows_listed = std::min(flows.size(), options.flows_per_pattern);
    out << "<details><summary>" << (flows_listed == flows.size() ? "Its " + plural(flows_listed, "flow", "flows")
                                                                 : "Its first " + std::to_string(flows_listed) + " of " + std::to_string(flows.size()) + " flows")
        << "</summary>\n<ul>\n";
    for (std::size_t i = 0; i < flows_listed; ++i) out << "<li><code>" << html_escape(named_text(r.items[flows[i]], names)) << "</code></li>\n";
    out << "</ul>\n</details>\n</section>\n";
  }

  // ---- the service dependencies (dependencies.hpp), with their delays ----
  {
    const auto deps = dependencies_of(r);
    if (!deps.empty()) {
      const std::size_t shown = std::min(deps.size(), options.max_dependencies);
      out << "<h2 id=\"dependencies\">Dependencies</h2>\n<p>" << plural(deps.size(), "service dependency", "service dependencies")
          << " from the rules" << (shown < deps.size() ? ", the first " + std::to_string(shown) + " shown (all: <code>--format deps --rules all</code>)" : "")
          << ": first the left service, then the right one by the median delay (&rArr;), or the two together (&hArr;).</p>\n"
          << "<table class=\"best\"><thead><tr><th>first</th><th></th><th>then</th><th class=\"n\">rules</th><th class=\"n\">hosts</th>"
          << "<th class=\"n\">median delay</th><th class=\"n\">middle half</th><th class=\"n\">samples</th></tr></thead>\n<tbody>\n";
      for (std::size_t k = 0; k < shown; ++k) {
        const auto& d = deps[k];
        const bool timed = d.ordered && d.delay.samples != 0;
        out << "<tr><td class=\"rule\">" << html_escape(service_text(d.first, names)) << "</td><td>" << (d.ordered ? "&rArr;" : "&hArr;")
            << "</td><td class=\"rule\">" << html_escape(service_text(d.then, names)) << "</td><td class=\"n\">" << d.rules << "</td><td class=\"n\">"
            << (d.hosts != 0 ? std::to_string(d.hosts) : std::string()) << "</td><td class=\"n\">" << (timed ? delay_ms_text(d.delay.median_ms) : "")
            << "</td><td class=\"n\">" << (timed ? delay_ms_text(d.delay.p25_ms) + " to " + delay_ms_text(d.delay.p75_ms) : "")
            << "</td><td class=\"n\">" << (timed ? std::to_string(d.delay.samples) : "") << "</td></tr>\n";
      }
      out << "</tbody></table>\n";
    }
  }

  // ---- the rules: a JSON island the script pages through ----
  const std::size_t in_table = std::min(listed_rules, options.max_table_rules);
  const auto in_the_table = detail::rules_in_table(r, order, in_table);
  out << "<h2 id=\"rules\">Rules</h2>\n<p>" << detail::rules_count(r) << ", most significant first";
  if (in_table < listed_rules)
    out << "; the table holds " << in_table << " of them: the " << detail::table_rules_per_pattern
        << " best of every pattern, then the most significant others (all of them: <code>expose-mine --format json</code>, or <code>--rules all</code>)";
  out << ". Click a column header to sort, type to filter. Score: J-measure in bits; support: samples with both sides; "
         "lhs_count: samples with the left side.</p>\n"
      << "<div class=\"pager\"><input id=\"rule-filter\" type=\"search\" placeholder=\"filter: address, name, port\" "
         "aria-label=\"filter the rules\"><button id=\"rule-prev\" type=\"button\">&larr; previous</button>"
      << "<span id=\"rule-page\"></span><button id=\"rule-next\" type=\"button\">next &rarr;</button></div>\n"
      << "<table class=\"sortable\" id=\"rule-table\" data-listed=\"" << listed_rules << "\">\n<thead><tr><th class=\"n\">rank</th><th class=\"n\">score</th>"
      << "<th class=\"n\">support</th><th class=\"n\">lhs_count</th><th>kind</th><th>rule</th><th>order</th><th class=\"n\">pattern</th>"
      << "</tr></thead>\n<tbody></tbody>\n</table>\n<noscript><p class=\"note\">The rule table needs JavaScript.</p></noscript>\n"
      << "<script type=\"application/json\" id=\"rule-data\">[";
  for (std::size_t i = 0, rows = 0; i < r.rules.size() && rows < in_table; ++i) {
    const rule& x = r.rules[i];
    if (x.folded() || in_the_table[i] == 0) continue;
    // which side comes first: by lag (order), else by the delays (leads), with the median delay
    std::string order_cell = x.order == rule_order::lhs_first ? order_text(x.order)
                             : x.leads == rule_leads::together ? std::string("together")
                                                               : std::string(leads_text(x.leads)) + "_first";
    if (x.order == rule_order::lhs_first) order_cell += " (within " + plural(x.lag, "window", "windows") + ")";
    if (x.delay.samples != 0 && x.leads != rule_leads::together) order_cell += ", " + x.delay_mark();
    if (x.alike != 0 || x.same_shape != 0) order_cell += ", " + detail::fold_mark(x);
    out << (rows++ ? ",\n" : "\n") << "[" << i + 1 << "," << html_number("%.6g", x.score) << "," << x.counts.n_xy << "," << x.counts.n_x << ","
        << detail::script_json_string(kind_text(x.kind)) << "," << detail::script_json_string(rule_text(r, x, names)) << ","
        << detail::script_json_string(order_cell) << "," << pattern_of_rule[i] << "]";
  }
  out << "\n]</script>\n";

  // ---- the input ----
  out << "<h2 id=\"trace\">Trace</h2>\n<table class=\"kv\">\n";
  auto row = [&](std::string_view name, const std::string& value) {
    out << "<tr><th>" << name << "</th><td class=\"n\">" << value << "</td></tr>\n";
  };
  row(records, std::to_string(in.packets));
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

  // ---- the skipped packets (or records) ----
  out << "<h2 id=\"skipped\">Skipped " << records << "</h2>\n";
  if (in.skipped.empty()) {
    out << "<p>No " << in.record << " was skipped.</p>\n";
  } else {
    out << "<table class=\"kv\" id=\"skipped-table\">\n<thead><tr><th>reason</th><th class=\"n\">" << records << "</th>"
        << "<th class=\"n\">share of all " << records << "</th></tr></thead>\n<tbody>\n";
    for (const auto& [why, n] : in.skipped) {
      const double share = in.packets == 0 ? 0.0 : 100.0 * static_cast<double>(n) / static_cast<double>(in.packets);
      out << "<tr><td>" << html_escape(why) << "</td><td class=\"n\">" << n << "</td><td class=\"n\">" << html_number("%.2f", share)
          << "%</td></tr>\n";
    }
    out << "</tbody>\n</table>\n";
  }

  out << "<script>" << detail::html_script << "</script>\n</body>\n</html>\n";
  return done;
}

}  // namespace expose::io
