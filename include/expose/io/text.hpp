#pragma once
// The text report, for a person: a summary of the input, then the patterns (the clusters of the
// rule graph) most significant first, each with its one-line summary, counts, when it was active
// (first and last seen, an activity strip over the trace, its period) and its best few rules;
// every rule in the paper's notation only on request.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <ostream>
#include <string>
#include <vector>

#include "expose/clusters/summary.hpp"
#include "expose/io/utc_time.hpp"
#include "expose/mine_result.hpp"
#include "expose/names.hpp"
#include "expose/version.hpp"

namespace expose::io {

/// `lhs kind rhs` in the paper's notation, e.g. `10.0.0.1.* : 10.0.0.9.53 : udp => ...`, with
/// names beside the addresses when `names` is given (`ns1.example.org(10.0.0.9).53`).
[[nodiscard]] inline std::string rule_text(const mine_result& r, const rule& x, const host_names* names = nullptr) {
  return named_text(r.items[x.lhs], names) + " " + kind_text(x.kind) + " " + named_text(r.items[x.rhs], names);
}

/// Options of the text report. `marks`, when not empty, holds one word per rule (e.g. `new` or
/// `known:3` from a rule database), printed as a column between the support and the rule.
struct text_options {
  std::vector<std::string> marks{};
  std::size_t rules_per_pattern = 3;  ///< the best rules shown under each pattern
  bool all_rules = false;             ///< also every rule, and every pattern's flows
  const host_names* names = nullptr;  ///< names shown beside addresses, and a names line per pattern
  std::size_t names_per_pattern = 6;  ///< the named hosts listed under a pattern
};

namespace detail {
/// One line of block characters, one per 60th of the trace, higher where more windows are active.
inline std::string strip(const std::vector<std::uint32_t>& timeline) {
  static constexpr const char* levels[] = {" ", "\u2581", "\u2582", "\u2583", "\u2584", "\u2585", "\u2586", "\u2587", "\u2588"};
  const auto most = timeline.empty() ? 0u : *std::max_element(timeline.begin(), timeline.end());
  std::string out;
  for (const auto n : timeline)
    out += n == 0 ? levels[0] : levels[1 + static_cast<std::size_t>((static_cast<double>(n) / most) * 7.999)];
  return out;
}

/// "5 rules", or "3 rules (+2 alike)" when `all` counts rules folded into the `listed` ones, of
/// which `other_hosts` are the same as a listed one with another host: "(+2 alike, +28 for other hosts)".
[[nodiscard]] inline std::string rules_count(std::size_t listed, std::size_t all, std::size_t other_hosts = 0) {
  std::string out = std::to_string(listed) + (listed == 1 ? " rule" : " rules");
  if (all == listed) return out;
  const std::size_t alike = all - listed - other_hosts;
  out += " (";
  if (alike != 0) out += "+" + std::to_string(alike) + " alike";
  if (other_hosts != 0) out += (alike != 0 ? ", +" : "+") + std::to_string(other_hosts) + " for other hosts";
  return out + ")";
}
/// The same for a result, or for some of its rules (a pattern's).
[[nodiscard]] inline std::string rules_count(const mine_result& r) { return rules_count(r.listed_rules(), r.rules.size(), r.other_host_rules()); }
[[nodiscard]] inline std::string rules_count(const mine_result& r, const std::vector<std::size_t>& of) {
  return rules_count(r.listed_rules(of), of.size(), r.other_host_rules(of));
}

/// What counts the rules folded into a listed rule, marked beside it (`[+2 alike]`):
/// `+2 alike`, `+28 the same for other hosts than 100.64.3.9`; empty when none are.
[[nodiscard]] inline std::string fold_mark(const rule& x) {
  std::string out;
  if (x.alike != 0) out += "+" + std::to_string(x.alike) + " alike";
  if (x.same_shape != 0)
    out += (x.alike != 0 ? ", +" : "+") + std::to_string(x.same_shape) + " the same for other hosts than " + x.same_shape_host.to_string();
  return out;
}

inline void rule_line(std::ostream& out, const mine_result& r, std::size_t i, const text_options& opt, std::size_t width) {
  char buf[96];
  const rule& x = r.rules[i];
  std::snprintf(buf, sizeof buf, "%4zu  %.4f  %6llu/%-6llu  ", i + 1, x.score, static_cast<unsigned long long>(x.counts.n_xy),
                static_cast<unsigned long long>(x.counts.n_x));
  out << buf;
  if (!opt.marks.empty()) {
    const std::string mark = i < opt.marks.size() ? opt.marks[i] : std::string{};
    out << mark << std::string(width - mark.size() + 2, ' ');
  }
  out << rule_text(r, x, opt.names);
  if (const auto d = x.delay_mark(); !d.empty()) out << "   (" << d << ")";
  if (x.order == rule_order::lhs_first) out << "   [left first, right within " << x.lag << (x.lag == 1 ? " window" : " windows") << "]";
  if (const auto mark = fold_mark(x); !mark.empty()) out << "   [" << mark << "]";
  out << "\n";
}
}  // namespace detail

/// The text report: the input in one line, then the patterns (the clusters of the rule graph),
/// most significant first, each with its summary, its counts, when it was active and its best
/// rules; with `all_rules`, every rule and every pattern's flows after them.
inline void write_text(std::ostream& out, const mine_result& r, const text_options& opt = {}) {
  char buf[160];
  out << "expose " << version << ": " << r.input.packets << " " << r.input.record << "s, " << r.input.decoded << " decoded";
  std::uint64_t skipped = 0;
  for (const auto& [why, n] : r.input.skipped) skipped += n;
  if (skipped != 0) {
    out << ", " << skipped << " skipped (";
    bool first = true;
    for (const auto& [why, n] : r.input.skipped) {
      out << (first ? "" : ", ") << why << " " << n;
      first = false;
    }
    out << ")";
  }
  std::snprintf(buf, sizeof buf, "%g", r.window_seconds);
  out << "; " << r.flows << " flows, " << r.items.size() << " items; " << r.windows << " windows of " << buf << " s\n";
  if (r.input.damaged) out << "warning: the input is damaged; these results cover what was read before the damage\n";
  if (r.limits.evicted_flows != 0 || r.limits.refused != 0 || r.limits.stopped)
    out << "warning: a flow or memory limit was reached (" << r.limits.evicted_flows << " flows evicted, " << r.limits.refused
        << " packets of new connections left out" << (r.limits.stopped ? ", reading stopped early" : "") << ")\n";

  std::size_t width = 0;  // of the marks column
  for (const auto& m : opt.marks) width = std::max(width, m.size());
  const char* legend = " (score: J-measure in bits; support: samples with both sides / samples with the left side)\n";
  // Rules alike to a more significant one (same samples, side by side) are counted, not listed.
  const std::string count = detail::rules_count(r);
  const auto all_rules = [&] {
    out << "\n" << count << ", most significant first" << legend;
    for (std::size_t i = 0; i < r.rules.size(); ++i)
      if (!r.rules[i].folded()) detail::rule_line(out, r, i, opt, width);
  };
  if (r.clusters.empty()) {
    all_rules();
    return;
  }
  out << "\n" << r.clusters.size() << (r.clusters.size() == 1 ? " pattern" : " patterns") << ", most significant first, from "
      << count << legend;
  const auto order = pattern_order(r);
  for (std::size_t k = 0; k < order.size(); ++k) {
    const auto& cl = r.clusters[order[k]];
    const auto hosts = clusters::hosts_of(cl, r.items);
    const std::size_t listed = r.listed_rules(cl.rules);
    const std::size_t flows = clusters::listed_flows(cl, r.items).size();
    out << "\npattern " << k + 1 << ": " << cl.summary << "\n  " << flows << (flows == 1 ? " flow, " : " flows, ")
        << hosts << (hosts == 1 ? " host, " : " hosts, ") << detail::rules_count(r, cl.rules);
    if (cl.windows_active != 0) {
      const auto [from, to] = r.active_span(cl);
      const auto first = utc_time_text(utc_second(from));
      out << "; " << first << " to " << utc_time_text(utc_second(to), {.same_day = std::string_view(first).substr(0, 10)}) << " UTC, active in " << cl.windows_active << " of "
          << r.windows << " windows";
      if (cl.period_seconds > 0) {
        std::snprintf(buf, sizeof buf, "%.3g", cl.period_seconds);
        out << ", every " << buf << " s";
      }
      out << "\n  |" << detail::strip(cl.timeline) << "|";
    }
    if (opt.names != nullptr) {
      std::vector<std::string> named;
      std::size_t more = 0;
      for (const auto& h : clusters::host_list(cl, r.items)) {
        if (opt.names->best(h).empty()) continue;
        if (named.size() < opt.names_per_pattern) named.push_back(opt.names->label(h));
        else ++more;
      }
      if (!named.empty()) {
        out << "\n  names:";
        for (std::size_t i = 0; i < named.size(); ++i) out << (i ? ", " : " ") << named[i];
        if (more != 0) out << " and " << more << " more";
      }
    }
    out << "\n";
    std::size_t shown = 0;
    for (auto i : cl.rules) {
      if (r.rules[i].folded()) continue;
      if (shown == opt.rules_per_pattern) break;
      detail::rule_line(out, r, i, opt, width);
      ++shown;
    }
    if (listed > shown && !opt.all_rules) out << "        ... " << listed - shown << " more (--rules all, or --format json)\n";
  }
  if (!opt.all_rules) return;
  all_rules();
  out << "\nthe flows of each pattern\n";
  for (std::size_t k = 0; k < order.size(); ++k) {
    out << "pattern " << k + 1 << "\n";
    for (auto item : clusters::listed_flows(r.clusters[order[k]], r.items)) out << "    " << named_text(r.items[item], opt.names) << "\n";
  }
}

}  // namespace expose::io
