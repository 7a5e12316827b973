#pragma once
// The J-measure (Smyth & Goodman) in bits: how much knowing X happened tells about Y, weighted by
// how often X happens. Kept: positive association, support >= min_support, score >= min_score.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "expose/concepts.hpp"
#include "expose/rule.hpp"

namespace expose::scores {

struct jmeasure {
  double min_score = 0.01;         ///< bits
  std::uint64_t min_support = 3;   ///< samples where both sides are active

  /// J(X=>Y) = P(X) * [ P(Y|X) log2(P(Y|X)/P(Y)) + P(~Y|X) log2(P(~Y|X)/P(~Y)) ]; 0 when undefined.
  [[nodiscard]] static double score(const pair_counts& c) {
    if (c.n == 0 || c.n_x == 0 || c.n_y == 0) return 0.0;
    const double n = static_cast<double>(c.n);
    const double px = static_cast<double>(c.n_x) / n;
    const double py = static_cast<double>(c.n_y) / n;
    const double q = static_cast<double>(c.n_xy) / static_cast<double>(c.n_x);  // P(Y|X)
    double j = 0.0;
    if (q > 0.0) j += q * std::log2(q / py);
    if (q < 1.0 && py < 1.0) j += (1.0 - q) * std::log2((1.0 - q) / (1.0 - py));
    return px * j;
  }

  /// Only positive association counts as a rule: Y is likelier when X happens than otherwise.
  [[nodiscard]] bool accepts(const pair_counts& c, double s) const {
    return c.n_xy >= std::max<std::uint64_t>(min_support, 1) && s >= min_score &&
           static_cast<double>(c.n_xy) * static_cast<double>(c.n) > static_cast<double>(c.n_x) * static_cast<double>(c.n_y);
  }

  /// J(X=>Y) <= I(X;Y) <= H(X): an item with too little entropy takes part in no rule.
  [[nodiscard]] bool can_appear(std::uint64_t n_x, std::uint64_t n) const {
    return n_x >= std::max<std::uint64_t>(min_support, 1) && n_x <= n && entropy(n_x, n) >= min_score;
  }
  /// For a kept rule P(Y) >= min_support/N and P(Y|X) > P(Y), so J <= P(X) log2(N/min_support).
  [[nodiscard]] bool can_head(std::uint64_t n_x, std::uint64_t n) const {
    if (!can_appear(n_x, n)) return false;
    const double ms = static_cast<double>(std::max<std::uint64_t>(min_support, 1));
    return static_cast<double>(n_x) / static_cast<double>(n) * std::log2(static_cast<double>(n) / ms) >= min_score;
  }

  /// The engine's inner loop for one sample count N: support and direction are checked before any
  /// logarithm, and log2 of every count up to N comes from a table (it halves the cost of J).
  struct kernel {
    const jmeasure* policy;
    std::uint64_t n;
    std::vector<double> log2_of;  // log2(k) for k in [0, min(n, table_max)]

    [[nodiscard]] double lg(std::uint64_t k) const {
      return k < log2_of.size() ? log2_of[k] : std::log2(static_cast<double>(k));
    }
    /// True, with the score in `s`, when X => Y is kept.
    [[nodiscard]] bool keep(const pair_counts& c, double& s) const {
      if (c.n_xy < std::max<std::uint64_t>(policy->min_support, 1)) return false;
      if (static_cast<double>(c.n_xy) * static_cast<double>(c.n) <= static_cast<double>(c.n_x) * static_cast<double>(c.n_y)) return false;
      // N*J = n_xy*log2(n_xy*N/(n_x*n_y)) + m*log2(m*N/(n_x*(N-n_y))), m = n_x - n_xy
      const double ln = lg(c.n), lx = lg(c.n_x);
      double nj = static_cast<double>(c.n_xy) * (lg(c.n_xy) + ln - lx - lg(c.n_y));
      const std::uint64_t m = c.n_x - c.n_xy;
      if (m != 0 && c.n_y < c.n) nj += static_cast<double>(m) * (lg(m) + ln - lx - lg(c.n - c.n_y));
      s = nj / static_cast<double>(c.n);
      return s >= policy->min_score;
    }
  };
  /// The table stops here (8 MB): past it a count's log2 is computed. Sized by N alone it cost
  /// 134 MB and 16 M logarithms for a trace of two packets 190 days apart.
  static constexpr std::uint64_t table_max = std::uint64_t{1} << 20;
  /// Logarithms a pair may ask the table for (keep takes the logarithms of six counts).
  static constexpr std::uint64_t lookups_per_pair = 8;
  /// The kernel for N = n. `pairs`: at most this many pairs will be scored (the engine's
  /// antecedents times its consequents), so the table holds no more logarithms than they can ask
  /// for: the host items' 37 x 37 pairs over 2 M samples take 11,000 of them, not 1 M (8 MB).
  [[nodiscard]] kernel prepare(std::uint64_t n, std::uint64_t pairs = UINT64_MAX) const {
    kernel k{this, n, {}};
    const std::uint64_t asked = pairs > table_max / lookups_per_pair ? table_max : pairs * lookups_per_pair;
    const std::uint64_t size = std::min({n, table_max, asked});
    k.log2_of.resize(size + 1);
    k.log2_of[0] = 0;
    for (std::uint64_t i = 1; i <= size; ++i) k.log2_of[i] = std::log2(static_cast<double>(i));
    return k;
  }

  /// Binary entropy of an item active in n_x of n samples, in bits.
  [[nodiscard]] static double entropy(std::uint64_t n_x, std::uint64_t n) {
    if (n == 0 || n_x == 0 || n_x >= n) return 0.0;
    const double p = static_cast<double>(n_x) / static_cast<double>(n);
    return -p * std::log2(p) - (1 - p) * std::log2(1 - p);
  }
};

static_assert(ScorePolicy<jmeasure> && PreparedScore<jmeasure> && !TestedScore<jmeasure>);

}  // namespace expose::scores
