#pragma once
// Tumbling windows: time cut into back-to-back windows of one width, aligned to the Unix epoch.

#include <chrono>
#include <cstdint>
#include <utility>

#include "expose/concepts.hpp"
#include "expose/error.hpp"

namespace expose::windows {

struct tumbling {
  std::chrono::nanoseconds width{std::chrono::seconds{1}};

  /// The windows a packet at `ts_ns` falls in: exactly one, `floor(ts / width)`.
  [[nodiscard]] std::pair<std::int64_t, std::int64_t> window_range(std::int64_t ts_ns) const {
    const std::int64_t w = width.count();
    if (w <= 0) throw bad_argument("windows::tumbling: the width must be positive");
    std::int64_t k = ts_ns / w;
    if (ts_ns % w != 0 && ts_ns < 0) --k;  // floor, also before 1970
    return {k, k};
  }
  [[nodiscard]] double seconds() const { return std::chrono::duration<double>(width).count(); }
};

static_assert(WindowPolicy<tumbling> && !LaggedWindow<tumbling>);

}  // namespace expose::windows
