#pragma once
// The rule graph as Graphviz: one subgraph per cluster (`pattern K`, numbered as every report
// numbers them), flows as nodes, rules as edges weighted and labelled by score and delay
// (`dot -Tsvg` draws the picture of the paper's Fig. 6).

#include <algorithm>
#include <cstdio>
#include <ostream>
#include <string>
#include <vector>

#include "expose/clusters/summary.hpp"
#include "expose/mine_result.hpp"
#include "expose/names.hpp"

namespace expose::io {

namespace detail {
inline std::string dot_quote(const std::string& s) {
  std::string q = "\"";
  for (char c : s) {
    if (c == '\n') {  // a line break in a label
      q += "\\n";
      continue;
    }
    if (c == '&') {  // Graphviz reads `&...;` in a label as an entity: `x&amp;y` was drawn `x&y`
      q += "&amp;";
      continue;
    }
    if (c == '"' || c == '\\') q += '\\';
    q += c;
  }
  return q + "\"";
}
}  // namespace detail

/// The rule graph in Graphviz DOT: each cluster a subgraph, each rule an edge; with `names`, the
/// flows are labelled `name(address).port`.
inline void write_dot(std::ostream& out, const mine_result& r, const host_names* names = nullptr) {
  out << "digraph expose {\n  graph [rankdir=LR, fontname=\"Helvetica\", label=" << detail::dot_quote(
      "expose: " + std::to_string(r.rules.size()) + (r.rules.size() == 1 ? " rule over " : " rules over ") + std::to_string(r.windows) +
      (r.windows == 1 ? " window" : " windows")) << "];\n"
      << "  node [shape=box, style=rounded, fontname=\"Helvetica\", fontsize=10];\n"
      << "  edge [fontname=\"Helvetica\", fontsize=9];\n";
  std::vector<char> drawn(r.items.size(), 0);
  // An item is drawn as the first item of its name in its cluster (clusters::listed_flows): one
  // node a flow name, as the other outputs list them.
  std::vector<std::uint32_t> drawn_as(r.items.size());
  for (std::uint32_t i = 0; i < drawn_as.size(); ++i) drawn_as[i] = i;
  auto node = [&](std::uint32_t i) { return "n" + std::to_string(drawn_as[i]); };
  // The clusters as the other reports number them (pattern 1, the most significant, ...), written
  // last first: Graphviz stacks a left-to-right graph's subgraphs bottom up, so pattern 1 is drawn
  // on top (as expose-mine --format svg draws the patterns).
  const auto order = pattern_order(r);
  for (std::size_t k = order.size(); k-- > 0;) {
    const std::size_t c = order[k];
    out << "  subgraph cluster_" << k + 1 << " {\n    label=" << detail::dot_quote("pattern " + std::to_string(k + 1) + ": " + r.clusters[c].summary)
        << "; style=dashed; color=gray50;\n";
    const auto named = clusters::listed_flows(r.clusters[c], r.items);
    for (auto i : named) {
      out << "    " << node(i) << " [label=" << detail::dot_quote(named_text(r.items[i], names)) << "];\n";
      drawn[i] = 1;
    }
    for (const auto& [i, listed] : clusters::name_twins(r.clusters[c], r.items, named)) {
      drawn_as[i] = listed;
      drawn[i] = 1;
    }
    out << "  }\n";
  }
  double top = 0;
  for (const auto& x : r.rules) top = std::max(top, x.score);
  char buf[64];
  for (const auto& x : r.rules) {
    for (auto i : {x.lhs, x.rhs})
      if (!drawn[i]) {
        out << "  " << node(i) << " [label=" << detail::dot_quote(named_text(r.items[i], names)) << "];\n";
        drawn[i] = 1;
      }
    const double width = top > 0 ? 1.0 + 4.0 * x.score / top : 1.0;
    std::snprintf(buf, sizeof buf, "%.4f", x.score);
    const auto delay = x.delay_mark();
    out << "  " << node(x.lhs) << " -> " << node(x.rhs) << " [label=" << detail::dot_quote(delay.empty() ? std::string(buf) : std::string(buf) + "\n" + delay) << ", weight=" << std::max(1, static_cast<int>(100 * x.score))
        << ", penwidth=" << std::to_string(width).substr(0, 4)
        << (x.kind == rule_kind::equivalent ? ", dir=both" : "") << "];\n";
  }
  out << "}\n";
}

}  // namespace expose::io
