#pragma once
// A flow key in 16 bytes, as the lists of millions hold it (pattern_list, flow_list): each address
// in 32 bits of an address_table (IPv4 as itself, IPv6 numbered), the ports and protocol as they
// are, and room for a pattern's slots (two bits a field; zero for a key).
//
//   detail::address_table v6;
//   const detail::packed_key e = detail::pack(key, v6);
//   assert(detail::unpack(e, v6) == key);
//   detail::retain_packed(entries, v6, keep);  // thins a list and numbers its IPv6 table anew

#include <cstddef>
#include <cstdint>

#include "expose/address.hpp"
#include "expose/detail/address_table.hpp"
#include "expose/flow_key.hpp"

namespace expose::detail {

struct packed_key {
  std::uint32_t src = 0;  // the IPv4 address's four bytes as they stand, or a number in the table
  std::uint32_t dst = 0;
  std::uint16_t sport = 0;
  std::uint16_t dport = 0;
  std::uint8_t proto = 0;
  std::uint8_t table = 0;   // bit 0: src is a number in the table; bit 1: dst is
  std::uint16_t slots = 0;  // a pattern's: two bits a field, field f at bit 2f
  friend bool operator==(const packed_key&, const packed_key&) = default;
};
static_assert(sizeof(packed_key) == 16);

/// `k` packed with slots 0, its IPv6 addresses numbered in `v6` (added there when new).
[[nodiscard]] inline packed_key pack(const flow_key& k, address_table& v6) {
  packed_key e;
  bool src_table = false, dst_table = false;
  e.src = v6.encode(k.src, src_table);
  e.dst = v6.encode(k.dst, dst_table);
  e.sport = k.sport;
  e.dport = k.dport;
  e.proto = k.proto;
  e.table = static_cast<std::uint8_t>((src_table ? 1U : 0U) | (dst_table ? 2U : 0U));
  return e;
}

/// The source (or destination) address `e` holds, its number read in `v6`.
[[nodiscard]] inline ip_address source_of(const packed_key& e, const address_table& v6) noexcept {
  return v6.address(e.src, (e.table & 1U) != 0);
}
[[nodiscard]] inline ip_address destination_of(const packed_key& e, const address_table& v6) noexcept {
  return v6.address(e.dst, (e.table & 2U) != 0);
}

/// The key `e` holds (its slots aside).
[[nodiscard]] inline flow_key unpack(const packed_key& e, const address_table& v6) noexcept {
  return {source_of(e, v6), destination_of(e, v6), e.sport, e.dport, e.proto};
}

/// Keeps the entries `keep(i)` is true of, in their order, and in `v6` the IPv6 addresses they
/// still number, numbered anew in the order the kept entries first name them: so a list an
/// eviction thins does not keep every address it ever held. `entries`: a vector-like container of
/// packed_key (operator[], size, resize).
template <class Entries, class Keep>
void retain_packed(Entries& entries, address_table& v6, const Keep& keep) {
  renumbering renumber{v6, {}};
  std::size_t out = 0;
  for (std::size_t i = 0; i < entries.size(); ++i) {
    if (!keep(i)) continue;
    packed_key e = entries[i];
    if ((e.table & 1U) != 0) e.src = renumber(e.src);
    if ((e.table & 2U) != 0) e.dst = renumber(e.dst);
    entries[out++] = e;
  }
  entries.resize(out);
  v6.swap(renumber.table);
}

}  // namespace expose::detail
