#pragma once
// When a cluster is active: its first and last window, the windows in which any of its items is
// active, that activity per minute and per 60th of the trace (the text report's activity strip),
// and its period where it has one. Read from the run's window activity; an item with a host
// variable (counted per host and window) is active in the windows of its (host, window) samples,
// when the host activity and which rows of it are each window's are given.
//
// Periodic: the activity comes in at least 4 bursts (runs of active windows), and the gaps from
// one burst's start to the next are all within a tenth (and one window) of their median; the
// period is that median. Keep-alives, polling, lock-step scans are periodic; sessions are not.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "expose/activity.hpp"
#include "expose/rule.hpp"

namespace expose::clusters {

/// Fills each cluster's time fields from `a` (window items' activity, windows of `window_seconds`)
/// and, for host-variable items (ids from a.items()), from `hosts` and `host_window_start`
/// (item_space::host_window_start).
inline void describe_time(std::vector<cluster>& clusters, const activity& a, double window_seconds, const activity* hosts = nullptr,
                          const std::vector<std::size_t>* host_window_start = nullptr) {
  if (a.windows.empty() || window_seconds <= 0) return;
  const std::int64_t start = a.windows.front();
  // Windows of a minute or less are counted in the minute they start in (60 / width of them a
  // minute); a longer window counts in every minute it covers (a 2-minute window in two), so the
  // list holds one number a minute whatever the width.
  const bool long_windows = window_seconds > 60.0;
  const auto per_minute_windows = std::max<std::int64_t>(1, std::llround(60.0 / window_seconds));
  const auto minute_of = [&](std::int64_t offset) { return static_cast<std::size_t>(std::floor(static_cast<double>(offset) * window_seconds / 60.0 + 1e-9)); };
  const auto minutes = long_windows ? static_cast<std::size_t>(std::ceil(static_cast<double>(a.samples) * window_seconds / 60.0 - 1e-9))
                                    : static_cast<std::size_t>((static_cast<std::int64_t>(a.samples) + per_minute_windows - 1) / per_minute_windows);
  constexpr std::size_t columns = 60;
  std::vector<std::uint32_t> positions;
  for (auto& c : clusters) {
    positions.clear();
    for (const auto item : c.items) {
      if (item < a.items()) {
        positions.insert(positions.end(), a.windows_of(item).begin(), a.windows_of(item).end());
      } else if (hosts != nullptr && host_window_start != nullptr && item - a.items() < hosts->items()) {
        // Its rows ascend, and a window's rows are many hosts': the window of a row is looked up
        // only past the previous row's window (400 k rows of a DNS item took 20 ms looked up each).
        const auto& starts = *host_window_start;  // rows, by window
        std::size_t after = 0;                     // windows starting at or before the row
        for (const std::size_t p : hosts->windows_of(static_cast<std::uint32_t>(item - a.items()))) {
          if (after != 0 && (after == starts.size() || p < starts[after])) continue;  // the previous row's window
          after = static_cast<std::size_t>(std::upper_bound(starts.begin() + static_cast<std::ptrdiff_t>(after), starts.end(), p) - starts.begin());
          if (after != 0 && after <= a.windows.size()) positions.push_back(static_cast<std::uint32_t>(after - 1));
        }
      }
    }
    std::sort(positions.begin(), positions.end());
    positions.erase(std::unique(positions.begin(), positions.end()), positions.end());
    c.windows_active = positions.size();
    c.per_minute.assign(minutes, 0);
    c.timeline.assign(columns, 0);
    c.period_seconds = 0;
    if (positions.empty()) continue;
    c.first_window = a.windows[positions.front()];
    c.last_window = a.windows[positions.back()];
    std::vector<std::int64_t> burst_starts;
    std::int64_t previous = 0;
    for (const auto pos : positions) {
      const std::int64_t w = a.windows[pos], offset = w - start;
      if (long_windows) {
        // the minutes from the one it starts in to the one its last instant lies in
        const auto last = static_cast<std::size_t>(std::ceil(static_cast<double>(offset + 1) * window_seconds / 60.0 - 1e-9)) - 1;
        for (std::size_t m = minute_of(offset); m <= std::min(minutes - 1, last); ++m) ++c.per_minute[m];
      } else {
        ++c.per_minute[std::min(minutes - 1, static_cast<std::size_t>(offset / per_minute_windows))];
      }
      ++c.timeline[std::min(columns - 1, static_cast<std::size_t>(static_cast<double>(offset) * columns / static_cast<double>(a.samples)))];
      if (burst_starts.empty() || w > previous + 1) burst_starts.push_back(w);
      previous = w;
    }
    if (burst_starts.size() < 4) continue;
    std::vector<std::int64_t> gaps;
    for (std::size_t i = 1; i < burst_starts.size(); ++i) gaps.push_back(burst_starts[i] - burst_starts[i - 1]);
    auto sorted = gaps;
    std::nth_element(sorted.begin(), sorted.begin() + static_cast<std::ptrdiff_t>(sorted.size() / 2), sorted.end());
    const std::int64_t median = sorted[sorted.size() / 2];
    const double tolerance = std::max(1.0, 0.1 * static_cast<double>(median));
    if (std::all_of(gaps.begin(), gaps.end(), [&](std::int64_t g) { return std::abs(static_cast<double>(g - median)) <= tolerance; }))
      c.period_seconds = static_cast<double>(median) * window_seconds;
  }
}

}  // namespace expose::clusters
