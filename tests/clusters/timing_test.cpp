#include "expose/clusters/timing.hpp"

#include <cstdint>
#include <utility>
#include <vector>

#include "doctest.hpp"

using namespace expose;

namespace {
activity timing_matrix(std::vector<std::pair<std::int64_t, std::uint32_t>> e, std::size_t items, std::uint64_t n) {
  std::sort(e.begin(), e.end());
  return activity::from_sorted(e, items, n);
}
}  // namespace

TEST_CASE("clusters.timing.first_last_per_minute_and_period") {
  // A trace of 180 windows of 1 s from window 1000. Items 0 and 1 keep alive every 10 s from 1005
  // (bursts of 2 windows, item 1 one window late); item 2 (another cluster) is seen three times
  // at uneven gaps; item 3 of the first cluster is a host-variable item, not in the matrix.
  std::vector<std::pair<std::int64_t, std::uint32_t>> e{{1000, 2}};
  for (std::int64_t w = 1005; w < 1100; w += 10) e.insert(e.end(), {{w, 0}, {w + 1, 1}});
  e.insert(e.end(), {{1050, 2}, {1179, 2}});
  const activity a = timing_matrix(e, 3, 180);
  std::vector<cluster> cs(2);
  cs[0].items = {0, 1, 3};
  cs[1].items = {2};
  clusters::describe_time(cs, a, 1.0);
  CHECK(cs[0].first_window == 1005);
  CHECK(cs[0].last_window == 1096);
  CHECK(cs[0].windows_active == 20);
  CHECK(cs[0].per_minute == std::vector<std::uint32_t>{12, 8, 0});  // 1005..1059, 1060..1096, none after
  CHECK(cs[0].period_seconds == 10.0);
  REQUIRE(cs[0].timeline.size() == 60);
  CHECK(cs[0].timeline[1] == 1);  // window 1005 is in the 60th of 1003..1005
  CHECK(cs[1].first_window == 1000);
  CHECK(cs[1].last_window == 1179);
  CHECK(cs[1].windows_active == 3);
  CHECK(cs[1].per_minute == std::vector<std::uint32_t>{2, 0, 1});
  CHECK(cs[1].period_seconds == 0);  // 3 bursts: too few to call periodic
}

TEST_CASE("clusters.timing.windows_longer_than_a_minute_count_in_every_minute_they_cover") {
  // 2-minute windows over 6 windows (12 minutes): windows 0 and 3 active give minutes 0, 1, 6 and
  // 7 (ppa_evilprogram at --window 2m listed one number a window before, 171 for 342 minutes);
  // 90-second windows: window 1 covers 1:30 to 3:00, minutes 1 and 2 (the trace starts at window 0,
  // where another item is active).
  const activity a = timing_matrix({{0, 0}, {3, 0}}, 1, 6);
  std::vector<cluster> cs(1);
  cs[0].items = {0};
  clusters::describe_time(cs, a, 120.0);
  CHECK(cs[0].per_minute == std::vector<std::uint32_t>{1, 1, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0});
  const activity b = timing_matrix({{0, 1}, {1, 0}}, 2, 3);
  clusters::describe_time(cs, b, 90.0);
  CHECK(cs[0].per_minute == std::vector<std::uint32_t>{0, 1, 1, 0, 0});
}

TEST_CASE("clusters.timing.uneven_gaps_are_not_a_period") {
  std::vector<std::pair<std::int64_t, std::uint32_t>> e;
  for (const std::int64_t w : {0, 10, 20, 45, 55, 65}) e.emplace_back(w, 0);
  const activity a = timing_matrix(e, 1, 100);
  std::vector<cluster> cs(1);
  cs[0].items = {0};
  clusters::describe_time(cs, a, 0.5);  // windows of half a second: 120 windows a minute
  CHECK(cs[0].period_seconds == 0);
  CHECK(cs[0].per_minute == std::vector<std::uint32_t>{6});
}

TEST_CASE("clusters.timing.host_variable_items_count_in_their_samples_windows") {
  // Windows 2000, 2001, 2005 hold flows; the host samples with host items active are samples 1
  // (window 2000's), 2 (2001's), 4 and 5 (2005's): rows 0, 1 and 2-3 of the host matrix, whose
  // rows carry no window (`start` says which rows are each window's). Host item 0 (id 2, after
  // the two window items) is active in rows 0, 2 and 3: windows 2000 and 2005.
  const activity a = timing_matrix({{2000, 0}, {2001, 1}, {2005, 0}, {2005, 1}}, 2, 6);
  activity hosts = timing_matrix({{1, 0}, {4, 0}, {5, 0}, {2, 1}}, 2, 6);
  hosts.windows.clear();  // as make_host_items leaves them
  const std::vector<std::size_t> start{0, 1, 2, 4};
  std::vector<cluster> cs(2);
  cs[0].items = {2};     // the host item alone, as a scan's `$A` pattern is
  cs[1].items = {1, 3};  // a window item and the other host item (window 2001 both)
  clusters::describe_time(cs, a, 1.0, &hosts, &start);
  CHECK(cs[0].first_window == 2000);
  CHECK(cs[0].last_window == 2005);
  CHECK(cs[0].windows_active == 2);
  CHECK(cs[1].first_window == 2001);
  CHECK(cs[1].last_window == 2005);
  CHECK(cs[1].windows_active == 2);
  // Without the host activity a host-only pattern has no time (windows_active 0: not known).
  std::vector<cluster> alone(1);
  alone[0].items = {2};
  clusters::describe_time(alone, a, 1.0);
  CHECK(alone[0].windows_active == 0);
}
