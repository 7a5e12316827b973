#include "expose/flow_list.hpp"

#include <algorithm>
#include <vector>

#include "doctest.hpp"

using namespace expose;

namespace {
flow_key k4(std::uint8_t host, std::uint16_t sport) {
  const std::uint8_t a[4]{10, 0, 0, host}, b[4]{192, 0, 2, 80};
  return {ip_address::v4(a), ip_address::v4(b), sport, 80, 6};
}
flow_key k6(const char* src, std::uint16_t sport) { return {*ip_address::parse(src), *ip_address::parse("2001:db8::80"), sport, 443, 17}; }
}  // namespace

TEST_CASE("flow_list.gives_back_every_key_as_it_was_given") {
  static_assert(flow_list::bytes_per_flow == 16);
  flow_list l;
  const std::vector<flow_key> keys{k4(1, 50000), k6("2001:db8::1", 50001), k4(2, 50002), k6("2001:db8::1", 50003), k6("::", 0),
                                   flow_key{}};
  for (const auto& k : keys) l.push_back(k);
  REQUIRE(l.size() == keys.size());
  for (std::size_t i = 0; i < keys.size(); ++i) CHECK(l[i] == keys[i]);
  CHECK(l.back() == keys.back());
  CHECK(std::vector<flow_key>(l.begin(), l.end()) == keys);
  // an IPv6 address is numbered once, however many flows name it (here 2001:db8::1, 2001:db8::80, ::)
  CHECK(l.addresses_numbered() == 3);
}

TEST_CASE("flow_list.retain_keeps_order_and_forgets_addresses_no_flow_names") {
  flow_list l;
  l.push_back(k6("2001:db8::1", 1));
  l.push_back(k4(1, 2));
  l.push_back(k6("2001:db8::2", 3));
  l.push_back(k4(2, 4));
  CHECK(l.addresses_numbered() == 3);  // ::1, ::2 and the server
  l.retain({0, 1, 1, 1});
  REQUIRE(l.size() == 3);
  CHECK(l[0] == k4(1, 2));
  CHECK(l[1] == k6("2001:db8::2", 3));
  CHECK(l[2] == k4(2, 4));
  CHECK(l.addresses_numbered() == 2);  // 2001:db8::1 is gone
  l.retain({1, 0, 1});
  CHECK(std::vector<flow_key>(l.begin(), l.end()) == std::vector<flow_key>{k4(1, 2), k4(2, 4)});
  CHECK(l.addresses_numbered() == 0);
  l.push_back(k6("2001:db8::3", 5));  // numbered anew after the retain
  CHECK(l[2] == k6("2001:db8::3", 5));
  CHECK(l[0] == k4(1, 2));
}

TEST_CASE("flow_list.a_moved_list_keeps_its_keys") {
  flow_list l;
  for (std::uint16_t p = 0; p < 1000; ++p) l.push_back(p % 2 == 0 ? k4(static_cast<std::uint8_t>(p % 200), p) : k6("2001:db8::7", p));
  flow_list m = std::move(l);
  REQUIRE(m.size() == 1000);
  CHECK(m[998] == k4(198, 998));
  CHECK(m[999] == k6("2001:db8::7", 999));
  l.clear();
  CHECK(l.empty());
  m.clear();
  CHECK(m.empty());
  CHECK(m.addresses_numbered() == 0);
}
