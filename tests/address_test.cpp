#include "expose/address.hpp"

#include "doctest.hpp"

using expose::ip_address;

TEST_CASE("address.v4_round_trip") {
  const auto a = ip_address::parse("10.1.0.5");
  REQUIRE(a.has_value());
  CHECK(a->is_v4());
  CHECK(a->to_string() == "10.1.0.5");
  CHECK(*a == ip_address::v4(0x0a010005u));
}

TEST_CASE("address.v6_round_trip_and_canonical_text") {
  const auto a = ip_address::parse("2001:0db8:0000:0000:0000:0000:0000:0001");
  REQUIRE(a.has_value());
  CHECK_FALSE(a->is_v4());
  CHECK(a->to_string() == "2001:db8::1");
}

TEST_CASE("address.rejects_garbage") {
  CHECK_FALSE(ip_address::parse("10.1.0").has_value());
  CHECK_FALSE(ip_address::parse("host.example").has_value());
  CHECK_FALSE(ip_address::parse("").has_value());
}

TEST_CASE("address.order_is_numeric") {
  CHECK(ip_address::v4(0x0a000002u) < ip_address::v4(0x0a00000au));
  CHECK(ip_address::v4(0x0a000002u) != ip_address::v4(0x0a000003u));
}
