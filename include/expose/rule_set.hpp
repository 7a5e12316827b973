#pragma once
// From scored directions to reported rules: X => Y and Y => X both kept become one X <=> Y;
// rules ranked by score, then support; rules a more general one explains suppressed; rules alike
// to a more significant one (sides active in the same samples) marked, and rules that are a more
// significant one with another host in one place.

#include <algorithm>
#include <cstdint>
#include <optional>
#include <span>
#include <utility>
#include <vector>

#include <boost/unordered/unordered_flat_map.hpp>
#include <boost/unordered/unordered_flat_set.hpp>

#include "expose/flow_key.hpp"

#include "expose/activity.hpp"
#include "expose/concepts.hpp"
#include "expose/detail/gallop.hpp"
#include "expose/detail/release.hpp"
#include "expose/item_space.hpp"
#include "expose/pattern_list.hpp"
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
  const auto size = [&](std::uint32_t i) { return space.members(i).size(); };
  const auto n_items = static_cast<std::uint32_t>(space.items.size());
  // The items covering each item in a rule (itself included): those that hold its first flow and
  // all its others. Only candidates found this way are compared, never all pairs of rules.
  std::vector<char> in_rule(n_items, 0);
  for (const auto& r : rules) in_rule[r.lhs] = in_rule[r.rhs] = 1;
  // Only the first flows of items in rules are looked up: index just those (sorted), and find
  // them in each item's flows by galloping through the longer of the two lists, not by looking
  // up every flow of an item (the items of host rules hold hundreds of thousands).
  std::vector<std::uint32_t> firsts;
  for (std::uint32_t i = 0; i < n_items; ++i)
    if (in_rule[i]) firsts.push_back(space.members(i).front());
  std::sort(firsts.begin(), firsts.end());
  firsts.erase(std::unique(firsts.begin(), firsts.end()), firsts.end());
  std::vector<std::vector<std::uint32_t>> holding(firsts.size());  // per first flow, the items in rules holding it
  for (std::uint32_t i = 0; i < n_items; ++i)
    if (in_rule[i]) detail::each_common(firsts, space.members(i), [&](std::size_t k) { holding[k].push_back(i); });
  const auto holding_first_of = [&](std::uint32_t i) -> const std::vector<std::uint32_t>& {
    const auto f = space.members(i).front();
    return holding[static_cast<std::size_t>(std::lower_bound(firsts.begin(), firsts.end(), f) - firsts.begin())];
  };
  // Every candidate (outer, inner): an item in a rule holding the first flow of another, and at
  // least as large. They are checked outer by outer: a large outer that many items are checked
  // against (a host rule's item holds hundreds of thousands of flows) has its flows set in a bitmap
  // over the flows once, and each inner flow is one bit looked up, where galloping through the
  // outer's list would miss the cache at every step; the others are walked (detail::gallop).
  std::vector<std::pair<std::uint32_t, std::uint32_t>> candidates;
  for (std::uint32_t i = 0; i < n_items; ++i)
    if (in_rule[i])
      for (auto g : holding_first_of(i))
        if (size(g) >= size(i)) candidates.emplace_back(g, i);
  expose::detail::release(holding);
  std::sort(candidates.begin(), candidates.end());
  const auto walk = [&](std::uint32_t outer, std::uint32_t inner) {
    const auto o = space.members(outer);
    const auto in = space.members(inner);
    if (in.size() * 16 > o.size()) return space.covers(outer, inner);
    auto at = o.begin();
    for (const auto f : in) {
      at = detail::gallop(at, o.end(), f);
      if (at == o.end() || *at != f) return false;
      ++at;
    }
    return true;
  };
  std::vector<std::uint64_t> bits;  // the outer's flows, while its candidates are checked
  std::vector<std::pair<std::uint32_t, std::uint32_t>> covered;  // (inner, outer)
  for (std::size_t c = 0; c < candidates.size();) {
    const std::uint32_t g = candidates[c].first;
    std::size_t e = c, inner_flows = 0;
    for (; e < candidates.size() && candidates[e].first == g; ++e) inner_flows += size(candidates[e].second);
    const auto o = space.members(g);
    const bool bitmap = o.size() >= 4096 && inner_flows * 4 >= o.size();
    if (bitmap) {
      if (bits.empty()) bits.assign(space.base / 64 + 1, 0);
      for (const auto f : o) bits[f / 64] |= std::uint64_t{1} << (f % 64);
    }
    for (; c < e; ++c) {
      const std::uint32_t i = candidates[c].second;
      const auto in = space.members(i);
      const bool holds = bitmap ? std::all_of(in.begin(), in.end(), [&](std::uint32_t f) { return (bits[f / 64] >> (f % 64) & 1) != 0; })
                                : walk(g, i);
      if (holds) covered.emplace_back(i, g);
    }
    if (bitmap)
      for (const auto f : o) bits[f / 64] = 0;
  }
  expose::detail::release(candidates);
  expose::detail::release(bits);
  std::sort(covered.begin(), covered.end());
  // The items covering an item in a rule (itself included), ascending: (the item, a covering one).
  const auto covering = [&](std::uint32_t i) {
    const auto lo = std::lower_bound(covered.begin(), covered.end(), std::pair{i, std::uint32_t{0}});
    const auto hi = std::lower_bound(lo, covered.end(), std::pair{i + 1, std::uint32_t{0}});
    return std::span(covered).subspan(static_cast<std::size_t>(lo - covered.begin()), static_cast<std::size_t>(hi - lo));
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
    const auto cl = covering(r.lhs);
    const auto cr = covering(r.rhs);
    for (const auto& [lhs, a] : cl)
      for (const auto& [rhs, b] : cr)
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

/// Rules that read the same are one. Two items can have one name: a rest X minus Y is named by its
/// closure (DESIGN.md 1.4, overlap), which can be X's own pattern or another rest's (ppa_gnutella with
/// --all-rules: 7,122 rules, 4,777 of them the text of a more significant one, with other counts).
/// A rule whose kind, order and sides' patterns (either way round for `<=>` without order) are those of a more
/// significant rule is dropped: a reader, and the rule store, which keys rules by their text, take
/// them as one, and the first says it best. Keeps the order of `rules` (ranked).
inline void drop_same_text(std::vector<rule>& rules, const pattern_list& items) {
  // Each item in a rule -> the first item in a rule with its pattern; nothing to do when none shares one.
  boost::unordered_flat_map<flow_pattern, std::uint32_t, flow_pattern_hash> first_named;
  boost::unordered_flat_map<std::uint32_t, std::uint32_t> name_of;
  bool shared = false;
  for (const rule& x : rules)
    for (const std::uint32_t i : {x.lhs, x.rhs}) {
      const auto [it, fresh] = first_named.try_emplace(items[i], i);
      name_of.try_emplace(i, it->second);
      shared = shared || it->second != i;
    }
  if (!shared) return;
  // By kind and order (a lagged `<=>` whose left side comes first says which way, as `=>` does):
  // the named sides, lhs in the high half.
  boost::unordered_flat_set<std::uint64_t> seen[3];
  std::erase_if(rules, [&](const rule& x) {
    const bool both_ways = x.kind == rule_kind::equivalent && x.order == rule_order::together;
    std::uint32_t l = name_of.at(x.lhs), r = name_of.at(x.rhs);
    if (both_ways && r < l) std::swap(l, r);
    const int kind = x.kind == rule_kind::implies ? 0 : both_ways ? 1 : 2;
    return !seen[kind].insert(std::uint64_t{l} << 32 | r).second;
  });
}

/// Rules alike: two items active in exactly the same samples cannot be told apart by any test, so
/// rules whose sides are, side by side, such twins say one thing (a traceroute's probes and answers,
/// active in the same windows, make 81 rules among themselves and say once that they go together). Each
/// rule alike to a more significant one gets that rule's index in `alike_of`, and that rule counts
/// it in `alike`; `<=>` rules match either way round, and a rule between two twins is alike to
/// every other rule among that family. Window items (ids below `offset`) are compared in
/// `windows`, host items in `hosts`. Keeps the rules and their order: outputs skip the folded ones.
inline void mark_alike(std::vector<rule>& rules, const activity& windows, const activity& hosts, std::uint32_t offset) {
  const auto samples = [&](std::uint32_t i) { return i < offset ? windows.windows_of(i) : hosts.windows_of(i - offset); };
  const auto hash = [](std::span<const std::uint32_t> s) {
    std::uint64_t h = s.size();
    for (auto x : s) h = (h ^ x) * 0x9E3779B97F4A7C15ULL;
    return h;
  };
  // Each item in a rule -> the smallest item of its twins (same sample space, same samples).
  boost::unordered_flat_map<std::uint64_t, std::vector<std::uint32_t>> by_hash;
  boost::unordered_flat_map<std::uint32_t, std::uint32_t> twin;
  const auto family = [&](std::uint32_t i) {
    if (const auto it = twin.find(i); it != twin.end()) return it->second;
    const auto s = samples(i);
    auto& same = by_hash[hash(s) ^ (i < offset ? 0 : 1)];
    std::uint32_t first = i;
    for (auto j : same)
      if ((j < offset) == (i < offset) && std::ranges::equal(samples(j), s)) {
        first = twin.at(j);
        break;
      }
    same.push_back(i);
    twin.emplace(i, first);
    return first;
  };
  boost::unordered_flat_map<std::pair<std::uint64_t, bool>, std::uint32_t> first_rule;  // (families, <=>) -> rule
  for (std::uint32_t k = 0; k < rules.size(); ++k) {
    rule& r = rules[k];
    r.alike_of = rule::not_alike;
    r.alike = 0;
    auto a = family(r.lhs), b = family(r.rhs);
    if (r.kind == rule_kind::equivalent && b < a) std::swap(a, b);
    const auto [it, fresh] = first_rule.try_emplace({std::uint64_t{a} << 32 | b, r.kind == rule_kind::equivalent}, k);
    if (fresh) continue;
    r.alike_of = it->second;
    ++rules[it->second].alike;
  }
}

namespace detail {
/// A rule with one host in a variable's place (mark_same_shape).
struct shape_key {
  flow_pattern lhs, rhs;
  bool equivalent = false;
  friend bool operator==(const shape_key&, const shape_key&) = default;
};
struct shape_key_hash {
  [[nodiscard]] std::size_t operator()(const shape_key& k) const noexcept {
    const flow_pattern_hash h;
    return h(k.lhs) * 0x9E3779B97F4A7C15ULL ^ h(k.rhs) ^ (k.equivalent ? 1u : 0u);
  }
};
}  // namespace detail

/// Rules of one shape over many hosts: a BitTorrent host's connections to one peer go together,
/// and so they do to each of its 29 other peers, which makes one rule per peer where the paper
/// says once "whenever a peer talks on one of these ports, it talks on another". A rule whose two
/// sides join the same two hosts is taken with one of them fixed (the anchor) and the other (the
/// variable) in a host variable's place; the variable host's ports of 1024 and above as `*`, the
/// fixed host's only from 32768 up (its ephemeral ports; a service of it stays itself). Listed
/// rules (not alike to another) that come out the same with the same anchor and at least two
/// hosts in the variable's place are one family: each later rule gets the first
/// one's index in `same_shape_of`, and the first counts them in `same_shape` and keeps its own
/// variable host in `same_shape_host`. Where a rule fits two families (either host as the anchor),
/// it joins the one with more hosts. Keeps the rules and their order: outputs skip the folded ones.
inline void mark_same_shape(std::vector<rule>& rules, const pattern_list& items) {
  using detail::shape_key;
  // A side with `var` (src or dst, it holds the variable host) in a variable's place; the
  // variable host's ports from 1024 up as `*`, the fixed host's only in the ephemeral range
  // (32768 up: Linux's and IANA's), so that a service of the fixed host stays itself.
  const auto side = [](flow_pattern p, const ip_address& var) {
    const bool src_var = p.key.src == var;
    p.set(src_var ? field::src_ip : field::dst_ip, slot::var);
    const auto loose = [&](field f, std::uint16_t port, bool of_var) {
      if (p.at(f) == slot::kept && port >= (of_var ? 1024 : 32768)) p.set(f, slot::any);
    };
    loose(field::src_port, p.key.sport, src_var);
    loose(field::dst_port, p.key.dport, !src_var);
    return p;
  };
  // Two hosts of a rule both of whose sides join them (else no host to fix and none to vary).
  const auto hosts_of = [&](const rule& x) -> std::optional<std::pair<ip_address, ip_address>> {
    const flow_pattern l = items[x.lhs];
    const flow_pattern r = items[x.rhs];
    for (const auto* p : {&l, &r})
      if (p->at(field::src_ip) != slot::kept || p->at(field::dst_ip) != slot::kept || p->key.src == p->key.dst) return std::nullopt;
    const bool same = (l.key.src == r.key.src && l.key.dst == r.key.dst) || (l.key.src == r.key.dst && l.key.dst == r.key.src);
    if (!same) return std::nullopt;
    return std::pair{l.key.src, l.key.dst};
  };
  const auto key_of = [&](const rule& x, const ip_address& var) {
    shape_key k{side(items[x.lhs], var), side(items[x.rhs], var), x.kind == rule_kind::equivalent};
    if (k.equivalent && k.rhs < k.lhs) std::swap(k.lhs, k.rhs);
    return k;
  };
  struct family {
    boost::unordered_flat_set<ip_address, address_hash> vars;  // distinct hosts in the variable's place
    std::uint32_t first = rule::not_alike;
  };
  boost::unordered_flat_map<shape_key, family, detail::shape_key_hash> families;
  for (auto& x : rules) {
    x.same_shape_of = rule::not_alike;
    x.same_shape = 0;
    x.same_shape_host = {};
  }
  for (const rule& x : rules) {
    if (x.alike_of != rule::not_alike) continue;
    const auto hosts = hosts_of(x);
    if (!hosts) continue;
    for (const auto& var : {hosts->first, hosts->second}) {
      families[key_of(x, var)].vars.insert(var);
    }
  }
  for (std::uint32_t k = 0; k < rules.size(); ++k) {
    rule& x = rules[k];
    if (x.alike_of != rule::not_alike) continue;
    const auto hosts = hosts_of(x);
    if (!hosts) continue;
    auto& a = families.at(key_of(x, hosts->first));
    auto& b = families.at(key_of(x, hosts->second));
    const bool first_var = a.vars.size() >= b.vars.size();
    auto& f = first_var ? a : b;
    if (f.vars.size() < 2) continue;
    if (f.first == rule::not_alike) {
      f.first = k;
      x.same_shape_host = first_var ? hosts->first : hosts->second;
      continue;
    }
    x.same_shape_of = f.first;
    ++rules[f.first].same_shape;
  }
}

}  // namespace expose
