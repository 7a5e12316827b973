#pragma once
// The activity matrix: which items are active in which windows, sparse, held by window and by item (or by item alone).

#include <algorithm>
#include <cassert>
#include <cstdint>
#include <limits>
#include <span>
#include <utility>
#include <vector>

#include <string>

#include "expose/detail/growable.hpp"
#include "expose/detail/release.hpp"
#include "expose/error.hpp"

namespace expose {

/// When, inside its window, an item first sent a packet: in 65536ths of the window (15 µs in a
/// window of 1 s), 2 bytes an activity entry.
using window_offset = std::uint16_t;

/// Offsets in one window: the unit of window_offset is a window's width over this.
inline constexpr std::int64_t offsets_per_window = std::int64_t{1} << 16;

/// The offset of a packet at `ts_ns` inside window `window` of `width_ns` (windows start at
/// multiples of the width, as windows::tumbling cuts them).
[[nodiscard]] inline window_offset offset_in_window(std::int64_t ts_ns, std::int64_t window, std::int64_t width_ns) noexcept {
  if (width_ns <= 0) return 0;
  const std::int64_t into = ts_ns - window * width_ns;
  if (into <= 0) return 0;
  if (into >= width_ns) return std::numeric_limits<window_offset>::max();
  return static_cast<window_offset>(static_cast<unsigned __int128>(into) * offsets_per_window / static_cast<unsigned __int128>(width_ns));
}

/// A position in an activity matrix's entries (the starts of its rows and columns): 4 bytes where
/// a std::size_t takes 8 (9 MB less on a 6-hour trace of a million flows), so a matrix holds at
/// most max_activity_entries entries (43 GB of them at 10 bytes an entry).
using entry_index = std::uint32_t;
inline constexpr std::size_t max_activity_entries = std::numeric_limits<entry_index>::max();

/// Throws when a matrix of `n` entries cannot be held, saying what to do.
inline void check_activity_entries(std::size_t n) {
  if (n > max_activity_entries)
    throw error("activity: " + std::to_string(n) + " (item, window) entries, more than the " + std::to_string(max_activity_entries) +
                " one matrix holds; use wider windows (--window), a lower --max-memory or --max-flows, or cut the trace in parts");
}

/// One activity entry: an item active in a window, and when in it it was first active.
struct timed_entry {
  std::int64_t window = 0;
  std::uint32_t item = 0;
  window_offset offset = 0;
  friend auto operator<=>(const timed_entry&, const timed_entry&) = default;
};

/// A sparse binary matrix, windows x items, in two compressed sorted forms (window -> items and
/// item -> windows). Only windows with activity are stored; `samples` is N, every window the trace
/// spans, empty ones included. The window -> items form may be dropped where nothing reads it
/// any more (drop_window_major: the window items' matrix after generalization, which the counting
/// engine reads by item), or never made (the host items' matrix): items_in then has nothing to
/// say, and windows_of everything.
struct activity {
  std::uint64_t samples = 0;
  /// Absolute index of each non-empty window, ascending; empty in a matrix whose rows are other
  /// samples, found elsewhere (the host items' (host, window) samples: item_space::host_window_start
  /// says which rows are each window's). rows() counts the rows either way.
  std::vector<std::int64_t> windows;
  std::vector<entry_index> window_start;    ///< items of window i: window_items[window_start[i], window_start[i+1])
  std::vector<std::uint32_t> window_items;  ///< ascending within a window
  std::vector<entry_index> item_start;      ///< windows of item x: item_windows[item_start[x], item_start[x+1])
  std::vector<std::uint32_t> item_windows;  ///< positions in `windows`, ascending
  /// When in each of those windows the item was first active (beside item_windows), or empty
  /// where not known (a matrix built without times).
  std::vector<window_offset> item_offsets;

  [[nodiscard]] std::size_t items() const noexcept { return item_start.empty() ? 0 : item_start.size() - 1; }
  [[nodiscard]] std::size_t entries() const noexcept { return item_windows.size(); }
  /// The non-empty rows (windows, or other samples): item_windows holds positions among them.
  /// A matrix with neither `windows` nor its window -> items form (the host items': rows that are
  /// not windows, held by item) has as many as its last row with an entry says (every row held
  /// has one): found over its items' last rows.
  [[nodiscard]] std::size_t rows() const noexcept {
    if (!windows.empty()) return windows.size();
    if (!window_start.empty()) return window_start.size() - 1;
    std::size_t n = 0;
    for (std::size_t x = 0; x + 1 < item_start.size(); ++x)
      if (item_start[x + 1] != item_start[x]) n = std::max<std::size_t>(n, std::size_t{item_windows[item_start[x + 1] - 1]} + 1);
    return n;
  }
  /// Whether the window -> items form is held (items_in answers).
  [[nodiscard]] bool window_major() const noexcept { return !window_start.empty() && window_start.size() == rows() + 1; }
  /// Whether its rows are named windows (or it has none): what lagging and matching by window need.
  [[nodiscard]] bool names_windows() const noexcept { return !windows.empty() || entries() == 0; }
  /// Gives back the window -> items form (what it held: 4 bytes an entry and a window).
  void drop_window_major() noexcept {
    std::vector<entry_index>().swap(window_start);
    std::vector<std::uint32_t>().swap(window_items);
  }
  [[nodiscard]] std::uint64_t count(std::uint32_t item) const noexcept {
    return item_start[item + 1] - item_start[item];
  }
  [[nodiscard]] std::span<const std::uint32_t> windows_of(std::uint32_t item) const noexcept {
    return {item_windows.data() + item_start[item], item_windows.data() + item_start[item + 1]};
  }
  /// When in each window of windows_of(item) it was first active; empty where not known.
  [[nodiscard]] std::span<const window_offset> offsets_of(std::uint32_t item) const noexcept {
    if (item_offsets.empty()) return {};
    return {item_offsets.data() + item_start[item], item_offsets.data() + item_start[item + 1]};
  }
  [[nodiscard]] bool timed() const noexcept { return !item_offsets.empty() || item_windows.empty(); }
  [[nodiscard]] std::span<const std::uint32_t> items_in(std::size_t window_pos) const noexcept {
    assert(window_major() && "activity::items_in: the window -> items form was dropped");
    return {window_items.data() + window_start[window_pos], window_items.data() + window_start[window_pos + 1]};
  }

  /// Builds both forms from (window, item) entries sorted by window then item, without duplicates.
  static activity from_sorted(const std::vector<std::pair<std::int64_t, std::uint32_t>>& entries,
                              std::size_t n_items, std::uint64_t samples) {
    return build(entries.size(), n_items, samples, [&](std::size_t i) { return entries[i].first; },
                 [&](std::size_t i) { return entries[i].second; }, nullptr);
  }
  /// The same from timed entries (sorted by window, then item; one per window and item), keeping
  /// when each item was first active in each window.
  static activity from_sorted(std::span<const timed_entry> entries, std::size_t n_items, std::uint64_t samples) {
    return build(entries.size(), n_items, samples, [&](std::size_t i) { return entries[i].window; },
                 [&](std::size_t i) { return entries[i].item; }, &entries);
  }

 private:
  template <class WindowOf, class ItemOf>
  static activity build(std::size_t n, std::size_t n_items, std::uint64_t samples, const WindowOf& window_of, const ItemOf& item_of,
                        const std::span<const timed_entry>* timed) {
    check_activity_entries(n);
    activity a;
    a.samples = samples;
    a.window_items.reserve(n);
    a.window_start.push_back(0);
    for (std::size_t i = 0; i < n; ++i) {
      if (i == 0 || window_of(i) != window_of(i - 1)) {
        if (i != 0) a.window_start.push_back(static_cast<entry_index>(i));
        a.windows.push_back(window_of(i));
      }
      a.window_items.push_back(item_of(i));
    }
    if (n != 0) a.window_start.push_back(static_cast<entry_index>(n));
    a.index_items(n_items, [&](std::size_t i) { return (*timed)[i].offset; }, timed != nullptr);
    return a;
  }

 public:
  /// Builds the item-major form from the window-major one (`windows`, `window_start`,
  /// `window_items` set, items ascending within a window), without times. `windows` may be empty
  /// (rows that are not windows: see `windows`); `window_start` then alone says the rows.
  static activity from_window_major(std::vector<std::int64_t> windows, std::vector<entry_index> window_start,
                                    std::vector<std::uint32_t> window_items, std::size_t n_items, std::uint64_t samples) {
    check_activity_entries(window_items.size());
    activity a;
    a.samples = samples;
    a.windows = std::move(windows);
    a.window_start = std::move(window_start);
    a.window_items = std::move(window_items);
    a.index_items(n_items, [](std::size_t) { return window_offset{0}; }, false);
    return a;
  }

 private:
  template <class OffsetOf>
  void index_items(std::size_t n_items, const OffsetOf& offset_of, bool timed) {
    const std::size_t n = window_items.size();
    item_start.assign(n_items + 1, 0);
    for (auto item : window_items) ++item_start[item + 1];
    for (std::size_t x = 0; x < n_items; ++x) item_start[x + 1] += item_start[x];
    item_windows.resize(n);
    if (timed) item_offsets.resize(n);
    std::vector<entry_index> fill(item_start.begin(), item_start.end() - 1);
    for (std::size_t w = 0; w < rows(); ++w)
      for (std::size_t i = window_start[w]; i < window_start[w + 1]; ++i) {
        const auto at = fill[window_items[i]]++;
        item_windows[at] = static_cast<std::uint32_t>(w);
        if (timed) item_offsets[at] = offset_of(i);
      }
    assert(std::equal(fill.begin(), fill.end(), item_start.begin() + 1) && "each item's windows fill its list");
  }
};

/// Heads counted against tails of another matrix are matched by window: both must name their
/// windows (a matrix whose rows are other samples, such as the host items', cannot be lagged).
/// Throws bad_argument naming `who` otherwise.
inline void check_windowed(const activity& heads, const activity& tails, const char* who) {
  if (&heads == &tails) return;
  for (const activity* m : {&heads, &tails})
    if (!m->names_windows())
      throw bad_argument(std::string(who) + ": heads and tails are matched by window, and one matrix names no windows "
                         "(its rows are other samples); count such a matrix against itself");
}

/// The activity "within k windows after": an item is active in window w when it is active in any
/// of w, w+1, ..., w+k of `a` (never before `a`'s first window). Samples stay N. Throws
/// bad_argument when `a` names no windows (its rows are other samples).
[[nodiscard]] inline activity dilate_back(const activity& a, std::int64_t k) {
  if (!a.names_windows())
    throw bad_argument("dilate_back: the matrix names no windows (its rows are other samples): nothing to lag");
  std::vector<std::pair<std::int64_t, std::uint32_t>> entries;
  entries.reserve(a.entries() * static_cast<std::size_t>(k + 1));
  const std::int64_t first = a.windows.empty() ? 0 : a.windows.front();
  for (std::uint32_t item = 0; item < a.items(); ++item)  // by item: the window -> items form may be gone
    for (const auto w : a.windows_of(item))
      for (std::int64_t d = 0; d <= k && a.windows[w] - d >= first; ++d) entries.emplace_back(a.windows[w] - d, item);
  std::sort(entries.begin(), entries.end());
  entries.erase(std::unique(entries.begin(), entries.end()), entries.end());
  return activity::from_sorted(entries, a.items(), a.samples);
}

/// Collects (window, item) activity as packets stream in, one entry per item per window, with
/// when in the window the item first sent a packet. Memory is one entry (16 bytes) per active
/// (window, item) pair and 4 bytes per item (where its last entry is).
class activity_builder {
 public:
  /// An item active in a window, `offset` into it (offset_in_window): the earliest packet of the
  /// item in the window gives the entry's offset.
  void add(std::int64_t window, std::uint32_t item, window_offset offset = 0) {
    if (item >= last_at_.size()) {  // grown by half (reserve first: resize alone would double its room)
      const auto n = std::max<std::size_t>(item + 1, last_at_.size() + last_at_.size() / 2);
      last_at_.reserve(n);
      last_at_.resize(n, never);
    }
    std::uint32_t& at = last_at_[item];
    if (at != never) {
      timed_entry& last = entries_[at];
      if (last.window == window) {  // a later packet, or one out of order: keep the earliest
        last.offset = std::min(last.offset, offset);
        return;
      }
      if (window < last.window) in_order_ = false;  // an out-of-order timestamp: sort and dedupe at the end
    }
    if (!entries_.empty() && window < entries_.back().window) in_order_ = false;
    if (entries_.size() == max_activity_entries) check_activity_entries(entries_.size() + 1);  // said now, not after the whole trace
    at = static_cast<std::uint32_t>(entries_.size());  // < max_activity_entries = never
    entries_.push_back({window, item, offset});
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
    return item < last_at_.size() && last_at_[item] != never ? entries_[last_at_[item]].window : none;
  }
  /// Windows each of `n_items` items is active in so far (one pass over the entries).
  [[nodiscard]] std::vector<std::uint32_t> counts(std::size_t n_items) const {
    std::vector<std::uint32_t> c(n_items, 0);
    for (const auto& e : entries_) ++c[e.item];
    return c;
  }
  /// Renames items (`renamed[old]`), dropping the entries of items renamed to UINT32_MAX.
  void retain(const std::vector<std::uint32_t>& renamed) {
    detail::growable<std::uint32_t> last_at;
    std::size_t out = 0;
    for (std::size_t i = 0; i < entries_.size(); ++i) {
      const timed_entry e = entries_[i];
      const auto id = renamed[e.item];
      if (id == UINT32_MAX) continue;
      if (id >= last_at.size()) last_at.resize(std::max<std::size_t>(id + 1, last_at.size() * 2), never);
      if (last_at_[e.item] == i) last_at[id] = static_cast<std::uint32_t>(out);  // its last entry
      entries_[out++] = {e.window, id, e.offset};
    }
    entries_.resize(out);
    last_at_ = std::move(last_at);
  }

  /// The matrix over `n_items` items; N spans the first to the last window seen.
  [[nodiscard]] activity finish(std::size_t n_items) && {
    detail::release(last_at_);  // not needed to build the matrix: freed before it is made
    if (in_order_) {
      // grouped by window already: sort the items inside each window
      for (std::size_t i = 0; i < entries_.size();) {
        std::size_t j = i;
        while (j < entries_.size() && entries_[j].window == entries_[i].window) ++j;
        std::sort(entries_.begin() + static_cast<std::ptrdiff_t>(i), entries_.begin() + static_cast<std::ptrdiff_t>(j));
        i = j;
      }
    } else {
      // by window, item, then offset: the first of a (window, item) is its earliest
      std::sort(entries_.begin(), entries_.end());
      const auto last = std::unique(entries_.begin(), entries_.end(),
                                    [](const timed_entry& a, const timed_entry& b) { return a.window == b.window && a.item == b.item; });
      entries_.resize(static_cast<std::size_t>(last - entries_.begin()));
    }
    const std::uint64_t samples = hi_ < lo_ ? 0 : static_cast<std::uint64_t>(hi_ - lo_) + 1;
    auto a = activity::from_sorted(entries_, n_items, samples);
    detail::release(entries_);
    return a;
  }

 private:
  static constexpr std::int64_t none = std::numeric_limits<std::int64_t>::min();
  static constexpr std::uint32_t never = std::numeric_limits<std::uint32_t>::max();  // no entry (a position is below it)
  static_assert(max_activity_entries <= never, "activity_builder: every position fits last_at_");
  // Grown by realloc, not copied beside themselves (detail/growable.hpp): they grow while the trace
  // is read, and a copy of the entries would set the reading's peak.
  detail::growable<timed_entry> entries_;
  // Per item: where its last entry is (never: none yet); that entry's window is the last it was
  // added in (4 bytes an item, where a window of its own beside took 12).
  detail::growable<std::uint32_t> last_at_;
  std::int64_t lo_ = std::numeric_limits<std::int64_t>::max();
  std::int64_t hi_ = std::numeric_limits<std::int64_t>::min();
  bool in_order_ = true;
};

}  // namespace expose
