#include "expose/clusters/components.hpp"

#include "doctest.hpp"

using namespace expose;

TEST_CASE("clusters.components.chains_join_in_rule_order") {
  std::vector<rule> rules(4);
  rules[0].lhs = 5, rules[0].rhs = 6;
  rules[1].lhs = 1, rules[1].rhs = 2;
  rules[2].lhs = 2, rules[2].rhs = 3;
  rules[3].lhs = 6, rules[3].rhs = 7;
  const auto c = clusters::components{}.cluster(rules, 8);
  REQUIRE(c.size() == 2);
  CHECK(c[0].items == std::vector<std::uint32_t>{5, 6, 7});
  CHECK(c[0].rules == std::vector<std::size_t>{0, 3});
  CHECK(c[1].items == std::vector<std::uint32_t>{1, 2, 3});
  CHECK(c[1].rules == std::vector<std::size_t>{1, 2});
}

TEST_CASE("clusters.components.min_items") {
  std::vector<rule> rules(1);
  rules[0].lhs = 0, rules[0].rhs = 1;
  CHECK(clusters::components{.min_items = 3}.cluster(rules, 2).empty());
  CHECK(clusters::components{}.cluster({}, 0).empty());
}
