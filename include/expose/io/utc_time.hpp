#pragma once
// Times as a person reads them, in UTC: `2026-01-05 10:00:03`, with milliseconds (`.250`) and the
// zone (` UTC`) where a report wants them, the date left out where the day is already said. One
// formatter for the text and HTML reports, the flow-log reader's warnings and the tools. It takes a
// std::chrono::sys_time of the caller's unit, so a count of seconds cannot pass for nanoseconds.
//
//   io::utc_time_text(io::utc_second(1767607203.5))                        // 2026-01-05 10:00:03
//   io::utc_time_text(io::utc_nanoseconds(ns), {.milliseconds = true, .zone = true})  // 2026-01-05 10:00:03.500 UTC

#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <string>
#include <string_view>

namespace expose::io {

/// How utc_time_text writes a time.
struct utc_style {
  bool milliseconds = false;       ///< `.250` after the seconds (rounded down), as the HTML report has them
  bool zone = false;               ///< ` UTC` at the end
  std::string_view same_day = {};  ///< a date (`2026-01-05`): a time on that day is written without it
};

/// `2026-01-05 10:00:03` of `t` in UTC, rounded down to the second (before 1970 too). A time the
/// calendar functions cannot say (beyond the year 2^31; no int64 count of nanoseconds is) is
/// written as its whole seconds since the epoch, `N s`.
template <class Duration>
[[nodiscard]] std::string utc_time_text(std::chrono::sys_time<Duration> t, const utc_style& style = {}) {
  const auto second = std::chrono::floor<std::chrono::seconds>(t);
  const auto whole = static_cast<std::int64_t>(second.time_since_epoch().count());
  const auto at = static_cast<std::time_t>(whole);
  std::tm tm{};
  if (::gmtime_r(&at, &tm) == nullptr) return std::to_string(whole) + " s";
  char date[32], clock[32];
  std::strftime(date, sizeof date, "%Y-%m-%d", &tm);
  std::strftime(clock, sizeof clock, "%H:%M:%S", &tm);
  std::string out = style.same_day == date ? std::string(clock) : std::string(date) + " " + clock;
  if (style.milliseconds) {  // what is past the second (not t - second: that second may lie beyond int64 nanoseconds)
    auto past = t.time_since_epoch() % std::chrono::seconds{1};
    if (past < past.zero()) past += std::chrono::seconds{1};
    char ms[8];
    std::snprintf(ms, sizeof ms, ".%03d", static_cast<int>(std::chrono::floor<std::chrono::milliseconds>(past).count()));
    out += ms;
  }
  if (style.zone) out += " UTC";
  return out;
}

/// The second a time in seconds since the epoch falls in (as the reports compute window edges, in
/// a double), for utc_time_text.
[[nodiscard]] inline std::chrono::sys_seconds utc_second(double seconds) {
  return std::chrono::sys_seconds{std::chrono::seconds{static_cast<std::int64_t>(std::floor(seconds))}};
}

/// The time `ns` nanoseconds since the epoch, for utc_time_text.
[[nodiscard]] inline std::chrono::sys_time<std::chrono::nanoseconds> utc_nanoseconds(std::int64_t ns) {
  return std::chrono::sys_time<std::chrono::nanoseconds>{std::chrono::nanoseconds{ns}};
}

}  // namespace expose::io
