#include "expose/windows/lagged.hpp"

#include <chrono>
#include <sstream>
#include <string>
#include <vector>

#include "doctest.hpp"
#include "expose/io/text.hpp"
#include "expose/pipeline.hpp"

using namespace expose;
using namespace std::chrono_literals;

namespace {
// X at second s, Y one second later, for 60 random-ish seconds out of 600; never in one window.
std::vector<packet> x_then_y() {
  std::vector<packet> t;
  for (std::int64_t s = 0; s < 600; s += 7 + (s * 13) % 5) {
    packet x;
    x.ts_ns = s * 1'000'000'000;
    x.src = ip_address::v4(0x0a000001u);
    x.dst = ip_address::v4(0x0a000002u);
    x.sport = 123;
    x.dport = 123;
    x.proto = proto::udp;
    packet y = x;
    y.ts_ns += 1'000'000'000;
    y.dst = ip_address::v4(0x0a000003u);
    t.push_back(x);
    t.push_back(y);
  }
  return t;
}
}  // namespace

TEST_CASE("windows.lagged.same_windows_as_tumbling") {
  const windows::lagged w{.width = 250ms, .lag = 3};
  CHECK(w.window_range(1'100'000'000) == windows::tumbling{250ms}.window_range(1'100'000'000));
  CHECK(w.seconds() == doctest::Approx(0.25));
}

TEST_CASE("windows.lagged.rule_says_which_comes_first") {
  const auto trace = x_then_y();
  const auto plain = mine(trace, window_by(windows::tumbling{1s}));
  CHECK(plain.rules.empty());  // never in the same window
  const auto lagged = mine(trace, window_by(windows::lagged{.width = 1s, .lag = 1}));
  REQUIRE(lagged.rules.size() == 1);
  const rule& r = lagged.rules[0];
  CHECK(io::rule_text(lagged, r) == "10.0.0.1.123 : 10.0.0.2.123 : udp => 10.0.0.1.123 : 10.0.0.3.123 : udp");
  CHECK(r.order == rule_order::lhs_first);
  CHECK(r.lag == 1);
  CHECK(r.counts.n_xy == r.counts.n_x);  // Y follows every X
  // by one second each time: the delay, counted into the next window
  CHECK(r.leads == rule_leads::lhs);
  CHECK(r.delay == delay_summary{1000, 1000, 1000, r.counts.n_x});
  std::ostringstream s;
  io::write_text(s, lagged);
  CHECK(s.str().find("udp   (+1.0 s)   [left first, right within 1 window]\n") != std::string::npos);
}

TEST_CASE("windows.lagged.lag_zero_is_tumbling") {
  const auto trace = x_then_y();
  CHECK(mine(trace, window_by(windows::lagged{.width = 1s, .lag = 0})).rules.empty());
}

TEST_CASE("activity.dilate_back") {
  const std::vector<std::pair<std::int64_t, std::uint32_t>> e{{10, 0}, {12, 1}, {13, 0}};
  const activity a = activity::from_sorted(e, 2, 4);
  const activity d = dilate_back(a, 1);
  CHECK(d.windows == std::vector<std::int64_t>{10, 11, 12, 13});
  CHECK(d.count(0) == 3);  // 10, 12, 13
  CHECK(d.count(1) == 2);  // 11, 12
  CHECK(d.samples == 4);
}
