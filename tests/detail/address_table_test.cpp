#include "expose/detail/address_table.hpp"

#include <stdexcept>
#include <vector>

#include "doctest.hpp"

using namespace expose;
using expose::detail::address_table;

TEST_CASE("detail.address_table.ipv4_is_held_as_itself_any_other_address_numbered_once") {
  address_table t;
  bool numbered = true;
  const std::uint8_t b[4]{192, 0, 2, 7};
  const auto v4 = t.encode(ip_address::v4(b), numbered);
  CHECK_FALSE(numbered);
  CHECK(t.address(v4, false) == ip_address::v4(b));
  const auto a = *ip_address::parse("2001:db8::1");
  CHECK(t.encode(a, numbered) == 0);
  CHECK(numbered);
  CHECK(t.encode(ip_address{}, numbered) == 1);  // `::` is not IPv4
  CHECK(t.encode(a, numbered) == 0);
  CHECK(t.size() == 2);
  CHECK(t.address(0, true) == a);
  CHECK(t.find(ip_address{}) == 1u);
  CHECK_FALSE(t.find(*ip_address::parse("2001:db8::2")).has_value());
  CHECK(t.addresses() == std::vector<ip_address>{a, ip_address{}});
}

TEST_CASE("detail.address_table.from_a_list_refuses_ipv4_and_twice") {
  const auto a = *ip_address::parse("2001:db8::1");
  const std::uint8_t b[4]{10, 0, 0, 1};
  CHECK(address_table::from({a, ip_address{}}, "x: ").find(ip_address{}) == 1u);
  CHECK_THROWS_WITH_AS((void)address_table::from({a, ip_address::v4(b)}, "x: "), "x: the table lists an IPv4 address", std::out_of_range);
  CHECK_THROWS_WITH_AS((void)address_table::from({a, a}, "x: "), "x: the table lists an address twice", std::out_of_range);
}

TEST_CASE("detail.address_table.renumbering_keeps_only_what_is_asked_in_that_order") {
  address_table t;
  bool numbered = false;
  for (const char* s : {"2001:db8::1", "2001:db8::2", "2001:db8::3"}) (void)t.encode(*ip_address::parse(s), numbered);
  detail::renumbering fresh{t, {}};
  CHECK(fresh(2) == 0);
  CHECK(fresh(0) == 1);
  CHECK(fresh(2) == 0);
  CHECK(fresh.table.addresses() == std::vector<ip_address>{*ip_address::parse("2001:db8::3"), *ip_address::parse("2001:db8::1")});
}
