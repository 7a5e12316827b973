#include "expose/scores/significant.hpp"

#include <vector>

#include "doctest.hpp"

using namespace expose;

TEST_CASE("scores.significant.hypergeometric_tail") {
  // X in 2 of 10 windows, Y in 3: P(both windows of X among Y's) = C(3,2)/C(10,2) = 3/45
  CHECK(scores::cooccurrence_p_value({2, 3, 2, 10}) == doctest::Approx(3.0 / 45.0));
  CHECK(scores::cooccurrence_p_value({2, 3, 0, 10}) == 1.0);
  // P(K >= 1) = 1 - C(7,2)/C(10,2) = 1 - 21/45
  CHECK(scores::cooccurrence_p_value({2, 3, 1, 10}) == doctest::Approx(24.0 / 45.0));
}

TEST_CASE("scores.significant.benjamini_hochberg_over_all_hypotheses") {
  const scores::significant<> s{.alpha = 0.05};
  std::vector<scored_pair> pairs{{0, 1, {2, 3, 2, 10}, 0.1}, {2, 3, {30, 30, 30, 600}, 0.2}};
  auto few = pairs;
  s.filter(few, 1);  // one hypothesis: p = 0.067 > 0.05 fails, the other passes
  REQUIRE(few.size() == 1);
  CHECK(few[0].x == 2);
  auto many = pairs;
  s.filter(many, 1'000'000);
  CHECK(many.size() == 1);
}

TEST_CASE("scores.significant.bursts_count_once") {
  // X and Y together in windows 10, 11, 13 (one burst) and 40 (another): 2 events of 4 windows.
  const std::vector<std::pair<std::int64_t, std::uint32_t>> e{{10, 0}, {10, 1}, {11, 0}, {11, 1}, {13, 0}, {13, 1}, {40, 0}, {40, 1}, {50, 1}};
  const activity a = activity::from_sorted(e, 2, 100);
  const pair_counts b = scores::significant<>::bursts({0, 1, {4, 5, 4, 100}, 0}, a);
  CHECK(b == pair_counts{2, 3, 2, 50});
}
