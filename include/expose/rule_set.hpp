#pragma once
// From scored directions to reported rules: X => Y and Y => X both kept become one X <=> Y;
// rules ranked by score, then support.

#include <algorithm>
#include <vector>

#include "expose/concepts.hpp"
#include "expose/rule.hpp"

namespace expose {

/// `pairs` as a counting engine returns them (sorted by x, then y).
template <ScorePolicy S>
[[nodiscard]] std::vector<rule> make_rules(const std::vector<scored_pair>& pairs, const S& scorer) {
  auto less = [](const scored_pair& l, const scored_pair& r) { return l.x != r.x ? l.x < r.x : l.y < r.y; };
  std::vector<rule> rules;
  rules.reserve(pairs.size());
  for (const auto& p : pairs) {
    const scored_pair probe{p.y, p.x, {}, 0};
    auto it = std::lower_bound(pairs.begin(), pairs.end(), probe, less);
    const bool both = it != pairs.end() && it->x == p.y && it->y == p.x;
    if (!both) {
      rules.push_back({p.x, p.y, rule_kind::implies, p.score, scorer.score(p.counts.reversed()), p.counts});
    } else if (p.x < p.y) {
      const bool forward = p.score >= it->score;
      const scored_pair& hi = forward ? p : *it;
      const scored_pair& lo = forward ? *it : p;
      rules.push_back({hi.x, hi.y, rule_kind::equivalent, hi.score, lo.score, hi.counts});
    }
  }
  std::sort(rules.begin(), rules.end(), [](const rule& l, const rule& r) {
    if (l.score != r.score) return l.score > r.score;
    if (l.counts.n_xy != r.counts.n_xy) return l.counts.n_xy > r.counts.n_xy;
    return l.lhs != r.lhs ? l.lhs < r.lhs : l.rhs < r.rhs;
  });
  return rules;
}

}  // namespace expose
