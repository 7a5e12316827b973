#pragma once
// A list of flow patterns held in 16 bytes each where a flow_pattern takes 44: IPv4 addresses
// inline, IPv6 ones (and `::`) numbered once in a table beside. The items of a run (one a flow,
// a million on six hours of a campus link) live here from the ingest to the outputs.
//
//   pattern_list items;
//   items.push_back(exact(key));
//   flow_pattern p = items[0];    // made again on each access: a value, not a reference
//   items.set(0, p);              // changed only through set

#include <array>
#include <cassert>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <span>
#include <iterator>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "expose/address.hpp"
#include "expose/detail/address_table.hpp"
#include "expose/detail/index_iterator.hpp"
#include "expose/detail/packed_key.hpp"
#include "expose/flow_key.hpp"

namespace expose {

class pattern_list {
 public:
  using value_type = flow_pattern;
  using size_type = std::size_t;

  /// A random-access iterator whose reference is the pattern itself (a const value).
  using const_iterator = detail::index_iterator<pattern_list, flow_pattern>;
  using iterator = const_iterator;

  pattern_list() = default;
  pattern_list(std::initializer_list<flow_pattern> patterns) { append(patterns.begin(), patterns.end()); }
  /// From a vector of patterns (implicit: a function taking a pattern_list takes one too, packing
  /// the whole vector on each call: convert once where a list is read many times).
  pattern_list(const std::vector<flow_pattern>& patterns) {  // NOLINT(google-explicit-constructor)
    append(patterns.begin(), patterns.end());
  }

  [[nodiscard]] std::size_t size() const noexcept { return entries_.size(); }
  [[nodiscard]] bool empty() const noexcept { return entries_.empty(); }
  [[nodiscard]] std::size_t capacity() const noexcept { return entries_.capacity(); }
  void reserve(std::size_t n) { entries_.reserve(n); }
  void clear() noexcept {
    entries_.clear();
    v6_.clear();
  }
  /// Keeps the first n patterns, or adds default ones (every field kept, zero) up to n; the
  /// IPv6 table keeps what it holds.
  void resize(std::size_t n) {
    if (n <= size()) entries_.resize(n);
    else entries_.resize(n, pack(flow_pattern{}));
  }
  void swap(pattern_list& o) noexcept {
    entries_.swap(o.entries_);
    v6_.swap(o.v6_);
  }

  /// Pattern i, made again from its 16 bytes: a const value, so that a write meant for the list
  /// (`items[i].key.src = a`) does not compile (use set).
  [[nodiscard]] const flow_pattern operator[](std::size_t i) const noexcept {
    assert(i < size() && "pattern_list: no such pattern");
    const packed& e = entries_[i];
    flow_pattern p;
    p.key = detail::unpack(e, v6_);
    for (std::size_t f = 0; f < field_count; ++f) p.slots[f] = static_cast<slot>((e.slots >> (2 * f)) & 3U);
    return p;
  }
  /// Asks the cache for pattern i ahead of its use (a pattern lies in one cache line).
  void prefetch(std::size_t i) const noexcept { __builtin_prefetch(entries_.data() + i); }
  [[nodiscard]] const flow_pattern front() const noexcept { return (*this)[0]; }
  [[nodiscard]] const flow_pattern back() const noexcept { return (*this)[size() - 1]; }
  [[nodiscard]] const_iterator begin() const noexcept { return {this, 0}; }
  [[nodiscard]] const_iterator end() const noexcept { return {this, size()}; }

  void push_back(const flow_pattern& p) { entries_.push_back(pack(p)); }
  /// Replaces pattern i.
  void set(std::size_t i, const flow_pattern& p) {
    assert(i < size() && "pattern_list::set: no such pattern");
    entries_[i] = pack(p);
  }
  template <class It>
  void append(It first, It last) {
    if constexpr (std::forward_iterator<It>) entries_.reserve(entries_.size() + static_cast<std::size_t>(std::distance(first, last)));
    for (; first != last; ++first) push_back(*first);
  }

  /// Equal when they list equal patterns in the same order.
  [[nodiscard]] friend bool operator==(const pattern_list& a, const pattern_list& b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
      if (a[i] != b[i]) return false;
    return true;
  }

  /// The bytes a pattern takes here.
  static constexpr std::size_t bytes_per_pattern = 16;

  /// One pattern as held (for a driver that sends the list as it is: expose/mpi/mine.hpp): the
  /// key packed as detail/packed_key.hpp says, the slots two bits a field, field f at bit 2f.
  using packed = detail::packed_key;
  static_assert(sizeof(packed) == bytes_per_pattern);

  /// A hash of a packed pattern (avalanching: Boost's flat containers use it as it is).
  struct packed_hash {
    using is_avalanching = void;
    [[nodiscard]] std::size_t operator()(const packed& e) const noexcept {
      std::uint64_t w[2];
      std::memcpy(w, &e, sizeof w);
      return static_cast<std::size_t>(flow_key_hash::mix(w[0] ^ flow_key_hash::mix(w[1] + 0x9e3779b97f4a7c15ULL)));
    }
  };

  /// What masked() does to a pattern for one mask, worked out once: the bits it keeps, the ones
  /// it sets.
  struct masking {
    std::uint64_t keep[2];
    std::uint64_t add[2];
  };
  /// The masking that sets each field `m` does not keep to m's slot with its value zeroed (an
  /// address to `::`, as this list numbers it: valid while nothing is added to the list).
  [[nodiscard]] masking masking_of(const std::array<slot, field_count>& m) const noexcept {
    // `::` as held here; where the list has none, a number no address has (masked patterns are
    // compared, never read)
    const std::uint32_t zero = v6_.find(ip_address{}).value_or(0xffffffffU);
    packed keep{0xffffffffU, 0xffffffffU, 0xffff, 0xffff, 0xff, 0xff, 0xffff};
    packed add{};
    for (std::size_t i = 0; i < field_count; ++i) {
      if (m[i] == slot::kept) continue;
      switch (static_cast<field>(i)) {
        case field::src_ip: keep.src = 0; add.src = zero; add.table |= 1U; break;
        case field::dst_ip: keep.dst = 0; add.dst = zero; add.table |= 2U; break;
        case field::src_port: keep.sport = 0; break;
        case field::dst_port: keep.dport = 0; break;
        case field::proto: keep.proto = 0; break;
      }
      keep.slots = static_cast<std::uint16_t>(keep.slots & ~(3U << (2 * i)));
      add.slots = static_cast<std::uint16_t>(add.slots | (static_cast<unsigned>(m[i]) << (2 * i)));
    }
    masking out;
    std::memcpy(out.keep, &keep, sizeof keep);
    std::memcpy(out.add, &add, sizeof add);
    return out;
  }
  /// Pattern i as held, with each field the masking's mask does not keep set to the mask's slot
  /// and its value zeroed: what lattice::apply does to the pattern itself, bit for bit as push_back
  /// would hold the result. Two such of one list are equal exactly when the patterns made of them
  /// are, so many patterns are grouped by a template without being made whole
  /// (lattice/templates.hpp). Packed patterns mean something within their list only.
  [[nodiscard]] packed masked(std::size_t i, const masking& m) const noexcept {
    std::uint64_t w[2];
    std::memcpy(w, entries_.data() + i, sizeof w);
    w[0] = (w[0] & m.keep[0]) | m.add[0];
    w[1] = (w[1] & m.keep[1]) | m.add[1];
    packed e;
    std::memcpy(&e, w, sizeof e);
    return e;
  }
  /// Per field, whether any of the patterns `ids` (not empty) differs from the first of them there,
  /// in value or in slot: read as held, 16 bytes a pattern, without making any whole (the most
  /// specific pattern covering them has `*` in the fields the first keeps and some pattern changes:
  /// lattice/templates.hpp's closures). The patterns lie anywhere in the list (tens of MB on a long
  /// trace), so each is fetched some patterns ahead of its turn and the cache misses overlap.
  [[nodiscard]] std::array<bool, field_count> differing(std::span<const std::uint32_t> ids) const noexcept {
    assert(!ids.empty() && "pattern_list::differing: no pattern");
    constexpr std::size_t ahead = 16;
    const packed first = entries_[ids.front()];
    std::uint32_t src = 0, dst = 0;
    unsigned sport = 0, dport = 0, proto = 0, table = 0, slot_bits = 0;
    for (std::size_t k = 1; k < ids.size(); ++k) {
      if (k + ahead < ids.size()) prefetch(ids[k + ahead]);
      const packed& e = entries_[ids[k]];
      src |= e.src ^ first.src;
      dst |= e.dst ^ first.dst;
      sport |= static_cast<unsigned>(e.sport ^ first.sport);
      dport |= static_cast<unsigned>(e.dport ^ first.dport);
      proto |= static_cast<unsigned>(e.proto ^ first.proto);
      table |= static_cast<unsigned>(e.table ^ first.table);
      slot_bits |= static_cast<unsigned>(e.slots ^ first.slots);
    }
    const auto slot_differs = [&](field f) { return ((slot_bits >> (2 * static_cast<unsigned>(f))) & 3U) != 0; };
    std::array<bool, field_count> out{};
    // an address differs in its 32 bits or in whether they number an IPv6 address
    out[static_cast<std::size_t>(field::src_ip)] = src != 0 || (table & 1U) != 0 || slot_differs(field::src_ip);
    out[static_cast<std::size_t>(field::dst_ip)] = dst != 0 || (table & 2U) != 0 || slot_differs(field::dst_ip);
    out[static_cast<std::size_t>(field::src_port)] = sport != 0 || slot_differs(field::src_port);
    out[static_cast<std::size_t>(field::dst_port)] = dport != 0 || slot_differs(field::dst_port);
    out[static_cast<std::size_t>(field::proto)] = proto != 0 || slot_differs(field::proto);
    return out;
  }
  /// The slots of pattern i.
  [[nodiscard]] std::array<slot, field_count> slots(std::size_t i) const noexcept {
    std::array<slot, field_count> out{};
    for (std::size_t f = 0; f < field_count; ++f) out[f] = static_cast<slot>((entries_[i].slots >> (2 * f)) & 3U);
    return out;
  }
  /// One field's slot of pattern i.
  [[nodiscard]] slot at(std::size_t i, field f) const noexcept {
    return static_cast<slot>((entries_[i].slots >> (2 * static_cast<unsigned>(f))) & 3U);
  }
  /// One address of pattern i (f: src_ip or dst_ip), made without the rest.
  [[nodiscard]] ip_address address(std::size_t i, field f) const noexcept {
    assert((f == field::src_ip || f == field::dst_ip) && "pattern_list::address: not an address field");
    const packed& e = entries_[i];
    return f == field::src_ip ? detail::source_of(e, v6_) : detail::destination_of(e, v6_);
  }

  /// A number for one address of pattern i (f: src_ip or dst_ip), equal for two addresses of this
  /// list exactly when they are equal: its 32 bits as held (an IPv4 address, or the number of an
  /// IPv6 one in the table) and, above them, whether they are such a number. Hosts are told apart
  /// by it without making addresses whole (16 bytes each, hashed) a million times.
  [[nodiscard]] std::uint64_t address_key(std::size_t i, field f) const noexcept {
    assert((f == field::src_ip || f == field::dst_ip) && "pattern_list::address_key: not an address field");
    const packed& e = entries_[i];
    const bool src = f == field::src_ip;
    const std::uint64_t numbered = (e.table & (src ? 1U : 2U)) != 0 ? 1 : 0;
    return numbered << 32 | (src ? e.src : e.dst);
  }

  /// The patterns as held, and the IPv6 addresses they number: what from_parts takes back.
  [[nodiscard]] const std::vector<packed>& packed_patterns() const noexcept { return entries_; }
  [[nodiscard]] const std::vector<ip_address>& v6_addresses() const noexcept { return v6_.addresses(); }
  /// A list from another's packed_patterns() and v6_addresses(); throws std::out_of_range when
  /// they are not what a list holds (a pattern numbers an address the table does not hold, a bit
  /// no pattern sets, a slot that is none; the table lists an IPv4 address or one twice).
  [[nodiscard]] static pattern_list from_parts(std::vector<packed> patterns, std::vector<ip_address> v6) {
    const auto bad = [](const char* what) { return std::out_of_range(std::string("pattern_list::from_parts: ") + what); };
    for (const packed& e : patterns) {
      if (((e.table & 1U) != 0 && e.src >= v6.size()) || ((e.table & 2U) != 0 && e.dst >= v6.size()))
        throw bad("a pattern numbers an IPv6 address the table does not hold");
      if ((e.table & ~3U) != 0 || (e.slots >> (2 * field_count)) != 0) throw bad("a pattern sets a bit no pattern sets");
      for (std::size_t f = 0; f < field_count; ++f)
        if (((e.slots >> (2 * f)) & 3U) > static_cast<unsigned>(slot::var)) throw bad("a pattern holds a slot that is none");
    }
    pattern_list l;
    l.entries_ = std::move(patterns);
    l.v6_ = detail::address_table::from(std::move(v6), "pattern_list::from_parts: ");
    return l;
  }

  /// Keeps the patterns `keep(i)` is true of, in their order, and the IPv6 addresses they still
  /// number (the table numbered anew): so a list an eviction thins does not keep every address
  /// it ever held.
  template <class Keep>
  void retain(const Keep& keep) {
    detail::retain_packed(entries_, v6_, keep);
  }

 private:

  packed pack(const flow_pattern& p) {
    packed e = detail::pack(p.key, v6_);
    for (std::size_t f = 0; f < field_count; ++f) e.slots = static_cast<std::uint16_t>(e.slots | (static_cast<unsigned>(p.slots[f]) << (2 * f)));
    return e;
  }

  static_assert(64 % sizeof(packed) == 0, "pattern_list: a pattern must not straddle two cache lines");
  std::vector<packed> entries_;
  detail::address_table v6_;  // the IPv6 addresses (and `::`), by number
};

static_assert(std::random_access_iterator<pattern_list::const_iterator>);

}  // namespace expose
