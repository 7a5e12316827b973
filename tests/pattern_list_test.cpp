#include "expose/pattern_list.hpp"

#include <algorithm>
#include <iterator>
#include <stdexcept>
#include <vector>

#include "doctest.hpp"
#include "expose/lattice/templates.hpp"

using namespace expose;

namespace {
flow_pattern pattern_of(const char* src, std::uint16_t sport, const char* dst, std::uint16_t dport, std::uint8_t proto) {
  return exact({*ip_address::parse(src), *ip_address::parse(dst), sport, dport, proto});
}
}  // namespace

TEST_CASE("pattern_list.gives_back_each_pattern_as_it_was_put") {
  flow_pattern generic = pattern_of("10.0.0.1", 40000, "10.0.0.9", 22, proto::tcp);
  generic.set(field::src_ip, slot::var);
  generic.set(field::src_port, slot::any);
  flow_pattern unset;  // `::` kept in both address fields: an address like any other
  unset.slots = {slot::kept, slot::any, slot::var, slot::kept, slot::any};
  const std::vector<flow_pattern> put{
      pattern_of("10.0.0.1", 40000, "10.0.0.9", 22, proto::tcp),
      pattern_of("0.0.0.0", 68, "255.255.255.255", 67, proto::udp),  // IPv4 zero, not `::`
      pattern_of("2001:db8::1", 546, "ff02::1:2", 547, proto::udp),
      pattern_of("::ffff:10.0.0.2", 1, "fe80::1", 2, proto::icmp6),  // one side IPv4, one IPv6
      pattern_of("2001:db8::1", 5000, "10.0.0.9", 80, proto::tcp),   // the IPv6 address again
      generic,
      unset,
  };
  const pattern_list list(put);
  REQUIRE(list.size() == put.size());
  for (std::size_t i = 0; i < put.size(); ++i) CHECK(list[i] == put[i]);
  CHECK(list.front() == put.front());
  CHECK(list.back() == unset);
  CHECK(list[1] != pattern_of("::", 68, "255.255.255.255", 67, proto::udp));
  // IPv6 addresses are numbered once: 2001:db8::1, ff02::1:2, fe80::1, then `::`
  CHECK(list.v6_addresses().size() == 4);
  CHECK(list.v6_addresses()[3] == ip_address{});
  CHECK(sizeof(pattern_list::packed) == 16);
}

TEST_CASE("pattern_list.set_resize_and_iterate") {
  pattern_list list{pattern_of("10.0.0.1", 1, "10.0.0.2", 2, proto::tcp), pattern_of("10.0.0.3", 3, "10.0.0.4", 4, proto::udp)};
  list.set(0, pattern_of("2001:db8::7", 7, "10.0.0.2", 2, proto::tcp));
  CHECK(list[0].key.src.to_string() == "2001:db8::7");
  CHECK(list[1].key.dport == 4);
  list.resize(3);
  CHECK(list[2] == flow_pattern{});
  list.resize(1);
  REQUIRE(list.size() == 1);
  CHECK(list[0].key.sport == 7);
  list.push_back(pattern_of("10.0.0.5", 5, "10.0.0.6", 6, proto::tcp));
  std::vector<std::uint16_t> sports;
  for (const flow_pattern& p : list) sports.push_back(p.key.sport);
  CHECK(sports == std::vector<std::uint16_t>{7, 5});
  CHECK(std::ranges::distance(list) == 2);
  CHECK(*(list.begin() + 1) == list[1]);
  CHECK(list.end() - list.begin() == 2);
  const pattern_list copy = list;
  CHECK(copy == list);
  pattern_list other;
  other.swap(list);
  CHECK(list.empty());
  CHECK(other == copy);
}

TEST_CASE("pattern_list.from_parts_takes_back_what_a_list_holds") {
  const pattern_list list{pattern_of("2001:db8::1", 1, "2001:db8::2", 2, proto::tcp), pattern_of("10.0.0.1", 3, "2001:db8::2", 4, proto::udp)};
  pattern_list again = pattern_list::from_parts(list.packed_patterns(), list.v6_addresses());
  CHECK(again == list);
  // the table is whole again: a known address is not numbered twice
  again.push_back(pattern_of("2001:db8::2", 5, "2001:db8::1", 6, proto::tcp));
  CHECK(again.v6_addresses().size() == 2);
  std::vector<ip_address> short_table{list.v6_addresses()[0]};
  CHECK_THROWS_WITH_AS((void)pattern_list::from_parts(list.packed_patterns(), short_table),
                       "pattern_list::from_parts: a pattern numbers an IPv6 address the table does not hold", std::out_of_range);
}

TEST_CASE("pattern_list.masked_patterns_are_equal_exactly_when_the_masked_patterns_are") {
  // Addresses of every kind, in fields kept and not: a service key's items leave the client out.
  const char* hosts[] = {"10.0.0.1", "0.0.0.0", "::", "2001:db8::1"};
  pattern_list list;
  std::vector<flow_pattern> put;
  for (const char* s : hosts)
    for (const char* d : hosts)
      for (const slot src_slot : {slot::kept, slot::any}) {
        flow_pattern p = pattern_of(s, 1000, d, 53, proto::udp);
        p.set(field::src_ip, src_slot);
        p.set(field::src_port, slot::any);
        put.push_back(p);
        list.push_back(p);
      }
  const std::array<slot, field_count> masks[] = {
      {slot::any, slot::any, slot::kept, slot::kept, slot::kept},  // any client
      {slot::kept, slot::any, slot::kept, slot::kept, slot::kept},  // client's port
      {slot::var, slot::any, slot::any, slot::kept, slot::kept},
      {slot::kept, slot::kept, slot::any, slot::any, slot::any},
  };
  // pairs (i, j) alike: by the server alone; by client where kept, else by server; all one; by
  // client where kept, else all one
  const std::size_t alike[] = {4 * 8 * 8, 4 * 4 * 4 + 16, 32 * 32, 16 * 16 + 4 * 4 * 4};
  for (std::size_t k = 0; k < std::size(masks); ++k) {
    const lattice::mask m{masks[k]};
    const auto masking = list.masking_of(masks[k]);
    std::size_t equal_pairs = 0;
    for (std::size_t i = 0; i < put.size(); ++i)
      for (std::size_t j = 0; j < put.size(); ++j) {
        const bool same = lattice::detail::apply(m, put[i]) == lattice::detail::apply(m, put[j]);
        CHECK(same == (list.masked(i, masking) == list.masked(j, masking)));
        equal_pairs += same ? 1 : 0;
      }
    CHECK(equal_pairs == alike[k]);
    // bit for bit as the list holds the masked pattern itself
    for (std::size_t i = 0; i < put.size(); ++i) {
      pattern_list with = list;
      with.push_back(lattice::detail::apply(m, put[i]));
      CHECK(with.packed_patterns().back() == list.masked(i, masking));
    }
  }
}

TEST_CASE("pattern_list.retain_keeps_the_table_of_the_patterns_kept") {
  pattern_list list{pattern_of("2001:db8::1", 1, "10.0.0.1", 2, proto::tcp), pattern_of("10.0.0.2", 3, "2001:db8::2", 4, proto::tcp),
                    pattern_of("2001:db8::3", 5, "2001:db8::2", 6, proto::udp)};
  const flow_pattern second = list[1], third = list[2];
  list.retain([](std::size_t i) { return i != 0; });
  REQUIRE(list.size() == 2);
  CHECK(list[0] == second);
  CHECK(list[1] == third);
  CHECK(list.v6_addresses() == std::vector<ip_address>{*ip_address::parse("2001:db8::2"), *ip_address::parse("2001:db8::3")});
}

TEST_CASE("pattern_list.from_parts_refuses_what_no_list_holds") {
  const pattern_list list{pattern_of("2001:db8::1", 1, "10.0.0.1", 2, proto::tcp)};
  auto bits = list.packed_patterns();
  bits[0].table |= 4U;
  CHECK_THROWS_WITH_AS((void)pattern_list::from_parts(bits, list.v6_addresses()), "pattern_list::from_parts: a pattern sets a bit no pattern sets",
                       std::out_of_range);
  auto slots = list.packed_patterns();
  slots[0].slots = 3;  // slot 3 in the first field
  CHECK_THROWS_WITH_AS((void)pattern_list::from_parts(slots, list.v6_addresses()), "pattern_list::from_parts: a pattern holds a slot that is none",
                       std::out_of_range);
  CHECK_THROWS_WITH_AS((void)pattern_list::from_parts(list.packed_patterns(), {list.v6_addresses()[0], list.v6_addresses()[0]}),
                       "pattern_list::from_parts: the table lists an address twice", std::out_of_range);
  CHECK_THROWS_WITH_AS((void)pattern_list::from_parts(list.packed_patterns(), {ip_address::v4(0x0a000001u)}),
                       "pattern_list::from_parts: the table lists an IPv4 address", std::out_of_range);
}

TEST_CASE("pattern_list.address_keys_are_equal_exactly_when_the_addresses_are") {
  // IPv4 addresses held as themselves, IPv6 ones (and `::`) as numbers in the table: a number of
  // the table that equals an IPv4 address's bits must not make the two one key.
  flow_pattern unset;  // `::` both ways
  const pattern_list l{
      pattern_of("10.0.0.1", 40000, "10.0.0.9", 22, proto::tcp),
      pattern_of("2001:db8::1", 546, "ff02::1:2", 547, proto::udp),  // table numbers 0 and 1
      pattern_of("0.0.0.0", 68, "0.0.0.1", 67, proto::udp),          // IPv4 bits 0 and 1
      pattern_of("10.0.0.9", 5000, "2001:db8::1", 80, proto::tcp),
      unset,
  };
  std::vector<std::pair<std::size_t, field>> sides;
  for (std::size_t i = 0; i < l.size(); ++i)
    for (const auto f : {field::src_ip, field::dst_ip}) sides.emplace_back(i, f);
  std::size_t equal = 0;
  for (const auto& [i, f] : sides)
    for (const auto& [j, g] : sides) {
      const bool same = l.address(i, f) == l.address(j, g);
      INFO(l.address(i, f).to_string(), " and ", l.address(j, g).to_string());
      CHECK((l.address_key(i, f) == l.address_key(j, g)) == same);
      equal += same && (i != j || f != g) ? 1 : 0;
    }
  CHECK(equal == 6);  // 10.0.0.9 twice, 2001:db8::1 twice, `::` twice: each pair both ways
}

TEST_CASE("pattern_list.differing_names_the_fields_some_pattern_changes") {
  pattern_list l;
  l.push_back(pattern_of("10.0.0.1", 40000, "10.0.0.9", 22, proto::tcp));  // 0
  l.push_back(pattern_of("10.0.0.1", 40001, "10.0.0.9", 22, proto::tcp));  // 1: another source port
  l.push_back(pattern_of("10.0.0.2", 40000, "10.0.0.9", 22, proto::tcp));  // 2: another source
  l.push_back(pattern_of("10.0.0.1", 40000, "10.0.0.9", 22, proto::udp));  // 3: another protocol
  l.push_back(pattern_of("::a00:1", 40000, "10.0.0.9", 22, proto::tcp));   // 4: an IPv6 source, numbered
  flow_pattern any_dport = pattern_of("10.0.0.1", 40000, "10.0.0.9", 0, proto::tcp);
  any_dport.set(field::dst_port, slot::any);
  l.push_back(any_dport);  // 5: the same values but the destination port not kept
  l.push_back(pattern_of("10.0.0.1", 40000, "10.0.0.9", 22, proto::tcp));  // 6: as 0
  l.push_back(pattern_of("0.0.0.0", 40000, "10.0.0.9", 22, proto::tcp));   // 7: the 32 bits of 4's source
  using A = std::array<bool, field_count>;
  const auto differ = [&](std::vector<std::uint32_t> ids) { return l.differing(ids); };
  //                      src_ip src_port dst_ip dst_port proto
  CHECK(differ({0}) == A{false, false, false, false, false});
  CHECK(differ({0, 6}) == A{false, false, false, false, false});
  CHECK(differ({0, 1, 6}) == A{false, true, false, false, false});
  CHECK(differ({6, 2}) == A{true, false, false, false, false});
  CHECK(differ({0, 3}) == A{false, false, false, false, true});
  CHECK(differ({0, 5}) == A{false, false, false, true, false});
  CHECK(differ({5, 0}) == A{false, false, false, true, false});
  // 0.0.0.0 and the IPv6 address numbered 0 in the table share their 32 bits: told apart
  REQUIRE(l.packed_patterns()[7].src == l.packed_patterns()[4].src);
  CHECK(differ({7, 4}) == A{true, false, false, false, false});
  CHECK(differ({4, 7}) == A{true, false, false, false, false});
  // many patterns, fetched ahead: the change may come last
  std::vector<std::uint32_t> many(40, 0);
  CHECK(differ(many) == A{false, false, false, false, false});
  many.push_back(1);
  CHECK(differ(many) == A{false, true, false, false, false});
}
