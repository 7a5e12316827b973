#include "expose/store/related.hpp"

#include <string>
#include <vector>

#include "doctest.hpp"

using namespace expose;

namespace {
store::rule_key key(store::side l, const char* kind, store::side r) { return store::canonical(std::move(l), kind, std::move(r)); }
}  // namespace

TEST_CASE("store.related.covers_by_fields_host_variables_and_direction") {
  const auto specific = key({"tcp", "10.0.0.5", "3821", "24.0.0.1", "6346"}, "<=>", {"tcp", "10.0.0.5", "3817", "24.0.0.2", "6346"});
  const auto ports_any = key({"tcp", "10.0.0.5", "*", "24.0.0.1", "6346"}, "<=>", {"tcp", "10.0.0.5", "*", "24.0.0.2", "6346"});
  CHECK(store::covers(ports_any, specific));
  CHECK_FALSE(store::covers(specific, ports_any));  // a value does not cover `*`
  CHECK(store::covers(specific, specific));
  // <=> either way round (the canonical text orders the sides)
  const auto swapped = key({"tcp", "10.0.0.5", "*", "24.0.0.2", "6346"}, "<=>", {"tcp", "10.0.0.5", "*", "24.0.0.1", "6346"});
  CHECK(store::covers(swapped, specific));
  // => keeps its direction, against a => of the other way
  const auto implies = key({"udp", "10.0.0.5", "*", "10.0.0.1", "53"}, "=>", {"tcp", "10.0.0.5", "*", "10.0.0.2", "80"});
  const auto back = key({"tcp", "10.0.0.5", "4000", "10.0.0.2", "80"}, "=>", {"udp", "10.0.0.5", "5000", "10.0.0.1", "53"});
  CHECK_FALSE(store::covers(implies, back));
  // a host variable stands for one value throughout the rule
  const auto host = key({"tcp", "$A", "*", "24.0.0.1", "6346"}, "<=>", {"tcp", "$A", "*", "24.0.0.2", "6346"});
  CHECK(store::covers(host, specific));
  const auto two_hosts = key({"tcp", "10.0.0.5", "3821", "24.0.0.1", "6346"}, "<=>", {"tcp", "10.0.0.6", "3817", "24.0.0.2", "6346"});
  CHECK_FALSE(store::covers(host, two_hosts));
  CHECK_FALSE(store::covers(key({"udp", "$A", "*", "24.0.0.1", "6346"}, "<=>", {"tcp", "$A", "*", "24.0.0.2", "6346"}), specific));
  // `*` covers a host variable (any host, one or several), a host variable never `*` (one host)
  const auto any_host = key({"tcp", "*", "*", "*", "143"}, "<=>", {"tcp", "*", "*", "*", "993"});
  const auto one_host = key({"tcp", "$A", "*", "*", "143"}, "<=>", {"tcp", "$A", "*", "*", "993"});
  CHECK(store::covers(any_host, one_host));
  CHECK_FALSE(store::covers(one_host, any_host));
}

TEST_CASE("store.related.rules_within_and_split_found_through_their_addresses") {
  const auto g = key({"tcp", "10.0.0.5", "*", "24.0.0.1", "6346"}, "<=>", {"tcp", "10.0.0.5", "*", "24.0.0.2", "6346"});
  const auto s1 = key({"tcp", "10.0.0.5", "1", "24.0.0.1", "6346"}, "<=>", {"tcp", "10.0.0.5", "2", "24.0.0.2", "6346"});
  const auto s2 = key({"tcp", "10.0.0.5", "3", "24.0.0.1", "6346"}, "<=>", {"tcp", "10.0.0.5", "4", "24.0.0.2", "6346"});
  const auto other = key({"tcp", "10.0.0.5", "5", "24.0.0.9", "6346"}, "<=>", {"tcp", "10.0.0.5", "6", "24.0.0.2", "6346"});
  const auto any_dns = key({"udp", "*", "*", "*", "53"}, "=>", {"tcp", "*", "*", "*", "80"});
  const auto dns = key({"udp", "10.0.0.7", "*", "10.0.0.1", "53"}, "=>", {"tcp", "10.0.0.7", "*", "10.0.0.2", "80"});
  const std::vector<const store::rule_key*> of{&g, &s1, &dns, &other};
  const std::vector<const store::rule_key*> among{&s2, &s1, &g, &any_dns, &other};
  const auto r = store::related_rules(of, among);
  REQUIRE(r.found.size() == 4);
  CHECK(r.complete);
  // g: split into s2 and s1 (in `among`'s order), and itself left out
  CHECK(r.found[0].split == std::vector<std::size_t>{0, 1});
  CHECK(r.found[0].split_count == 2);
  CHECK(r.found[0].within_count == 0);
  // s1: within g (itself left out), not within s2
  CHECK(r.found[1].within == std::vector<std::size_t>{2});
  CHECK(r.found[1].split_count == 0);
  // dns: within the rule that names no address
  CHECK(r.found[2].within == std::vector<std::size_t>{3});
  // other: related to nothing but itself
  CHECK(r.found[3].empty());
  // at most `most` listed, all counted
  const auto one = store::related_rules({&g}, among, 1);
  CHECK(one.found[0].split == std::vector<std::size_t>{0});
  CHECK(one.found[0].split_count == 2);
  // past the budget: said, and the rules after it not looked up
  const auto short_budget = store::related_rules(of, among, 3, 2);
  CHECK_FALSE(short_budget.complete);
  CHECK(short_budget.found[3].empty());
}
