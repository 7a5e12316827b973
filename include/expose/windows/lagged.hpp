#pragma once
// Lagged windows: time cut as by tumbling windows, but a rule X => Y counts the windows of X in
// which Y happens in the same window or within `lag` windows after, so a rule can say that one
// flow comes before another. Rules between host-variable items are counted without lag.

#include <chrono>
#include <cstdint>
#include <utility>

#include "expose/concepts.hpp"
#include "expose/windows/tumbling.hpp"

namespace expose::windows {

struct lagged {
  std::chrono::nanoseconds width{std::chrono::seconds{1}};
  std::uint32_t lag = 1;  ///< Y may follow X by up to this many windows

  [[nodiscard]] std::pair<std::int64_t, std::int64_t> window_range(std::int64_t ts_ns) const {
    return tumbling{width}.window_range(ts_ns);
  }
  [[nodiscard]] double seconds() const { return tumbling{width}.seconds(); }
};

static_assert(WindowPolicy<lagged> && LaggedWindow<lagged>);

}  // namespace expose::windows
