#pragma once
// Rules of two runs that are one pattern reported in another form (component expose::db, no
// optional library). A run lists the most general rule that explains others and leaves those out
// (or the specific ones where they score higher: rule_set.hpp, suppress_explained), so a rule
// "gone" since yesterday can still be there today, within a broader rule or split into narrower
// ones, and a "new" one can have been within yesterday's. `related_rules` finds, for each rule of
// one list, the rules of another that cover it or that it covers, by their sides' fields:
//
//   G covers R  when each side of G matches the same side of R (either way round when G or R is
//               <=>): each field of G is `*`, R's own value, or a host variable that stands for
//               one value throughout G (a value or a host variable of R, never R's `*`)
//
// Looked up through the rules' field values (addresses and ports, each with its field), not every
// pair: a rule that covers another names only values the other names, and one that is covered
// names all the other's; the look-ups stop after a budget of comparisons (`related_search::
// complete` says whether every rule was looked at).

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "expose/store/rule_key.hpp"

namespace expose::store {

namespace detail {

/// Host variables bound to values while one rule is matched against another (a rule names at
/// most four: the hosts of its two sides).
struct bindings {
  std::pair<std::string_view, std::string_view> bound[4];
  int n = 0;
  /// Whether variable `name` may stand for `value` (binding it when it is free).
  bool bind(std::string_view name, std::string_view value) {
    for (int i = 0; i < n; ++i)
      if (bound[i].first == name) return bound[i].second == value;
    if (n == 4) return false;
    bound[n++] = {name, value};
    return true;
  }
};

/// Whether side `g` matches side `r`, host variables of `g` bound in `b`.
inline bool side_matches(const side& g, const side& r, bindings& b) {
  const auto field = [&](const std::string& gf, const std::string& rf) {
    if (gf == "*" || gf == rf) return true;
    // a host variable is one host in every place it stands: it covers a value, never `*`
    return !gf.empty() && gf.front() == '$' && rf != "*" && b.bind(gf, rf);
  };
  return field(g.proto, r.proto) && field(g.src, r.src) && field(g.sport, r.sport) && field(g.dst, r.dst) && field(g.dport, r.dport);
}

/// A rule's values that are no `*` and no host variable, each with its field (addresses and
/// ports: a side's protocol tells little apart), each once: a rule that covers another names
/// only values of these the other names.
inline std::vector<std::string> values(const rule_key& k) {
  std::vector<std::string> out;
  const auto add = [&](char field, const std::string& v) {
    if (v == "*" || v.empty() || v.front() == '$') return;
    std::string t = field + v;
    if (std::find(out.begin(), out.end(), t) == out.end()) out.push_back(std::move(t));
  };
  for (const side* s : {&k.lhs, &k.rhs}) {
    add('a', s->src);
    add('a', s->dst);
    add('s', s->sport);
    add('d', s->dport);
  }
  return out;
}

}  // namespace detail

/// Whether rule `g` covers rule `r` (see the top of this header); a rule covers itself.
[[nodiscard]] inline bool covers(const rule_key& g, const rule_key& r) {
  const auto way = [&](const side& rl, const side& rr) {
    detail::bindings bound;
    return detail::side_matches(g.lhs, rl, bound) && detail::side_matches(g.rhs, rr, bound);
  };
  if (way(r.lhs, r.rhs)) return true;
  return (g.kind == "<=>" || r.kind == "<=>") && way(r.rhs, r.lhs);
}

/// One rule's relatives among the other list: the first `most` of each kind, in the other list's
/// order, and how many there are.
struct relatives {
  std::vector<std::size_t> within;  ///< rules of the other list that cover it
  std::vector<std::size_t> split;   ///< rules of the other list that it covers
  std::size_t within_count = 0, split_count = 0;
  [[nodiscard]] bool empty() const noexcept { return within_count == 0 && split_count == 0; }
};

struct related_search {
  std::vector<relatives> found;  ///< per rule of `of`
  bool complete = true;          ///< false: the budget ran out, later rules were not looked at
};

/// For each rule of `of`, the rules of `among` that cover it or that it covers, but for rules of
/// the same identity (text), at most `most` of each kind listed; at most `budget` comparisons.
[[nodiscard]] inline related_search related_rules(const std::vector<const rule_key*>& of, const std::vector<const rule_key*>& among,
                                                  std::size_t most = 3, std::uint64_t budget = 50'000'000) {
  related_search out;
  out.found.resize(of.size());
  // Every rule of `among` under each of its values (a rule `of` covers names all of them), and
  // under the set of them (a rule that covers one `of` names a subset of its values: at most 2^8
  // sets to look up, where a value of its own, such as a scanner's address, can be in every rule).
  // Values are numbered; a set is known by a hash of its sorted numbers (a collision only adds
  // candidates, which are compared all the same).
  std::unordered_map<std::string, std::uint32_t> number;
  std::vector<std::vector<std::size_t>> under_each;  // by value number
  std::unordered_map<std::uint64_t, std::vector<std::size_t>> under_set;
  constexpr std::uint32_t unknown = UINT32_MAX;
  const auto numbers = [&](const rule_key& k, bool add_new) {
    std::vector<std::uint32_t> ids;
    for (auto& v : detail::values(k)) {
      const auto it = number.find(v);
      if (it != number.end()) ids.push_back(it->second);
      else if (!add_new) ids.push_back(unknown);
      else {
        ids.push_back(static_cast<std::uint32_t>(number.size()));
        number.emplace(std::move(v), ids.back());
        under_each.emplace_back();
      }
    }
    return ids;
  };
  const auto set_hash = [](std::vector<std::uint32_t> v) {
    std::sort(v.begin(), v.end());
    std::uint64_t h = 0x9e3779b97f4a7c15ULL;
    for (const auto x : v) h = (h ^ x) * 0xff51afd7ed558ccdULL + 0x2545f4914f6cdd1dULL;
    return h;
  };
  for (std::size_t j = 0; j < among.size(); ++j) {
    const auto ids = numbers(*among[j], true);
    for (const auto v : ids) under_each[v].push_back(j);
    under_set[set_hash(ids)].push_back(j);
  }
  std::vector<std::size_t> candidates;
  std::vector<std::size_t> stamp(among.size(), SIZE_MAX);
  std::uint64_t spent = 0;
  std::vector<std::uint32_t> part;
  for (std::size_t i = 0; i < of.size(); ++i) {
    const rule_key& q = *of[i];
    const auto mine = numbers(q, false);
    candidates.clear();
    const auto add = [&](const std::vector<std::size_t>& js) {
      for (const auto j : js)
        if (stamp[j] != i) {
          stamp[j] = i;
          candidates.push_back(j);
        }
    };
    // covering it: under a subset of its values (the empty one: naming none); a value no rule
    // names is in no such subset
    for (std::uint32_t subset = 0; subset < (1u << mine.size()); ++subset) {
      part.clear();
      bool named = true;
      for (std::size_t b = 0; b < mine.size() && named; ++b)
        if ((subset >> b & 1) != 0) {
          named = mine[b] != unknown;
          part.push_back(mine[b]);
        }
      if (!named) continue;
      if (const auto it = under_set.find(set_hash(part)); it != under_set.end()) add(it->second);
    }
    // covered by it: under every one of its values, or any rule when it names none
    if (mine.empty()) {
      for (std::size_t j = 0; j < among.size(); ++j)
        if (stamp[j] != i) {
          stamp[j] = i;
          candidates.push_back(j);
        }
    } else {
      // the rules under all of its values: the buckets intersected, the smallest first (none when
      // a value of it is in no rule)
      std::vector<const std::vector<std::size_t>*> buckets;
      for (const auto v : mine) {
        if (v == unknown) {
          buckets.clear();
          break;
        }
        buckets.push_back(&under_each[v]);
      }
      if (!buckets.empty()) {
        std::sort(buckets.begin(), buckets.end(), [](const auto* x, const auto* y) { return x->size() < y->size(); });
        std::vector<std::size_t> all = *buckets.front(), next;
        for (std::size_t b = 1; b < buckets.size() && !all.empty(); ++b) {
          next.clear();
          std::set_intersection(all.begin(), all.end(), buckets[b]->begin(), buckets[b]->end(), std::back_inserter(next));
          all.swap(next);
        }
        add(all);
      }
    }
    spent += candidates.size();
    if (spent > budget) {
      out.complete = false;
      break;
    }
    std::sort(candidates.begin(), candidates.end());  // the other list's order
    auto& r = out.found[i];
    for (const auto j : candidates) {
      if (covers(*among[j], q)) {
        // the rule itself: the same sides and kind, its identity (the text made of them), compared
        // without making the text
        if (among[j]->kind == q.kind && among[j]->lhs == q.lhs && among[j]->rhs == q.rhs) continue;
        if (r.within.size() < most) r.within.push_back(j);
        ++r.within_count;
      } else if (covers(q, *among[j])) {
        if (r.split.size() < most) r.split.push_back(j);
        ++r.split_count;
      }
    }
  }
  return out;
}

}  // namespace expose::store
