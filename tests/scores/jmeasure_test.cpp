#include "expose/scores/jmeasure.hpp"

#include <cmath>

#include "doctest.hpp"

using namespace expose;
using scores::jmeasure;

TEST_CASE("scores.jmeasure.hand_computed_values") {
  // P(X)=0.1, P(Y)=0.2, P(Y|X)=0.8: 0.1 * (0.8*log2(4) + 0.2*log2(0.25)) = 0.1 * (1.6 - 0.4)
  CHECK(jmeasure::score({10, 20, 8, 100}) == doctest::Approx(0.12).epsilon(1e-12));
  // X and Y always together, each half the time: 0.5 * log2(2)
  CHECK(jmeasure::score({5, 5, 5, 10}) == doctest::Approx(0.5).epsilon(1e-12));
  // P(X)=0.05, P(Y)=0.1, P(Y|X)=0.6: 0.05*(0.6*log2(6) + 0.4*log2(0.4/0.9))
  const double expected = 0.05 * (0.6 * std::log2(6.0) + 0.4 * std::log2(0.4 / 0.9));
  CHECK(jmeasure::score({30, 60, 18, 600}) == doctest::Approx(expected).epsilon(1e-12));
}

TEST_CASE("scores.jmeasure.zero_at_independence_and_for_always_on") {
  CHECK(jmeasure::score({10, 20, 2, 100}) == doctest::Approx(0.0));
  CHECK(jmeasure::score({10, 100, 10, 100}) == 0.0);  // P(Y) = 1 carries no information
  CHECK(jmeasure::score({0, 10, 0, 100}) == 0.0);
  CHECK(jmeasure::score({0, 0, 0, 0}) == 0.0);
}

TEST_CASE("scores.jmeasure.accepts_positive_association_with_support") {
  const jmeasure j{.min_score = 0.01, .min_support = 3};
  CHECK(j.accepts({10, 20, 8, 100}, 0.12));
  CHECK_FALSE(j.accepts({10, 20, 8, 100}, 0.009));          // below the threshold
  CHECK_FALSE(j.accepts({2, 2, 2, 100}, 0.5));              // support 2 < 3
  CHECK_FALSE(j.accepts({50, 60, 10, 100}, jmeasure::score({50, 60, 10, 100})));  // negative association
}

TEST_CASE("scores.jmeasure.pruning_bounds_are_sound") {
  const jmeasure j{.min_score = 0.05, .min_support = 2};
  // H(X) bounds any rule: an item active in 999 of 1000 windows has H ~ 0.0114 bits
  CHECK_FALSE(j.can_appear(999, 1000));
  CHECK(j.can_appear(500, 1000));
  CHECK_FALSE(j.can_appear(1, 1000));  // below the minimum support
  // P(X) log2(N / min_support): 3/1000 * log2(500) ~ 0.0269 < 0.05; 10/1000 * log2(500) ~ 0.0897
  CHECK_FALSE(j.can_head(3, 1000));
  CHECK(j.can_head(10, 1000));
  // Exhaustively: no accepted rule is headed by an item the bound rejects.
  const std::uint64_t n = 60;
  for (std::uint64_t nx = 1; nx <= n; ++nx)
    for (std::uint64_t ny = 1; ny <= n; ++ny)
      for (std::uint64_t nxy = 0; nxy <= std::min(nx, ny); ++nxy) {
        if (nx + ny - nxy > n) continue;
        const pair_counts c{nx, ny, nxy, n};
        if (j.accepts(c, jmeasure::score(c))) {
          CHECK(j.can_head(nx, n));
          CHECK(j.can_appear(ny, n));
        }
      }
}

TEST_CASE("scores.jmeasure.kernel_agrees_with_score_and_accepts") {
  const jmeasure j{.min_score = 0.02, .min_support = 2};
  const std::uint64_t n = 50;
  const auto k = j.prepare(n);
  for (std::uint64_t nx = 1; nx <= n; nx += 3)
    for (std::uint64_t ny = 1; ny <= n; ny += 2)
      for (std::uint64_t nxy = 0; nxy <= std::min(nx, ny); ++nxy) {
        if (nx + ny - nxy > n) continue;
        const pair_counts c{nx, ny, nxy, n};
        double s = -1;
        const bool kept = k.keep(c, s);
        const double expected = jmeasure::score(c);
        if (std::abs(expected - j.min_score) > 1e-9) CHECK(kept == j.accepts(c, expected));
        if (kept) CHECK(s == doctest::Approx(expected).epsilon(1e-12));
      }
}

TEST_CASE("scores.jmeasure.kernel_table_is_bounded_past_a_million_samples") {
  // A trace of a few packets months apart spans ~10 M windows (found by fuzz/pcap_file_fuzz).
  const jmeasure j{.min_score = 0.0, .min_support = 2};
  const std::uint64_t n = 10'000'000;
  const auto k = j.prepare(n);
  CHECK(k.log2_of.size() == jmeasure::table_max + 1);
  for (const pair_counts c : {pair_counts{3, 3, 3, n}, pair_counts{2'000'000, 3'000'000, 1'500'000, n},
                              pair_counts{5, 9'999'990, 5, n}}) {
    double s = -1;
    REQUIRE(k.keep(c, s) == j.accepts(c, jmeasure::score(c)));
    if (s != -1) CHECK(s == doctest::Approx(jmeasure::score(c)).epsilon(1e-9));
  }
}

TEST_CASE("scores.jmeasure.kernel_table_holds_no_more_than_the_pairs_can_ask") {
  // The host items' matrix: few items over millions of samples. 37 x 37 pairs ask for at most
  // 8 logarithms each: the table stops there, and the scores are the same as with a whole one.
  const jmeasure j{.min_score = 0.0, .min_support = 2};
  const std::uint64_t n = 2'000'000;
  const auto small = j.prepare(n, 37 * 37);
  CHECK(small.log2_of.size() == 37 * 37 * jmeasure::lookups_per_pair + 1);
  const auto whole = j.prepare(n);
  CHECK(whole.log2_of.size() == jmeasure::table_max + 1);
  CHECK(j.prepare(100, 37 * 37).log2_of.size() == 101);  // N is the bound where it is smaller
  CHECK(j.prepare(n, UINT64_MAX / 2).log2_of.size() == jmeasure::table_max + 1);  // no overflow
  for (const pair_counts c : {pair_counts{3, 3, 3, n}, pair_counts{400'000, 900'000, 350'000, n}, pair_counts{50, 1'999'000, 50, n}}) {
    double a = -1, b = -1;
    REQUIRE(small.keep(c, a) == whole.keep(c, b));
    CHECK(a == b);  // bit for bit: a table entry is the logarithm computed
  }
}
