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
#include <cstdint>
#include <iterator>
#include <vector>

#include "expose/address.hpp"
#include "expose/detail/address_table.hpp"
#include "expose/detail/index_iterator.hpp"
#include "expose/detail/growable.hpp"
#include "expose/flow_key.hpp"
#include "expose/pattern_list.hpp"

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
    const entry& e = entries_[i];
    return {v6_.address(e.src, (e.table & 1U) != 0), v6_.address(e.dst, (e.table & 2U) != 0), e.sport, e.dport, e.proto};
  }
  [[nodiscard]] flow_key back() const noexcept { return (*this)[size() - 1]; }
  [[nodiscard]] const_iterator begin() const noexcept { return {this, 0}; }
  [[nodiscard]] const_iterator end() const noexcept { return {this, size()}; }

  void push_back(const flow_key& k) {
    entry e;
    bool src_table = false, dst_table = false;
    e.src = v6_.encode(k.src, src_table);
    e.dst = v6_.encode(k.dst, dst_table);
    e.sport = k.sport;
    e.dport = k.dport;
    e.proto = k.proto;
    e.table = static_cast<std::uint8_t>((src_table ? 1U : 0U) | (dst_table ? 2U : 0U));
    entries_.push_back(e);
  }

  /// Keeps the keys `keep[i] != 0` says, in their order, and the IPv6 addresses they still name
  /// (the table numbered anew, so that a table an eviction thins does not keep every address it
  /// ever held); gives back the room beyond them.
  void retain(const std::vector<char>& keep) {
    detail::renumbering renumber{v6_, {}};
    std::size_t out = 0;
    for (std::size_t i = 0; i < entries_.size(); ++i) {
      if (keep[i] == 0) continue;
      entry e = entries_[i];
      if ((e.table & 1U) != 0) e.src = renumber(e.src);
      if ((e.table & 2U) != 0) e.dst = renumber(e.dst);
      entries_[out++] = e;
    }
    entries_.resize(out);
    entries_.shrink_to_fit();
    v6_.swap(renumber.table);
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
  using entry = pattern_list::packed;
  static_assert(sizeof(entry) == bytes_per_flow);

  detail::growable<entry> entries_;
  detail::address_table v6_;  // the IPv6 addresses, by number
};

static_assert(std::random_access_iterator<flow_list::const_iterator>);

}  // namespace expose
