#pragma once
// The items rules are mined over: the key policy's flows, and the generic items a lattice adds.
// Items counted per window live in `windows`; items with a host variable are counted over
// (host, window) samples and live in `hosts`, with ids following the window items'.

#include <algorithm>
#include <cassert>
#include <cstdint>
#include <iterator>
#include <span>
#include <utility>
#include <vector>

#include "expose/activity.hpp"
#include "expose/error.hpp"
#include "expose/flow_key.hpp"
#include "expose/pattern_list.hpp"

namespace expose {

/// The base flows an item covers, ascending: a view of a generic item's list, or a base item
/// itself, held inline (so the base items, one a flow, need no list of their own). Its iterators
/// point into it for a base item: keep it while they are in use, and take begin and end of the
/// same object. So does a std::span of it, which std::span makes of a temporary too:
/// `std::span s = space.members(i);` dangles for a base item; name the list first.
class member_flows {
 public:
  explicit member_flows(std::span<const std::uint32_t> flows) noexcept : data_(flows.data()), size_(flows.size()) {}
  explicit member_flows(std::uint32_t self) noexcept : self_(self), size_(1) {}

  [[nodiscard]] const std::uint32_t* data() const noexcept { return data_ != nullptr ? data_ : &self_; }
  [[nodiscard]] const std::uint32_t* begin() const noexcept { return data(); }
  [[nodiscard]] const std::uint32_t* end() const noexcept { return data() + size_; }
  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  [[nodiscard]] bool empty() const noexcept { return size_ == 0; }
  [[nodiscard]] std::uint32_t front() const noexcept { return *data(); }
  [[nodiscard]] std::uint32_t operator[](std::size_t i) const noexcept { return data()[i]; }
  /// A span over the flows: valid while this object is.
  [[nodiscard]] operator std::span<const std::uint32_t>() const noexcept { return {data(), size_}; }

 private:
  const std::uint32_t* data_ = nullptr;
  std::uint32_t self_ = 0;
  std::size_t size_ = 0;
};

/// The host-variable items a lattice makes of the flows, apart from the window items: their
/// patterns (closures), flows, activity over (host, window) samples, and where each window's
/// samples lie. A driver may build them apart (on another core, or another rank:
/// expose/mpi/mine.hpp); item_space::add_hosts places them after the window items.
struct host_items {
  std::vector<flow_pattern> closures;
  std::vector<std::vector<std::uint32_t>> members;  ///< per item, its flows, ascending
  activity hosts;                                  ///< item_space::hosts
  std::vector<std::size_t> window_start;           ///< item_space::host_window_start
};

/// The windows one of several parts makes the host items' rows of (SplitLattice::make_host_items
/// in parts): positions [first, last) of the flows' activity.
struct window_part {
  std::size_t first = 0;
  std::size_t last = SIZE_MAX;
  [[nodiscard]] bool whole() const noexcept { return first == 0 && last == SIZE_MAX; }
};

/// The host items made in parts (lattice::templates::make_host_items with a window_part), joined:
/// `parts` in window order, each its items' rows (held by item, numbered from 0 in its windows)
/// and its window_start over every window; the rows of later parts follow earlier ones'. The items
/// (closures, members) and samples are the first part's: the others may leave their closures and
/// members out. bad_argument for parts of different items or windows.
[[nodiscard]] inline host_items join_host_parts(std::vector<host_items> parts) {
  if (parts.empty()) return {};
  const host_items& first = parts.front();
  const std::size_t items = first.hosts.item_start.empty() ? 0 : first.hosts.item_start.size() - 1;
  for (const auto& p : parts)
    if (p.hosts.item_start.size() != first.hosts.item_start.size() || p.window_start.size() != first.window_start.size())
      throw bad_argument("join_host_parts: the parts hold different items or windows");
  if (parts.size() == 1 || items == 0) return std::move(parts.front());
  std::vector<entry_index> start(items + 1, 0);
  for (std::size_t k = 0; k < items; ++k) {
    std::size_t n = start[k];
    for (const auto& p : parts) n += p.hosts.item_start[k + 1] - p.hosts.item_start[k];
    check_activity_entries(n);
    start[k + 1] = static_cast<entry_index>(n);
  }
  std::vector<std::uint32_t> rows(start.back());
  std::vector<std::size_t> window_start(first.window_start.size(), 0);
  std::size_t offset = 0;  // the rows of the parts before
  // item by item, each part's rows after the earlier parts', numbered past their rows
  std::vector<entry_index> filled(start.begin(), start.end() - 1);
  for (auto& p : parts) {
    for (std::size_t k = 0; k < items; ++k)
      for (auto r = p.hosts.item_start[k]; r < p.hosts.item_start[k + 1]; ++r)
        rows[filled[k]++] = static_cast<std::uint32_t>(p.hosts.item_windows[r] + offset);
    std::vector<std::uint32_t>().swap(p.hosts.item_windows);  // placed: freed, not held beside the whole
    for (std::size_t w = 0; w < window_start.size(); ++w) window_start[w] += p.window_start[w];
    offset += p.window_start.empty() ? 0 : p.window_start.back();
  }
  host_items out;
  out.closures = std::move(parts.front().closures);
  out.members = std::move(parts.front().members);
  out.hosts.samples = parts.front().hosts.samples;
  out.hosts.item_start = std::move(start);
  out.hosts.item_windows = std::move(rows);
  out.window_start = std::move(window_start);
  return out;
}

struct item_space {
  pattern_list items;               ///< every item: window items first, then host-variable items
  std::size_t base = 0;             ///< items [0, base) are the key policy's flows (set it with set_base)
  /// Per generic item (item base + g at g), the base flows it covers (ascending). A base item
  /// covers itself: members() answers for every item.
  std::vector<std::vector<std::uint32_t>> generic_members;
  activity windows;                 ///< samples are windows; columns [0, windows.items())
  activity hosts;                   ///< samples are (host, window) pairs; column j is item windows.items() + j; held by item
  /// Which rows of `hosts` are each window's: the samples of window position w (in `windows`) are
  /// rows [host_window_start[w], host_window_start[w + 1]) (`hosts.windows` is left empty: a row's
  /// window is read here, 8 bytes a window where a sample number took 8 a row); empty when there are no
  /// host items.
  std::vector<std::size_t> host_window_start;

  [[nodiscard]] std::size_t window_items() const noexcept { return windows.items(); }
  [[nodiscard]] bool is_generic(std::uint32_t item) const noexcept { return item >= base; }

  /// The base flows an item covers, ascending: a base item, itself.
  [[nodiscard]] member_flows members(std::uint32_t item) const noexcept {
    if (item < base) return member_flows{item};
    assert(item - base < generic_members.size() && "item_space: no such item");
    return member_flows{std::span<const std::uint32_t>{generic_members[item - base]}};
  }
  /// Sets the base items, [0, n): each covers itself.
  void set_base(std::size_t n) { base = n; }

  /// Appends the host-variable items after every window item (items, generic_members, hosts).
  void add_hosts(host_items h) {
    items.append(h.closures.begin(), h.closures.end());
    generic_members.reserve(generic_members.size() + h.members.size());
    std::move(h.members.begin(), h.members.end(), std::back_inserter(generic_members));
    hosts = std::move(h.hosts);
    host_window_start = std::move(h.window_start);
  }

  /// True when two items cover a common flow (a rule between them would be trivial).
  [[nodiscard]] bool overlap(std::uint32_t x, std::uint32_t y) const {
    const member_flows a = members(x);
    const member_flows b = members(y);
    for (std::size_t i = 0, j = 0; i < a.size() && j < b.size();) {
      if (a[i] < b[j]) ++i;
      else if (b[j] < a[i]) ++j;
      else return true;
    }
    return false;
  }
  /// True when every flow of `inner` is a flow of `outer`.
  [[nodiscard]] bool covers(std::uint32_t outer, std::uint32_t inner) const {
    const member_flows o = members(outer);
    const member_flows i = members(inner);
    return std::includes(o.begin(), o.end(), i.begin(), i.end());
  }

  /// The host-variable items `h` over the flows they were made of (`patterns`, their activity `a`)
  /// and no window items: the host items keep their columns (ids from patterns.size(), as
  /// window_items() gives), and what reads only them and the flows reads it as the whole space
  /// (host_rule_delays, where the host items were built apart).
  static item_space of_hosts(pattern_list patterns, activity a, host_items h) {
    item_space s = plain(std::move(patterns), std::move(a));
    s.add_hosts(std::move(h));
    return s;
  }

  /// The plain space: one item per base flow, counted per window.
  static item_space plain(pattern_list patterns, activity a) {
    item_space s;
    s.set_base(patterns.size());
    s.items = std::move(patterns);
    s.windows = std::move(a);
    return s;
  }
};

}  // namespace expose
