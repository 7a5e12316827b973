#pragma once
// A list of flow keys at 16 bytes a flow, for the flow table (the largest list while a trace is
// read): an IPv4 address is held inline, an IPv6 address numbered once in a table beside.
//
//   flow_list flows;
//   flows.push_back(key);
//   const flow_key k = flows[0];  // made again from its 16 bytes: a value
//
// A flow_key is 40 bytes (two 16-byte addresses): on a trace of a million flows the list takes
// 17 MB instead of 43, and a SYN flood's three million one-packet flows 48 MB instead of 120. The
// list grows with realloc (detail/growable.hpp), never held twice while it grows.

#include <cassert>
#include <cstddef>
#include <iterator>
#include <vector>

#include "expose/address.hpp"
#include "expose/detail/address_table.hpp"
#include "expose/detail/growable.hpp"
#include "expose/detail/index_iterator.hpp"
#include "expose/detail/packed_key.hpp"
#include "expose/flow_key.hpp"

namespace expose {

class flow_list {
 public:
  using value_type = flow_key;

  /// A random-access iterator whose reference is the key itself (a const value).
  using const_iterator = detail::index_iterator<flow_list, flow_key>;

  flow_list() = default;
  flow_list(flow_list&&) noexcept = default;
  flow_list& operator=(flow_list&&) noexcept = default;
  flow_list(const flow_list&) = delete;
  flow_list& operator=(const flow_list&) = delete;

  [[nodiscard]] std::size_t size() const noexcept { return entries_.size(); }
  [[nodiscard]] bool empty() const noexcept { return entries_.empty(); }
  [[nodiscard]] std::size_t capacity() const noexcept { return entries_.capacity(); }
  void reserve(std::size_t n) { entries_.reserve(n); }

  /// Key i, made again from its 16 bytes.
  [[nodiscard]] flow_key operator[](std::size_t i) const noexcept {
    assert(i < size() && "flow_list: no such flow");
    return detail::unpack(entries_[i], v6_);
  }
  [[nodiscard]] flow_key back() const noexcept { return (*this)[size() - 1]; }
  [[nodiscard]] const_iterator begin() const noexcept { return {this, 0}; }
  [[nodiscard]] const_iterator end() const noexcept { return {this, size()}; }

  void push_back(const flow_key& k) { entries_.push_back(detail::pack(k, v6_)); }

  /// Keeps the keys `keep[i] != 0` says, in their order, and the IPv6 addresses they still name
  /// (the table numbered anew, so that a table an eviction thins does not keep every address it
  /// ever held); gives back the room beyond them.
  void retain(const std::vector<char>& keep) {
    detail::retain_packed(entries_, v6_, [&keep](std::size_t i) { return keep[i] != 0; });
    entries_.shrink_to_fit();
  }
  void clear() noexcept {
    entries_.clear();
    v6_.clear();
  }

  /// The IPv6 addresses (and `::`) the table beside numbers.
  [[nodiscard]] std::size_t addresses_numbered() const noexcept { return v6_.size(); }

  /// The bytes a flow takes here (and the IPv6 table's share, where there are IPv6 flows).
  static constexpr std::size_t bytes_per_flow = 16;

 private:
  // A flow as pattern_list holds a pattern with every field kept (slots 0).
  static_assert(sizeof(detail::packed_key) == bytes_per_flow);

  detail::growable<detail::packed_key> entries_;
  detail::address_table v6_;  // the IPv6 addresses, by number
};

static_assert(std::random_access_iterator<flow_list::const_iterator>);

}  // namespace expose
