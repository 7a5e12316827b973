#include "expose/rule_set.hpp"

#include "doctest.hpp"
#include "expose/activity.hpp"
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

TEST_CASE("rule_set.rules_alike_are_marked_to_the_first") {
  // Items 0, 1, 2 active in windows {1, 4, 7}; item 3 in {1, 4}; item 4 in {1, 4, 7} but a host item
  // (id 4 >= offset 4, host samples {1, 4, 7}): a twin of nothing in the window space.
  activity_builder w;
  for (std::uint32_t i : {0u, 1u, 2u})
    for (std::int64_t t : {1, 4, 7}) w.add(t, i);
  for (std::int64_t t : {1, 4}) w.add(t, 3);
  const activity windows = std::move(w).finish(4);
  activity_builder h;
  for (std::int64_t t : {1, 4, 7}) h.add(t, 0);
  const activity hosts = std::move(h).finish(1);
  const pair_counts same{3, 3, 3, 10}, part{2, 3, 2, 10};
  std::vector<rule> rules{{0, 1, rule_kind::equivalent, 0.5, 0.5, same},  // first of the 0-1-2 family
                          {3, 0, rule_kind::implies, 0.4, 0.1, part},
                          {2, 1, rule_kind::equivalent, 0.5, 0.5, same},  // alike to rule 0
                          {3, 2, rule_kind::implies, 0.4, 0.1, part},     // alike to rule 1
                          {4, 1, rule_kind::equivalent, 0.3, 0.3, same},  // a host item: its own
                          {1, 3, rule_kind::implies, 0.2, 0.1, part.reversed()}};  // => the other way: its own
  mark_alike(rules, windows, hosts, 4);
  CHECK(rules[0].alike_of == rule::not_alike);
  CHECK(rules[0].alike == 1);
  CHECK(rules[1].alike == 1);
  CHECK(rules[2].alike_of == 0);
  CHECK(rules[3].alike_of == 1);
  CHECK_FALSE(rules[4].folded());
  CHECK_FALSE(rules[5].folded());
  CHECK(rules[5].alike == 0);
}
