#include "expose/io/utc_time.hpp"

#include <chrono>
#include <string>

#include "doctest.hpp"

using namespace expose;

TEST_CASE("io.utc_time.seconds_and_nanoseconds_alike") {
  // 2026-01-05 10:00:03.250999999 UTC
  const std::int64_t ns = 1'767'607'203'250'999'999LL;
  CHECK(io::utc_time_text(io::utc_second(1'767'607'203.9)) == "2026-01-05 10:00:03");
  CHECK(io::utc_time_text(io::utc_nanoseconds(ns)) == "2026-01-05 10:00:03");
  CHECK(io::utc_time_text(io::utc_nanoseconds(ns), {.zone = true}) == "2026-01-05 10:00:03 UTC");  // the flow-log reader's warnings
  CHECK(io::utc_time_text(io::utc_nanoseconds(ns), {.milliseconds = true, .zone = true}) == "2026-01-05 10:00:03.250 UTC");  // the HTML report
  CHECK(io::utc_time_text(std::chrono::sys_seconds{std::chrono::seconds{0}}, {.milliseconds = true}) == "1970-01-01 00:00:00.000");
}

TEST_CASE("io.utc_time.the_date_left_out_on_a_day_already_said") {
  // the text report: "2026-01-05 10:00:03 to 10:09:57 UTC"; the date is kept on another day
  CHECK(io::utc_time_text(io::utc_second(1'767'607'797), {.same_day = "2026-01-05"}) == "10:09:57");
  CHECK(io::utc_time_text(io::utc_second(1'767'657'600), {.same_day = "2026-01-05"}) == "2026-01-06 00:00:00");
}

TEST_CASE("io.utc_time.before_1970_rounds_down") {
  CHECK(io::utc_time_text(io::utc_nanoseconds(-1)) == "1969-12-31 23:59:59");
  CHECK(io::utc_time_text(io::utc_nanoseconds(-1'500'000'000), {.milliseconds = true}) == "1969-12-31 23:59:58.500");
  CHECK(io::utc_time_text(io::utc_nanoseconds(-1'000'000'000)) == "1969-12-31 23:59:59");
  CHECK(io::utc_time_text(io::utc_second(-0.5)) == "1969-12-31 23:59:59");
  // the extremes of int64 nanoseconds
  CHECK(io::utc_time_text(io::utc_nanoseconds(INT64_MIN), {.milliseconds = true}) == "1677-09-21 00:12:43.145");
  CHECK(io::utc_time_text(io::utc_nanoseconds(INT64_MAX), {.milliseconds = true}) == "2262-04-11 23:47:16.854");
}

TEST_CASE("io.utc_time.beyond_the_calendar_functions_as_seconds") {
  const std::int64_t far = 100'000'000'000'000'000LL;  // about the year 3e9: past what gmtime_r says
  CHECK(io::utc_time_text(std::chrono::sys_seconds{std::chrono::seconds{far}}) == "100000000000000000 s");
}
