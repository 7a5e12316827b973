#include "expose/detail/packed_key.hpp"

#include <cstdint>
#include <vector>

#include "doctest.hpp"

using namespace expose;
using expose::detail::address_table;
using expose::detail::packed_key;

namespace {

flow_key key(const char* src, const char* dst, std::uint16_t sport, std::uint16_t dport, std::uint8_t proto) {
  return {*ip_address::parse(src), *ip_address::parse(dst), sport, dport, proto};
}

}  // namespace

TEST_CASE("detail.packed_key.packs_ipv4_inline_and_numbers_ipv6_and_unpacks_to_the_same_key") {
  address_table v6;
  const flow_key a = key("192.0.2.1", "2001:db8::5", 40000, 53, 17);
  const packed_key e = detail::pack(a, v6);
  CHECK(e.table == 2);  // the destination is numbered, the source held as itself
  CHECK(e.dst == 0);
  CHECK(e.sport == 40000);
  CHECK(e.dport == 53);
  CHECK(e.proto == 17);
  CHECK(e.slots == 0);
  CHECK(v6.size() == 1);
  CHECK(detail::unpack(e, v6) == a);
  CHECK(detail::source_of(e, v6) == *ip_address::parse("192.0.2.1"));
  CHECK(detail::destination_of(e, v6) == *ip_address::parse("2001:db8::5"));

  const packed_key b = detail::pack(key("2001:db8::5", "::", 1, 2, 6), v6);
  CHECK(b.table == 3);
  CHECK(b.src == 0);  // numbered once
  CHECK(b.dst == 1);  // `::` is not IPv4
  CHECK(v6.size() == 2);
}

TEST_CASE("detail.packed_key.retain_keeps_what_is_asked_in_order_and_numbers_the_table_anew") {
  address_table v6;
  std::vector<packed_key> entries;
  const std::vector<flow_key> keys{key("2001:db8::1", "10.0.0.1", 1, 80, 6), key("2001:db8::2", "2001:db8::3", 2, 443, 6),
                                   key("10.0.0.2", "2001:db8::3", 3, 22, 6), key("10.0.0.3", "10.0.0.4", 4, 25, 6)};
  for (const flow_key& k : keys) entries.push_back(detail::pack(k, v6));
  CHECK(v6.size() == 3);
  entries[2].slots = 0x155;  // slots travel with the entry untouched

  detail::retain_packed(entries, v6, [](std::size_t i) { return i >= 2; });
  REQUIRE(entries.size() == 2);
  CHECK(detail::unpack(entries[0], v6) == keys[2]);
  CHECK(detail::unpack(entries[1], v6) == keys[3]);
  CHECK(entries[0].slots == 0x155);
  CHECK(entries[0].dst == 0);  // 2001:db8::3 renumbered from 2
  CHECK(v6.addresses() == std::vector<ip_address>{*ip_address::parse("2001:db8::3")});

  detail::retain_packed(entries, v6, [](std::size_t) { return false; });
  CHECK(entries.empty());
  CHECK(v6.size() == 0);
}
