#pragma once
// The text report: a summary of the input, one rule per line in the paper's notation (most
// significant first, with score and support), then the clusters.

#include <algorithm>
#include <cstdio>
#include <ostream>
#include <string>
#include <vector>

#include "expose/pipeline.hpp"
#include "expose/version.hpp"

namespace expose::io {

/// `lhs kind rhs` in the paper's notation, e.g. `10.0.0.1.* : 10.0.0.9.53 : udp => ...`.
[[nodiscard]] inline std::string rule_text(const mine_result& r, const rule& x) {
  return r.items[x.lhs].text() + " " + kind_text(x.kind) + " " + r.items[x.rhs].text();
}

/// Options of the text report. `marks`, when not empty, holds one word per rule (e.g. `new` or
/// `known:3` from a rule database), printed as a column between the support and the rule.
struct text_options {
  std::vector<std::string> marks{};
};

inline void write_text(std::ostream& out, const mine_result& r, const text_options& opt = {}) {
  char buf[160];
  out << "expose " << version << ": " << r.input.packets << " packets, " << r.input.decoded << " decoded";
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

  out << "\n" << r.rules.size() << (r.rules.size() == 1 ? " rule" : " rules") << ", most significant first";
  out << " (score: J-measure in bits; support: samples with both sides / samples with the left side)\n";
  std::size_t width = 0;  // of the marks column
  for (const auto& m : opt.marks) width = std::max(width, m.size());
  for (std::size_t i = 0; i < r.rules.size(); ++i) {
    const rule& x = r.rules[i];
    std::snprintf(buf, sizeof buf, "%4zu  %.4f  %6llu/%-6llu  ", i + 1, x.score,
                  static_cast<unsigned long long>(x.counts.n_xy), static_cast<unsigned long long>(x.counts.n_x));
    out << buf;
    if (!opt.marks.empty()) {
      const std::string mark = i < opt.marks.size() ? opt.marks[i] : std::string{};
      out << mark << std::string(width - mark.size() + 2, ' ');
    }
    out << rule_text(r, x);
    if (x.order == rule_order::lhs_first) out << "   [left first, right within " << x.lag << (x.lag == 1 ? " window" : " windows") << "]";
    out << "\n";
  }
  if (r.clusters.empty()) return;
  out << "\n" << r.clusters.size() << (r.clusters.size() == 1 ? " cluster" : " clusters") << " of the rule graph\n";
  for (std::size_t c = 0; c < r.clusters.size(); ++c) {
    const auto& cl = r.clusters[c];
    out << "cluster " << c << ": " << cl.items.size() << " flows, " << cl.rules.size()
        << (cl.rules.size() == 1 ? " rule" : " rules") << " (rules";
    constexpr std::size_t listed = 20;  // a scan's cluster can hold 100 000 rules: name the first few
    for (std::size_t k = 0; k < std::min(cl.rules.size(), listed); ++k) out << " " << cl.rules[k] + 1;
    if (cl.rules.size() > listed) out << " and " << cl.rules.size() - listed << " more";
    out << ")\n  " << cl.summary << "\n";
    for (auto item : cl.items) out << "    " << r.items[item].text() << "\n";
  }
}

}  // namespace expose::io
