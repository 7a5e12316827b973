#include "expose/rule_set.hpp"

#include "doctest.hpp"
#include "expose/scores/jmeasure.hpp"

using namespace expose;

TEST_CASE("rule_set.both_directions_make_one_equivalence_led_by_the_stronger") {
  const scores::jmeasure j{};
  const pair_counts c01{10, 20, 8, 100};
  const std::vector<scored_pair> pairs{{0, 1, c01, j.score(c01)}, {1, 0, c01.reversed(), j.score(c01.reversed())},
                                       {2, 3, {5, 50, 5, 100}, j.score({5, 50, 5, 100})}};
  const auto rules = make_rules(pairs, j);
  REQUIRE(rules.size() == 2);
  // J(1=>0) = 0.2*(0.4*log2(4) + 0.6*log2(0.6/0.9)) ~ 0.111 < J(0=>1) = 0.12
  CHECK(rules[0].kind == rule_kind::equivalent);
  CHECK(rules[0].lhs == 0);
  CHECK(rules[0].rhs == 1);
  CHECK(rules[0].score == doctest::Approx(0.12));
  CHECK(rules[0].reverse_score == doctest::Approx(j.score(c01.reversed())));
  CHECK(rules[0].counts == c01);
  CHECK(rules[0].confidence() == doctest::Approx(0.8));
  CHECK(rules[1].kind == rule_kind::implies);
  CHECK(rules[1].lhs == 2);
  CHECK(rules[1].reverse_score == doctest::Approx(j.score({50, 5, 5, 100})));
  CHECK(std::string(kind_text(rules[0].kind)) == "<=>");
  CHECK(std::string(kind_text(rules[1].kind)) == "=>");
}

TEST_CASE("rule_set.ranked_by_score_then_support") {
  const scores::jmeasure j{};
  const std::vector<scored_pair> pairs{{0, 1, {4, 9, 4, 100}, 0.2}, {2, 3, {9, 9, 9, 100}, 0.3}, {4, 5, {7, 9, 7, 100}, 0.2}};
  const auto rules = make_rules(pairs, j);
  REQUIRE(rules.size() == 3);
  CHECK(rules[0].lhs == 2);
  CHECK(rules[1].lhs == 4);  // same score, more support
  CHECK(rules[2].lhs == 0);
}
