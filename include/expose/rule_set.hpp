#pragma once
// From scored directions to reported rules: X => Y and Y => X both kept become one X <=> Y;
// rules ranked by score, then support.

#include <algorithm>
#include <vector>

#include <boost/unordered/unordered_flat_map.hpp>

#include "expose/concepts.hpp"
#include "expose/item_space.hpp"
#include "expose/rule.hpp"

namespace expose {

/// Ranks rules: score, then support, then item ids.
inline void rank(std::vector<rule>& rules) {
  std::sort(rules.begin(), rules.end(), [](const rule& l, const rule& r) {
    if (l.score != r.score) return l.score > r.score;
    if (l.counts.n_xy != r.counts.n_xy) return l.counts.n_xy > r.counts.n_xy;
    return l.lhs != r.lhs ? l.lhs < r.lhs : l.rhs < r.rhs;
  });
}

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
  rank(rules);
  return rules;
}

/// The most general rule wins: where one kept rule G covers another R — G's sides cover R's (the
/// same way round, or either way for <=>) and G is more general (a side covers more flows, or,
/// covering the same flows, G binds a host variable and R does not) — only one of them is
/// reported. Counted over the same samples, it is the more general one unless the specific one
/// scores higher (then the general one only adds flows that do not follow the pattern); a rule
/// with a host variable wins over a window rule it covers. Keeps the order of `rules`.
inline void suppress_explained(std::vector<rule>& rules, const item_space& space) {
  const auto host = [&](const rule& r) { return r.lhs >= space.window_items(); };
  const auto size = [&](std::uint32_t i) { return space.members[i].size(); };
  const auto n_items = static_cast<std::uint32_t>(space.items.size());
  // The items covering each item in a rule (itself included): those that hold its first flow and
  // all its others. Only candidates found this way are compared, never all pairs of rules.
  std::vector<char> in_rule(n_items, 0);
  for (const auto& r : rules) in_rule[r.lhs] = in_rule[r.rhs] = 1;
  // Only the first flows of items in rules are looked up: index just those.
  boost::unordered_flat_map<std::uint32_t, std::vector<std::uint32_t>> holding;  // first flow -> items in rules holding it
  for (std::uint32_t i = 0; i < n_items; ++i)
    if (in_rule[i]) holding.try_emplace(space.members[i].front());
  for (std::uint32_t i = 0; i < n_items; ++i)
    if (in_rule[i])
      for (auto f : space.members[i])
        if (const auto it = holding.find(f); it != holding.end()) it->second.push_back(i);
  // Does `outer` hold every flow of `inner`? Binary search when inner is much the smaller.
  const auto holds = [&](std::uint32_t outer, std::uint32_t inner) {
    const auto& o = space.members[outer];
    const auto& in = space.members[inner];
    if (in.size() * 16 > o.size()) return space.covers(outer, inner);
    return std::all_of(in.begin(), in.end(), [&](std::uint32_t f) { return std::binary_search(o.begin(), o.end(), f); });
  };
  std::vector<std::vector<std::uint32_t>> covering_of(n_items);  // memo per item in a rule
  std::vector<char> known(n_items, 0);
  const auto covering = [&](std::uint32_t i) -> const std::vector<std::uint32_t>& {
    if (!known[i]) {
      known[i] = 1;
      for (auto g : holding.find(space.members[i].front())->second)
        if (size(g) >= size(i) && holds(g, i)) covering_of[i].push_back(g);
    }
    return covering_of[i];
  };
  boost::unordered_flat_map<std::uint64_t, std::vector<std::size_t>> by_sides;  // (lhs, rhs) -> rules
  const auto sides = [](std::uint32_t l, std::uint32_t r) { return std::uint64_t{l} << 32 | r; };
  for (std::size_t i = 0; i < rules.size(); ++i) by_sides[sides(rules[i].lhs, rules[i].rhs)].push_back(i);

  const auto wider = [&](std::uint32_t gl, std::uint32_t gr, const rule& g, const rule& r) {
    const bool more = size(gl) > size(r.lhs) || size(gr) > size(r.rhs);
    if (host(r) && !host(g)) return false;
    return more || (host(g) && !host(r));
  };
  std::vector<char> drop(rules.size(), 0);
  for (std::size_t i = 0; i < rules.size(); ++i) {
    const rule& r = rules[i];
    const auto& cl = covering(r.lhs);
    const auto& cr = covering(r.rhs);
    for (auto a : cl)
      for (auto b : cr)
        for (int turn = 0; turn < 2; ++turn) {
          const auto it = by_sides.find(turn == 0 ? sides(a, b) : sides(b, a));
          if (it == by_sides.end()) continue;
          for (std::size_t j : it->second) {
            const rule& g = rules[j];
            if (j == i || (turn == 1 && g.kind != rule_kind::equivalent)) continue;
            if (!wider(a, b, g, r)) continue;
            if (host(g) != host(r) || r.score <= g.score) drop[i] = 1;  // g explains r
            else drop[j] = 1;                                             // r is the pattern; g dilutes it
          }
        }
  }
  std::size_t out = 0;
  for (std::size_t i = 0; i < rules.size(); ++i)
    if (!drop[i]) rules[out++] = rules[i];
  rules.resize(out);
}

}  // namespace expose
