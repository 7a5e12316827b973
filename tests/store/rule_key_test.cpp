#include "expose/store/rule_key.hpp"

#include "doctest.hpp"
#include "expose/pipeline.hpp"
#include "expose/io/text.hpp"
#include "expose/synth/demo.hpp"

using namespace expose;

namespace {
store::side flow(std::string src, std::string sport, std::string dst, std::string dport, std::string proto = "tcp") {
  return {std::move(proto), std::move(src), std::move(sport), std::move(dst), std::move(dport)};
}
}  // namespace

TEST_CASE("store.rule_key.equivalence_sides_in_byte_order") {
  const auto a = flow("10.0.0.2", "*", "10.0.0.9", "80");
  const auto b = flow("10.0.0.1", "*", "10.0.0.9", "53", "udp");
  const auto k1 = store::canonical(a, "<=>", b);
  const auto k2 = store::canonical(b, "<=>", a);
  CHECK(k1.text() == "10.0.0.1.* : 10.0.0.9.53 : udp <=> 10.0.0.2.* : 10.0.0.9.80 : tcp");
  CHECK(k2.text() == k1.text());
  CHECK(k1.flipped);
  CHECK_FALSE(k2.flipped);
}

TEST_CASE("store.rule_key.implication_keeps_its_direction") {
  const auto a = flow("10.0.0.2", "*", "10.0.0.9", "80");
  const auto b = flow("10.0.0.1", "*", "10.0.0.9", "53", "udp");
  CHECK(store::canonical(a, "=>", b).text() == "10.0.0.2.* : 10.0.0.9.80 : tcp => 10.0.0.1.* : 10.0.0.9.53 : udp");
  CHECK(store::canonical(b, "=>", a).text() == "10.0.0.1.* : 10.0.0.9.53 : udp => 10.0.0.2.* : 10.0.0.9.80 : tcp");
  CHECK_FALSE(store::canonical(a, "=>", b).flipped);
  CHECK_THROWS_WITH_AS((void)store::canonical(a, "->", b), "rule kind '->' is neither => nor <=>", bad_argument);
}

TEST_CASE("store.rule_key.ipv6_in_brackets_and_host_variables") {
  const auto k = store::canonical(flow("$A", "*", "2001:db8::1", "443"), "<=>", flow("$A", "*", "*", "53", "udp"));
  CHECK(k.text() == "$A.* : *.53 : udp <=> $A.* : [2001:db8::1].443 : tcp");
}

TEST_CASE("store.rule_key.equals_the_printed_text_of_a_run") {
  const auto r = mine(synth::demo{.seed = 1}.packets(), pipeline<>{});
  REQUIRE(r.rules.size() == 5);
  const auto seen = store::observe(r);
  REQUIRE(seen.size() == 5);
  for (std::size_t i = 0; i < r.rules.size(); ++i) {
    CHECK(seen[i].reported_text() == io::rule_text(r, r.rules[i]));
    CHECK(seen[i].support == r.rules[i].counts.n_xy);
    CHECK(seen[i].key.kind == "<=>");
  }
  CHECK(seen[0].key.text() == "10.0.0.21.123 : 10.0.0.1.123 : udp <=> 10.0.0.22.123 : 10.0.0.1.123 : udp");
}
