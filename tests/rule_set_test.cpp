#include "expose/rule_set.hpp"

#include "doctest.hpp"
#include "expose/activity.hpp"
#include "expose/item_space.hpp"
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

namespace {
flow_pattern shape_tcp(std::uint32_t src, std::uint16_t sport, std::uint32_t dst, std::uint16_t dport) {
  return exact(flow_key{ip_address::v4(src), ip_address::v4(dst), sport, dport, 6});
}
flow_pattern shape_any_ports(flow_pattern p) {
  p.set(field::src_port, slot::any);
  p.set(field::dst_port, slot::any);
  return p;
}
}  // namespace

TEST_CASE("rule_set.a_rule_that_reads_as_a_more_significant_one_is_dropped") {
  // Items 0 and 1 have one name (a generic X and a rest X minus Y named by its closure, X's own),
  // 2 is Y, 3 another flow, 4 a third item named as 2.
  const flow_pattern x = shape_any_ports(shape_tcp(0x0a000001, 0, 0x0a000002, 0)), y = shape_tcp(0x0a000001, 40000, 0x0a000002, 21),
                     other = shape_tcp(0x0a000001, 40001, 0x0a000003, 80);
  const pattern_list items(std::vector<flow_pattern>{x, x, y, other, y});
  const pair_counts c{10, 10, 10, 100}, d{14, 22, 14, 100};
  std::vector<rule> rules{{1, 2, rule_kind::implies, 0.5, 0.2, c},      // X minus Y => Y
                          {0, 3, rule_kind::equivalent, 0.45, 0.4, c},  // X <=> other
                          {3, 1, rule_kind::equivalent, 0.4, 0.4, d},   // other <=> X minus Y: reads as the one before, turned
                          {0, 2, rule_kind::equivalent, 0.35, 0.3, d},  // X <=> Y: reads as neither (=> is not <=>)
                          {1, 4, rule_kind::implies, 0.3, 0.1, d},      // X minus Y => Y again: reads as the first
                          {2, 1, rule_kind::implies, 0.2, 0.1, c}};     // Y => X: => keeps its direction
  drop_same_text(rules, items);
  REQUIRE(rules.size() == 4);
  CHECK(rules[0].lhs == 1);
  CHECK(rules[0].rhs == 2);
  CHECK(rules[1].lhs == 0);
  CHECK(rules[1].rhs == 3);
  CHECK(rules[2].lhs == 0);
  CHECK(rules[2].rhs == 2);
  CHECK(rules[3].lhs == 2);
  CHECK(rules[3].rhs == 1);
  CHECK(rules[2].counts == d);

  // A lagged <=> whose left side comes first says which way: turned, it is another rule.
  std::vector<rule> lagged{{0, 3, rule_kind::equivalent, 0.5, 0.4, c}, {3, 1, rule_kind::equivalent, 0.4, 0.3, c}, {1, 3, rule_kind::equivalent, 0.3, 0.3, c}};
  for (auto& lr : lagged) lr.order = rule_order::lhs_first;
  drop_same_text(lagged, items);
  REQUIRE(lagged.size() == 2);
  CHECK(lagged[1].lhs == 3);

  // Items that all have names of their own: nothing dropped.
  const pattern_list distinct(std::vector<flow_pattern>{x, y, other});
  std::vector<rule> two{{0, 1, rule_kind::implies, 0.5, 0.2, c}, {1, 0, rule_kind::implies, 0.4, 0.2, c}};
  drop_same_text(two, distinct);
  CHECK(two.size() == 2);
}

TEST_CASE("rule_set.rules_the_same_for_other_hosts_are_folded_into_the_first") {
  constexpr std::uint32_t host = 0x0a000601, peer1 = 0x64400001, peer2 = 0x64400002, peer3 = 0x64400003, web = 0x0a000050, web2 = 0x0a000051;
  const std::vector<flow_pattern> items{
      shape_tcp(host, 50001, peer1, 6881), shape_any_ports(shape_tcp(host, 0, peer1, 0)),  // 0, 1: the host and its first peer
      shape_tcp(host, 50002, peer2, 6883), shape_tcp(host, 50003, peer2, 6887),      // 2, 3: its second peer, two connections
      shape_tcp(host, 50004, peer3, 6882), shape_any_ports(shape_tcp(host, 0, peer3, 0)),  // 4, 5: its third peer
      shape_tcp(host, 40000, web, 80), shape_tcp(host, 40001, web, 443),             // 6, 7: a web server on 80 and 443
      shape_tcp(host, 40002, web2, 80), shape_tcp(host, 40003, web2, 25),            // 8, 9: another on 80 and 25 (a service of its own)
      shape_tcp(peer1, 6881, peer2, 6883)};                                    // 10: the two peers (two hosts that differ)
  const pair_counts c{10, 10, 10, 100};
  std::vector<rule> rules{{0, 1, rule_kind::equivalent, 0.5, 0.5, c},   // peer1: the first of the family
                          {6, 7, rule_kind::equivalent, 0.45, 0.4, c},  // web 80 and 443
                          {3, 2, rule_kind::equivalent, 0.4, 0.4, c},   // peer2, sides the other way round
                          {8, 9, rule_kind::equivalent, 0.35, 0.3, c},  // web2 80 and 25: not web's 80 and 443
                          {5, 4, rule_kind::implies, 0.3, 0.1, c},      // peer3, but => where the first is <=>
                          {4, 5, rule_kind::equivalent, 0.2, 0.2, c},   // peer3 <=>, alike to another rule: not folded
                          {0, 10, rule_kind::equivalent, 0.1, 0.1, c}};  // sides on different host pairs
  rules[5].alike_of = 4;
  mark_same_shape(rules, items);
  CHECK(rules[0].same_shape_of == rule::not_alike);
  CHECK(rules[0].same_shape == 1);
  CHECK(rules[0].same_shape_host == ip_address::v4(peer1));
  CHECK(rules[2].same_shape_of == 0);
  CHECK(rules[2].folded());
  CHECK(rules[2].folded_into() == 0);
  for (std::size_t k : {1u, 3u, 4u, 6u}) {
    CAPTURE(k);
    CHECK_FALSE(rules[k].folded());
    CHECK(rules[k].same_shape == 0);
  }
  CHECK(rules[5].same_shape_of == rule::not_alike);  // still alike to rule 4, and only that
  CHECK(rules[5].folded_into() == 4);

  // The anchor is the host common to the family: with the peers fixed and the host varying, a
  // second BitTorrent host's rule with peer1 joins no family of the first host's.
  rules[2].lhs = 1;  // peer1 again: the family has one peer, no family
  rules[2].rhs = 0;
  mark_same_shape(rules, items);
  CHECK_FALSE(rules[2].folded());
  CHECK(rules[0].same_shape == 0);
}

namespace {
/// A space of 10,000 flows and five window items over them (ids 10000..10004): G holds the even
/// flows (5,000: checked through a bitmap of its flows), S the first 1,000 of them (inside G), T
/// flows 0, 1 and the even flows 2000..3998 (not inside G, though its first flow is G's), an item
/// of no rule, and H the flows 1001 and 1003.
item_space big_outer_space() {
  item_space s;
  constexpr std::uint32_t n = 10'000;
  s.set_base(n);
  s.items.resize(n + 5);
  std::vector<std::uint32_t> g, small, t{0, 1};
  for (std::uint32_t f = 0; f < n; f += 2) g.push_back(f);
  small.assign(g.begin(), g.begin() + 1000);
  for (std::uint32_t f = 2000; f < 4000; f += 2) t.push_back(f);
  s.generic_members = {g, small, t, {7, 9}, {1001, 1003}};
  s.windows = activity::from_sorted(std::vector<std::pair<std::int64_t, std::uint32_t>>{}, n + 5, 10);
  return s;
}
}  // namespace

TEST_CASE("rule_set.a_rule_explained_by_a_wider_one_over_a_large_item_is_suppressed") {
  const auto s = big_outer_space();
  constexpr std::uint32_t G = 10'000, S = 10'001, T = 10'002, H = 10'004;
  const pair_counts c{50, 50, 40, 100};
  SUBCASE("the wider rule scores as high: the narrower one goes") {
    std::vector<rule> rules{{G, H, rule_kind::implies, 0.5, 0.1, c}, {S, H, rule_kind::implies, 0.3, 0.1, c}, {T, H, rule_kind::implies, 0.2, 0.1, c}};
    suppress_explained(rules, s);
    REQUIRE(rules.size() == 2);
    CHECK(rules[0].lhs == G);
    CHECK(rules[1].lhs == T);  // T holds flow 1, which G does not
  }
  SUBCASE("the narrower rule scores higher: the wider one only dilutes it") {
    std::vector<rule> rules{{S, H, rule_kind::implies, 0.5, 0.1, c}, {G, H, rule_kind::implies, 0.3, 0.1, c}, {T, H, rule_kind::implies, 0.2, 0.1, c}};
    suppress_explained(rules, s);
    REQUIRE(rules.size() == 2);
    CHECK(rules[0].lhs == S);
    CHECK(rules[1].lhs == T);
  }
  SUBCASE("turned round, an equivalence explains it too") {
    std::vector<rule> rules{{H, G, rule_kind::equivalent, 0.5, 0.4, c}, {S, H, rule_kind::implies, 0.3, 0.1, c}};
    suppress_explained(rules, s);
    REQUIRE(rules.size() == 1);
    CHECK(rules[0].rhs == G);
  }
}
