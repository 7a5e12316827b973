#pragma once
// Significance beyond a raw threshold: an exact test of co-occurrence under independence
// (hypergeometric upper tail) with Benjamini-Hochberg control of the false-discovery rate over
// every pair of items that could make a rule, not only the pairs that happened to co-occur.
// Wraps any scorer: its score and threshold stay, and a kept rule must also be significant.
// The null model says what independence means in time: by default each side placed at random
// within its own lifetime (nulls/alive.hpp), or within the whole trace (nulls/whole_trace.hpp).
//
//   score_by(scores::significant{.scorer = scores::jmeasure{.min_score = 0.01}, .alpha = 0.01})
//   score_by(scores::significant<scores::jmeasure, nulls::whole_trace>{})

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "expose/activity.hpp"
#include "expose/concepts.hpp"
#include "expose/item_space.hpp"
#include "expose/nulls/alive.hpp"
#include "expose/rule.hpp"
#include "expose/scores/jmeasure.hpp"

namespace expose::scores {

/// P(K >= n_xy) for K ~ Hypergeometric(N, n_y, n_x): the chance that X and Y, placed in n_x and
/// n_y of N samples independently at random, meet in n_xy samples or more.
[[nodiscard]] inline double cooccurrence_p_value(const pair_counts& c) {
  const double n = static_cast<double>(c.n), nx = static_cast<double>(c.n_x), ny = static_cast<double>(c.n_y);
  const double hi = std::min(nx, ny);
  double k = static_cast<double>(c.n_xy);
  if (k <= std::max(0.0, nx + ny - n)) return 1.0;
  if (k > hi) return 0.0;
  auto lchoose = [](double a, double b) { return std::lgamma(a + 1) - std::lgamma(b + 1) - std::lgamma(a - b + 1); };
  const double log_first = lchoose(ny, k) + lchoose(n - ny, nx - k) - lchoose(n, nx);
  double term = 1.0, sum = 1.0;  // terms relative to the first
  for (double i = k; i < hi; ++i) {
    term *= (ny - i) * (nx - i) / ((i + 1) * (n - ny - nx + i + 1));
    sum += term;
    if (term < sum * 1e-17) break;
  }
  return std::min(1.0, std::exp(log_first + std::log(sum)));
}

template <ScorePolicy S = jmeasure, NullModel Null = nulls::alive>
struct significant {
  S scorer{};
  double alpha = 0.01;  ///< false-discovery rate over the pairs tested; 1 turns the test off
  Null null{};          ///< what chance means in time (window items; host-variable items: whole span)
  /// Co-occurring windows closer than this (in windows) are one burst for the test over windows.
  static constexpr std::int64_t burst_gap = 3;

  [[nodiscard]] double score(const pair_counts& c) const { return scorer.score(c); }
  [[nodiscard]] bool accepts(const pair_counts& c, double s) const { return scorer.accepts(c, s); }
  [[nodiscard]] bool can_head(std::uint64_t n_x, std::uint64_t n) const { return scorer.can_head(n_x, n); }
  [[nodiscard]] bool can_appear(std::uint64_t n_x, std::uint64_t n) const { return scorer.can_appear(n_x, n); }
  /// The wrapped scorer's fast inner loop, when it has one (`pairs`: as the wrapped scorer's
  /// prepare takes it, when it does).
  [[nodiscard]] auto prepare(std::uint64_t n, std::uint64_t pairs = UINT64_MAX) const
    requires requires(const S& s) { s.prepare(n); }
  {
    if constexpr (requires { scorer.prepare(n, pairs); }) return scorer.prepare(n, pairs);
    else return scorer.prepare(n);
  }

  /// Keeps the pairs the Benjamini-Hochberg procedure rejects at level alpha, among `hypotheses`
  /// unordered pairs (both directions of a pair are one hypothesis: the test is symmetric).
  void filter(std::vector<scored_pair>& pairs, std::uint64_t hypotheses) const {
    filter_by(pairs, hypotheses, [](const scored_pair& x) { return cooccurrence_p_value(x.counts); });
  }

  /// The same over the window items of a run, in time order: each pair is tested on the counts
  /// its null model gives (nulls::alive: inside both sides' lifetimes), taken in bursts. Activity comes in bursts of
  /// nearby windows (a session lasts seconds), and two bursts that overlap once by chance would
  /// look like many independent meetings: co-occurring windows at most `burst_gap` apart count as
  /// one event, and N and both sides' counts are divided by the mean events per burst.
  void filter(std::vector<scored_pair>& pairs, std::uint64_t hypotheses, const item_space& space) const {
    const auto chance = null.prepare(space);
    filter_by(pairs, hypotheses, [&](const scored_pair& x) {
      scored_pair conditioned = x;
      conditioned.counts = chance.condition(x);
      return cooccurrence_p_value(bursts(conditioned, space.windows));
    });
  }

  /// A pair's counts with each burst of co-occurring windows taken as one event.
  [[nodiscard]] static pair_counts bursts(const scored_pair& x, const activity& a) {
    const auto wx = a.windows_of(x.x), wy = a.windows_of(x.y);
    std::uint64_t runs = 0, both = 0;
    std::int64_t last = 0;
    for (std::size_t i = 0, j = 0; i < wx.size() && j < wy.size();) {
      if (wx[i] < wy[j]) ++i;
      else if (wy[j] < wx[i]) ++j;
      else {
        const std::int64_t w = a.windows[wx[i]];
        if (both == 0 || w > last + burst_gap) ++runs;
        last = w;
        ++both;
        ++i;
        ++j;
      }
    }
    if (runs == 0 || both != x.counts.n_xy) return x.counts;  // counted otherwise (lagged tails): as is
    const double len = static_cast<double>(both) / static_cast<double>(runs);
    auto thin = [&](std::uint64_t k) { return std::max<std::uint64_t>(1, static_cast<std::uint64_t>(std::ceil(static_cast<double>(k) / len))); };
    return {thin(x.counts.n_x), thin(x.counts.n_y), runs, thin(x.counts.n)};
  }

 private:
  template <class PValue>
  void filter_by(std::vector<scored_pair>& pairs, std::uint64_t hypotheses, PValue&& p_value) const {
    if (alpha >= 1.0 || pairs.empty()) return;
    // X => Y and Y => X counted alike are one hypothesis with one p-value: computed both ways, the
    // two can differ in the last bit and fall on either side of the cut, keeping one direction.
    // Unordered pairs go into the ranking once each.
    std::vector<double> p(pairs.size());
    std::vector<double> ranked;
    for (std::size_t i = 0; i < pairs.size(); ++i)
      if (pairs[i].x < pairs[i].y) ranked.push_back(p[i] = p_value(pairs[i]));
    for (std::size_t i = 0; i < pairs.size(); ++i) {
      if (pairs[i].x < pairs[i].y) continue;
      const auto j = std::lower_bound(pairs.begin(), pairs.end(), scored_pair{pairs[i].y, pairs[i].x, {}, 0}, by_items);
      const bool reverse = j != pairs.end() && j->x == pairs[i].y && j->y == pairs[i].x;
      p[i] = reverse && j->counts == pairs[i].counts.reversed() ? p[static_cast<std::size_t>(j - pairs.begin())] : p_value(pairs[i]);
      if (!reverse) ranked.push_back(p[i]);
    }
    std::sort(ranked.begin(), ranked.end());
    const double m = static_cast<double>(std::max<std::uint64_t>(hypotheses, ranked.size()));
    double cut = -1.0;
    for (std::size_t k = ranked.size(); k-- > 0;)
      if (ranked[k] <= static_cast<double>(k + 1) * alpha / m) {
        cut = ranked[k];
        break;
      }
    std::size_t out = 0;
    for (std::size_t i = 0; i < pairs.size(); ++i)
      if (p[i] <= cut) pairs[out++] = pairs[i];
    pairs.resize(out);
  }

  static bool by_items(const scored_pair& l, const scored_pair& r) { return l.x != r.x ? l.x < r.x : l.y < r.y; }
};

template <class S>
significant(S, double) -> significant<S>;
template <class S, class N>
significant(S, double, N) -> significant<S, N>;

static_assert(ScorePolicy<significant<>> && TimedTestedScore<significant<>> && PreparedScore<significant<>>);

}  // namespace expose::scores
