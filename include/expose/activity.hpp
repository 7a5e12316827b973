#pragma once
// The activity matrix: which items are active in which windows, sparse and held both ways.

#include <algorithm>
#include <cstdint>
#include <limits>
#include <span>
#include <utility>
#include <vector>

namespace expose {

/// A sparse binary matrix, windows x items, in two compressed sorted forms (window -> items and
/// item -> windows). Only windows with activity are stored; `samples` is N, every window the trace
/// spans, empty ones included.
struct activity {
  std::uint64_t samples = 0;
  std::vector<std::int64_t> windows;        ///< absolute index of each non-empty window, ascending
  std::vector<std::size_t> window_start;    ///< items of window i: window_items[window_start[i], window_start[i+1])
  std::vector<std::uint32_t> window_items;  ///< ascending within a window
  std::vector<std::size_t> item_start;      ///< windows of item x: item_windows[item_start[x], item_start[x+1])
  std::vector<std::uint32_t> item_windows;  ///< positions in `windows`, ascending

  [[nodiscard]] std::size_t items() const noexcept { return item_start.empty() ? 0 : item_start.size() - 1; }
  [[nodiscard]] std::size_t entries() const noexcept { return window_items.size(); }
  [[nodiscard]] std::uint64_t count(std::uint32_t item) const noexcept {
    return item_start[item + 1] - item_start[item];
  }
  [[nodiscard]] std::span<const std::uint32_t> windows_of(std::uint32_t item) const noexcept {
    return {item_windows.data() + item_start[item], item_windows.data() + item_start[item + 1]};
  }
  [[nodiscard]] std::span<const std::uint32_t> items_in(std::size_t window_pos) const noexcept {
    return {window_items.data() + window_start[window_pos], window_items.data() + window_start[window_pos + 1]};
  }

  /// Builds both forms from (window, item) entries sorted by window then item, without duplicates.
  static activity from_sorted(const std::vector<std::pair<std::int64_t, std::uint32_t>>& entries,
                              std::size_t n_items, std::uint64_t samples) {
    activity a;
    a.samples = samples;
    a.window_items.reserve(entries.size());
    a.window_start.push_back(0);
    for (std::size_t i = 0; i < entries.size(); ++i) {
      if (i == 0 || entries[i].first != entries[i - 1].first) {
        if (i != 0) a.window_start.push_back(i);
        a.windows.push_back(entries[i].first);
      }
      a.window_items.push_back(entries[i].second);
    }
    if (!entries.empty()) a.window_start.push_back(entries.size());
    a.item_start.assign(n_items + 1, 0);
    for (auto item : a.window_items) ++a.item_start[item + 1];
    for (std::size_t x = 0; x < n_items; ++x) a.item_start[x + 1] += a.item_start[x];
    a.item_windows.resize(entries.size());
    std::vector<std::size_t> fill(a.item_start.begin(), a.item_start.end() - 1);
    for (std::size_t w = 0; w < a.windows.size(); ++w)
      for (auto item : a.items_in(w)) a.item_windows[fill[item]++] = static_cast<std::uint32_t>(w);
    return a;
  }
};

/// The activity "within k windows after": an item is active in window w when it is active in any
/// of w, w+1, ..., w+k of `a` (never before `a`'s first window). Samples stay N.
[[nodiscard]] inline activity dilate_back(const activity& a, std::int64_t k) {
  std::vector<std::pair<std::int64_t, std::uint32_t>> entries;
  entries.reserve(a.entries() * static_cast<std::size_t>(k + 1));
  const std::int64_t first = a.windows.empty() ? 0 : a.windows.front();
  for (std::size_t w = 0; w < a.windows.size(); ++w)
    for (auto item : a.items_in(w))
      for (std::int64_t d = 0; d <= k && a.windows[w] - d >= first; ++d) entries.emplace_back(a.windows[w] - d, item);
  std::sort(entries.begin(), entries.end());
  entries.erase(std::unique(entries.begin(), entries.end()), entries.end());
  return activity::from_sorted(entries, a.items(), a.samples);
}

/// Collects (window, item) activity as packets stream in, one entry per item per window.
/// Memory is one entry per active (window, item) pair and one word per item.
class activity_builder {
 public:
  void add(std::int64_t window, std::uint32_t item) {
    if (item >= last_.size()) last_.resize(std::max<std::size_t>(item + 1, last_.size() * 2), none);
    std::int64_t& last = last_[item];
    if (last == window) return;
    if (window < last) in_order_ = false;  // an out-of-order timestamp: sort and dedupe at the end
    if (!entries_.empty() && window < entries_.back().first) in_order_ = false;
    last = window;
    entries_.emplace_back(window, item);
    lo_ = std::min(lo_, window);
    hi_ = std::max(hi_, window);
  }
  /// Extends the span to a window that saw packets but no item (so N counts it).
  void touch(std::int64_t window) {
    lo_ = std::min(lo_, window);
    hi_ = std::max(hi_, window);
  }

  [[nodiscard]] std::size_t entries() const noexcept { return entries_.size(); }
  /// The last window an item was added in (the least int64 if never).
  [[nodiscard]] std::int64_t last_window(std::uint32_t item) const noexcept {
    return item < last_.size() ? last_[item] : none;
  }
  /// Windows each of `n_items` items is active in so far (one pass over the entries).
  [[nodiscard]] std::vector<std::uint32_t> counts(std::size_t n_items) const {
    std::vector<std::uint32_t> c(n_items, 0);
    for (const auto& e : entries_) ++c[e.second];
    return c;
  }
  /// Renames items (`renamed[old]`), dropping the entries of items renamed to UINT32_MAX.
  void retain(const std::vector<std::uint32_t>& renamed) {
    std::size_t out = 0;
    for (const auto& e : entries_)
      if (const auto id = renamed[e.second]; id != UINT32_MAX) entries_[out++] = {e.first, id};
    entries_.resize(out);
    std::vector<std::int64_t> last;
    for (std::size_t old = 0; old < renamed.size(); ++old)
      if (renamed[old] != UINT32_MAX) {
        if (renamed[old] >= last.size()) last.resize(renamed[old] + 1, none);
        last[renamed[old]] = old < last_.size() ? last_[old] : none;
      }
    last_ = std::move(last);
  }

  /// The matrix over `n_items` items; N spans the first to the last window seen.
  [[nodiscard]] activity finish(std::size_t n_items) && {
    if (in_order_) {
      // grouped by window already: sort the items inside each window
      for (std::size_t i = 0; i < entries_.size();) {
        std::size_t j = i;
        while (j < entries_.size() && entries_[j].first == entries_[i].first) ++j;
        std::sort(entries_.begin() + static_cast<std::ptrdiff_t>(i), entries_.begin() + static_cast<std::ptrdiff_t>(j));
        i = j;
      }
    } else {
      std::sort(entries_.begin(), entries_.end());
      entries_.erase(std::unique(entries_.begin(), entries_.end()), entries_.end());
    }
    const std::uint64_t samples = hi_ < lo_ ? 0 : static_cast<std::uint64_t>(hi_ - lo_) + 1;
    auto a = activity::from_sorted(entries_, n_items, samples);
    entries_ = {};
    last_ = {};
    return a;
  }

 private:
  static constexpr std::int64_t none = std::numeric_limits<std::int64_t>::min();
  std::vector<std::pair<std::int64_t, std::uint32_t>> entries_;
  std::vector<std::int64_t> last_;
  std::int64_t lo_ = std::numeric_limits<std::int64_t>::max();
  std::int64_t hi_ = std::numeric_limits<std::int64_t>::min();
  bool in_order_ = true;
};

}  // namespace expose
