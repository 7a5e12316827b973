#pragma once
// The null model conditioned on when each side was alive. Real traffic is not stationary: a host
// arrives, bursts for two minutes and leaves; a capture starts in everyone's start-up. Two
// unrelated flows that are both active only inside one stretch of a long trace co-occur far more
// often than a test over the whole trace expects. Here a pair is tested only over the windows in
// which both sides were alive, and each side's count is its activity inside them:
//
//   alive(Z)  = from Z's first active window to its last, with every quiet stretch longer than
//               `gap` windows cut out (gap 0: unlimited, Z's whole lifetime), each stretch
//               extended by `margin` windows at both ends (30 by default)
//   N'        = |alive(X) ∩ alive(Y)|,  n_x' = |X ∩ alive(Y)|,  n_y' = |Y ∩ alive(X)|,  n_xy as counted
//
// and the hypergeometric test asks whether X and Y, placed at random inside their common lifetime,
// would meet n_xy times. Every co-occurrence lies inside both lifetimes, so n_xy is unchanged and
// the counting engine is not: only the pairs that reach the test pay, O(n_x + n_y) each.
//
// What it cannot tell apart: two flows whose activity is locked to the same clock inside their
// common lifetime (two keep-alives of one period that happen to be in phase, two cron jobs at the
// same minute). Their meetings are not chance under any model that keeps each side's own timing;
// they are reported, as a rule between the two is what an operator would want to see anyway.
//
//   score_by(scores::significant<scores::jmeasure, nulls::alive>{})

#include <algorithm>
#include <cstdint>
#include <span>
#include <utility>
#include <vector>

#include "expose/activity.hpp"
#include "expose/concepts.hpp"
#include "expose/rule.hpp"

namespace expose::nulls {

struct alive {
  /// Quiet stretches longer than this many windows end a side's life until its next activity;
  /// 0 keeps each side alive from its first window to its last.
  std::int64_t gap = 0;
  /// Windows each lifetime is extended by at both ends (within the trace): one session of a
  /// pattern (a control connection and its data connections) is tested against the quiet before
  /// and after it, not only inside itself, where the longer side is always on.
  std::int64_t margin = 30;

  [[nodiscard]] pair_counts condition(const scored_pair& pair, const activity& a) const {
    const auto wx = a.windows_of(pair.x), wy = a.windows_of(pair.y);
    if (wx.empty() || wy.empty()) return pair.counts;
    const auto lx = lifetime(wx, a), ly = lifetime(wy, a);
    std::uint64_t both = 0;  // N': windows in both lifetimes
    for (std::size_t i = 0, j = 0; i < lx.size() && j < ly.size();) {
      const auto lo = std::max(lx[i].first, ly[j].first), hi = std::min(lx[i].second, ly[j].second);
      if (lo <= hi) both += static_cast<std::uint64_t>(hi - lo + 1);
      (lx[i].second < ly[j].second) ? ++i : ++j;
    }
    const std::uint64_t nx = inside(wx, a, ly), ny = inside(wy, a, lx);
    pair_counts c = pair.counts;
    if (both == 0 || both >= c.n) return c;  // alive throughout: the whole trace is the right null
    c.n = both;
    // A side counted otherwise than its own activity list (the rest X \ Y of a generic item that
    // contains the other side, or a tail counted within k windows after X) keeps the share of its
    // count that its activity has inside the other side's lifetime.
    const auto share = [](std::uint64_t counted, std::size_t listed, std::uint64_t in) {
      return counted == listed ? in
                               : static_cast<std::uint64_t>(static_cast<double>(counted) * static_cast<double>(in) / static_cast<double>(listed) + 0.5);
    };
    c.n_x = share(pair.counts.n_x, wx.size(), nx);
    c.n_y = share(pair.counts.n_y, wy.size(), ny);
    c.n_x = std::max(c.n_x, c.n_xy);
    c.n_y = std::max(c.n_y, c.n_xy);
    c.n = std::max({c.n, c.n_x, c.n_y});
    return c;
  }

 private:
  using span_of_windows = std::pair<std::int64_t, std::int64_t>;  // inclusive, absolute windows

  [[nodiscard]] std::vector<span_of_windows> lifetime(std::span<const std::uint32_t> positions, const activity& a) const {
    std::vector<span_of_windows> out;
    for (const auto pos : positions) {
      const std::int64_t w = a.windows[pos];
      if (!out.empty() && (gap == 0 || w - out.back().second <= gap + 1)) out.back().second = w;
      else out.emplace_back(w, w);
    }
    if (margin > 0 && !out.empty()) {
      const std::int64_t first = a.windows.front(), last = a.windows.front() + static_cast<std::int64_t>(a.samples) - 1;
      std::vector<span_of_windows> wide;
      for (auto [lo, hi] : out) {
        lo = std::max(first, lo - margin);
        hi = std::min(last, hi + margin);
        if (!wide.empty() && lo <= wide.back().second + 1) wide.back().second = std::max(wide.back().second, hi);
        else wide.emplace_back(lo, hi);
      }
      out = std::move(wide);
    }
    return out;
  }
  [[nodiscard]] static std::uint64_t inside(std::span<const std::uint32_t> positions, const activity& a,
                                            const std::vector<span_of_windows>& life) {
    std::uint64_t n = 0;
    std::size_t k = 0;
    for (const auto pos : positions) {
      const std::int64_t w = a.windows[pos];
      while (k < life.size() && life[k].second < w) ++k;
      if (k == life.size()) break;
      n += life[k].first <= w ? 1 : 0;
    }
    return n;
  }
};

static_assert(NullModel<alive>);

}  // namespace expose::nulls
