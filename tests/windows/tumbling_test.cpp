#include "expose/windows/tumbling.hpp"

#include <chrono>
#include <vector>

#include "doctest.hpp"
#include "expose/pipeline.hpp"

using namespace expose;
using namespace std::chrono_literals;

TEST_CASE("windows.tumbling.floor_of_time_over_width") {
  const windows::tumbling w{1s};
  CHECK(w.window_range(0) == std::pair<std::int64_t, std::int64_t>{0, 0});
  CHECK(w.window_range(999'999'999) == std::pair<std::int64_t, std::int64_t>{0, 0});
  CHECK(w.window_range(1'000'000'000) == std::pair<std::int64_t, std::int64_t>{1, 1});
  CHECK(w.window_range(-1) == std::pair<std::int64_t, std::int64_t>{-1, -1});
  CHECK(windows::tumbling{250ms}.window_range(1'100'000'000).first == 4);
  CHECK(windows::tumbling{250ms}.seconds() == doctest::Approx(0.25));
  CHECK(windows::tumbling{}.seconds() == 1.0);
}

TEST_CASE("windows.tumbling.zero_width_is_a_bad_argument") {
  CHECK_THROWS_AS((void)windows::tumbling{0s}.window_range(5), bad_argument);
}

TEST_CASE("windows.tumbling.empty_windows_count") {
  // Two packets 10 s apart: N is 11 windows of 1 s, 21 of 500 ms.
  packet a;
  a.ts_ns = 1'000'000'000;
  a.proto = proto::udp;
  packet b = a;
  b.ts_ns = 11'000'000'000;
  const std::vector<packet> trace{a, b};
  CHECK(mine(trace, window_by(windows::tumbling{1s}) | score_by(scores::untested{scores::jmeasure{}})).windows == 11);
  CHECK(mine(trace, window_by(windows::tumbling{500ms}) | score_by(scores::untested{scores::jmeasure{}})).windows == 21);
}
