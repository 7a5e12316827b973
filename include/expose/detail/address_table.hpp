#pragma once
// Addresses in 32 bits, for the lists that hold millions of them (pattern_list, flow_list): an
// IPv4 address as its four bytes, any other numbered once in a table.
//
//   detail::address_table table;
//   bool numbered = false;
//   const std::uint32_t v = table.encode(a, numbered);
//   assert(table.address(v, numbered) == a);

#include <cstdint>
#include <cstring>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <boost/unordered/unordered_flat_map.hpp>

#include "expose/address.hpp"
#include "expose/flow_key.hpp"  // address_hash

namespace expose::detail {

class address_table {
 public:
  /// The 32 bits `a` is held in, and whether they are a number in this table (it numbers `a`
  /// when it is new).
  std::uint32_t encode(const ip_address& a, bool& numbered) {
    numbered = !a.is_v4();
    if (!numbered) {
      std::uint32_t v = 0;
      std::memcpy(&v, a.bytes().data() + 12, 4);
      return v;
    }
    if (addresses_.size() == UINT32_MAX && !number_.contains(a))
      throw std::length_error("address_table: more than 4,294,967,295 IPv6 addresses to number");
    const auto [it, fresh] = number_.try_emplace(a, static_cast<std::uint32_t>(addresses_.size()));
    if (fresh) addresses_.push_back(a);
    return it->second;
  }
  /// The address 32 bits hold.
  [[nodiscard]] ip_address address(std::uint32_t v, bool numbered) const noexcept {
    if (numbered) return addresses_[v];
    std::uint8_t b[4];
    std::memcpy(b, &v, 4);
    return ip_address::v4(b);
  }
  /// The number of an address the table holds.
  [[nodiscard]] std::optional<std::uint32_t> find(const ip_address& a) const {
    const auto it = number_.find(a);
    if (it == number_.end()) return std::nullopt;
    return it->second;
  }

  /// The addresses numbered, by number.
  [[nodiscard]] const std::vector<ip_address>& addresses() const noexcept { return addresses_; }
  [[nodiscard]] std::size_t size() const noexcept { return addresses_.size(); }
  /// A table numbering `addresses` in their order; throws std::out_of_range, `what` first, when
  /// one is IPv4 (held as itself, never numbered) or listed twice.
  [[nodiscard]] static address_table from(std::vector<ip_address> addresses, const std::string& what) {
    address_table t;
    t.addresses_ = std::move(addresses);
    t.number_.reserve(t.addresses_.size());
    for (std::size_t i = 0; i < t.addresses_.size(); ++i) {
      if (t.addresses_[i].is_v4()) throw std::out_of_range(what + "the table lists an IPv4 address");
      if (!t.number_.try_emplace(t.addresses_[i], static_cast<std::uint32_t>(i)).second)
        throw std::out_of_range(what + "the table lists an address twice");
    }
    return t;
  }

  void clear() noexcept {
    addresses_.clear();
    number_.clear();
  }
  void swap(address_table& o) noexcept {
    addresses_.swap(o.addresses_);
    number_.swap(o.number_);
  }

 private:
  std::vector<ip_address> addresses_;
  boost::unordered_flat_map<ip_address, std::uint32_t, address_hash> number_;
};

/// A list's addresses numbered anew as the entries that keep them are kept, so that a list an
/// eviction thins does not keep every address it ever held:
///
///   renumbering fresh{table};
///   for (kept entries e) if (e is numbered) e.src = fresh(e.src);
///   table = std::move(fresh.table);
struct renumbering {
  const address_table& old;
  address_table table;
  [[nodiscard]] std::uint32_t operator()(std::uint32_t v) {
    bool numbered = true;
    return table.encode(old.address(v, true), numbered);
  }
};

}  // namespace expose::detail
