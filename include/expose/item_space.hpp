#pragma once
// The items rules are mined over: the key policy's flows, and the generic items a lattice adds.
// Items counted per window live in `windows`; items with a host variable are counted over
// (host, window) samples and live in `hosts`, with ids following the window items'.

#include <algorithm>
#include <cstdint>
#include <vector>

#include "expose/activity.hpp"
#include "expose/flow_key.hpp"

namespace expose {

struct item_space {
  std::vector<flow_pattern> items;                  ///< every item: window items first, then host-variable items
  std::vector<std::vector<std::uint32_t>> members;  ///< per item, the base flows it covers (ascending)
  std::size_t base = 0;                             ///< items [0, base) are the key policy's flows
  activity windows;                                 ///< samples are windows; columns [0, windows.items())
  activity hosts;                                   ///< samples are (host, window) pairs; column j is item windows.items() + j
  /// Where the host samples of each window lie: those of window position w (in `windows`) are
  /// [host_window_start[w], host_window_start[w + 1]); empty when there are no host items.
  std::vector<std::size_t> host_window_start;

  [[nodiscard]] std::size_t window_items() const noexcept { return windows.items(); }
  [[nodiscard]] bool is_generic(std::uint32_t item) const noexcept { return item >= base; }

  /// True when two items cover a common flow (a rule between them would be trivial).
  [[nodiscard]] bool overlap(std::uint32_t x, std::uint32_t y) const {
    const auto& a = members[x];
    const auto& b = members[y];
    for (std::size_t i = 0, j = 0; i < a.size() && j < b.size();) {
      if (a[i] < b[j]) ++i;
      else if (b[j] < a[i]) ++j;
      else return true;
    }
    return false;
  }
  /// True when every flow of `inner` is a flow of `outer`.
  [[nodiscard]] bool covers(std::uint32_t outer, std::uint32_t inner) const {
    return std::includes(members[outer].begin(), members[outer].end(), members[inner].begin(), members[inner].end());
  }

  /// The plain space: one item per base flow, counted per window.
  static item_space plain(std::vector<flow_pattern> patterns, activity a) {
    item_space s;
    s.base = patterns.size();
    s.members.resize(patterns.size());
    for (std::uint32_t i = 0; i < patterns.size(); ++i) s.members[i] = {i};
    s.items = std::move(patterns);
    s.windows = std::move(a);
    return s;
  }
};

}  // namespace expose
