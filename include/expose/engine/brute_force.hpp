#pragma once
// The obvious engine: every ordered pair of items, counts by merging their window lists.
// Quadratic in items; the reference the fast engine is checked against.

#include <cstdint>
#include <vector>

#include "expose/activity.hpp"
#include "expose/concepts.hpp"
#include "expose/rule.hpp"

namespace expose::engine {

struct brute_force {
  template <class S>
  [[nodiscard]] std::vector<scored_pair> count(const activity& a, const S& scorer) const {
    return count(a, a, scorer);
  }

  /// X counted in `heads`, Y in `tails` (same items and samples; windows compared by their index,
  /// or rows by their position where the two are one matrix, whose rows need not be windows).
  /// Two matrices must both name their windows (check_windowed: bad_argument).
  template <class S>
  [[nodiscard]] std::vector<scored_pair> count(const activity& heads, const activity& a, const S& scorer) const {
    check_windowed(heads, a, "engine::brute_force::count");
    std::vector<scored_pair> out;
    const auto n_items = static_cast<std::uint32_t>(a.items());
    for (std::uint32_t x = 0; x < n_items; ++x) {
      for (std::uint32_t y = 0; y < n_items; ++y) {
        if (x == y) continue;
        auto wx = heads.windows_of(x), wy = a.windows_of(y);
        std::uint64_t both = 0;
        for (std::size_t i = 0, j = 0; i < wx.size() && j < wy.size();) {
          const bool one = &heads == &a;
          const auto l = one ? std::int64_t{wx[i]} : heads.windows[wx[i]], r = one ? std::int64_t{wy[j]} : a.windows[wy[j]];
          if (l < r) ++i;
          else if (r < l) ++j;
          else { ++both; ++i; ++j; }
        }
        const pair_counts c{wx.size(), wy.size(), both, a.samples};
        const double s = scorer.score(c);
        if (scorer.accepts(c, s)) out.push_back({x, y, c, s});
      }
    }
    return out;
  }
};

static_assert(CountingEngine<brute_force> && LaggedEngine<brute_force> && !PartitionedEngine<brute_force>);

}  // namespace expose::engine
