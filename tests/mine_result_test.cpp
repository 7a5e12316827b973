#include "expose/mine_result.hpp"

#include <cstddef>
#include <cstdint>
#include <tuple>
#include <utility>
#include <vector>

#include "doctest.hpp"

using namespace expose;

TEST_CASE("mine_result.active_span_lies_within_the_first_and_last_packet") {
  // 2-minute windows: a pattern active in windows 0 to 2 of a capture from 16:51:53.4 to
  // 16:55:10 is said from its first packet to its last, not from the window edges 16:50:00 to
  // 16:56:00 (ppa_evilprogram at --window 2m read 16:50:00, before the capture began).
  mine_result r;
  r.window_seconds = 120;
  const double window0 = 1094143800;  // 2004-09-02 16:50:00 UTC, a whole number of windows
  r.input.decoded = 10;
  r.input.start_ns = static_cast<std::int64_t>((window0 + 113.4) * 1e9);
  r.input.end_ns = static_cast<std::int64_t>((window0 + 310) * 1e9);
  cluster c;
  c.first_window = static_cast<std::int64_t>(window0 / 120);
  c.last_window = c.first_window + 2;
  auto [from, to] = r.active_span(c);
  CHECK(from == doctest::Approx(window0 + 113.4));
  CHECK(to == doctest::Approx(window0 + 310));
  // a pattern inside the capture keeps its window edges
  c.first_window += 1;
  c.last_window = c.first_window;
  std::tie(from, to) = r.active_span(c);
  CHECK(from == doctest::Approx(window0 + 120));
  CHECK(to == doctest::Approx(window0 + 240));
  // nothing decoded: the window edges as they are
  r.input.decoded = 0;
  std::tie(from, to) = r.active_span(c);
  CHECK(from == doctest::Approx(window0 + 120));
}

TEST_CASE("mine_result.pattern_order_is_by_the_most_significant_rule") {
  mine_result r;
  r.clusters.resize(3);
  r.clusters[0].rules = {4, 7};
  r.clusters[1].rules = {};  // no rule: last
  r.clusters[2].rules = {1, 9};
  CHECK(pattern_order(r) == std::vector<std::size_t>{2, 0, 1});
}
