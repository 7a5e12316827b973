#include "expose/limits.hpp"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "doctest.hpp"
#include "expose/lattice/none.hpp"
#include "expose/pipeline.hpp"

using namespace expose;
using namespace std::chrono_literals;

namespace {
constexpr std::int64_t one_second = 1'000'000'000;

packet tcp(std::uint32_t src, std::uint16_t sport, std::uint32_t dst, std::uint16_t dport, std::int64_t ts_ns) {
  packet p;
  p.ts_ns = ts_ns;
  p.src = ip_address::v4(src);
  p.dst = ip_address::v4(dst);
  p.sport = sport;
  p.dport = dport;
  p.proto = proto::tcp;
  p.tcp_flags = tcp_flag::syn;
  return p;
}

// Two flows that go together every fifth second for 200 s, under a flood of 20 new one-packet
// connections a second (4000 in all).
std::vector<packet> flood_with_pattern() {
  std::vector<packet> out;
  for (std::int64_t t = 0; t < 200; ++t) {
    if (t % 5 == 0) {
      out.push_back(tcp(0x0a000001, 1000, 0x0a000002, 80, t * one_second));
      out.push_back(tcp(0x0a000001, 1001, 0x0a000003, 80, t * one_second + 1000));
    }
    for (std::uint32_t i = 0; i < 20; ++i)
      out.push_back(tcp(0x0a090000 + static_cast<std::uint32_t>(t), static_cast<std::uint16_t>(2000 + i), 0x0a000009, 80,
                        t * one_second + 2000 + i));
  }
  return out;
}

const auto plain_pipeline = key_by(keys::five_tuple{}) | window_by(windows::tumbling{1s}) |
                            generalize_by(lattice::none{}) | count_by(engine::gustavson{.threads = 1});

bool says(const mine_result& r, const std::string& words) {
  return std::any_of(r.input.warnings.begin(), r.input.warnings.end(),
                     [&](const std::string& w) { return w.find(words) != std::string::npos; });
}
}  // namespace

TEST_CASE("limits.no_limit_does_nothing") {
  const auto r = mine(flood_with_pattern(), plain_pipeline);
  CHECK(r.flows == 4002);
  CHECK(r.limits.evictions == 0);
  CHECK(r.limits.evicted_flows == 0);
  CHECK(r.input.warnings.empty());
}

TEST_CASE("limits.idle_rare_flows_are_evicted_and_the_run_says_so") {
  const ingest_limits limits{.max_flows = 1000, .idle_ns = 5 * one_second, .evict_below = 3};
  const auto r = mine(flood_with_pattern(), plain_pipeline, limits);
  // The table fills in windows 49, 93, 137 and 181 (18 flood packets in); each time the flood flows
  // of the windows before now - 5 go: 44 windows x 20 flows.
  CHECK(r.limits.evictions == 4);
  CHECK(r.limits.evicted_flows == 4 * 880);
  CHECK(r.limits.evicted_entries == 4 * 880);
  CHECK(r.limits.refused == 0);
  CHECK_FALSE(r.limits.stopped);
  CHECK(r.flows == 4002);                   // every connection seen is counted
  CHECK(r.items.size() == 4002 - 4 * 880);  // only the held ones stay items
  CHECK(r.input.decoded == r.input.packets);
  CHECK(says(r, "evicted 3520 flows idle for 5 s and active in fewer than 3 windows (3520 activity entries dropped"));
  // No evicted flow could have made a rule: the rules are those of the unlimited run.
  const auto unlimited = mine(flood_with_pattern(), plain_pipeline);
  REQUIRE(r.rules.size() == unlimited.rules.size());
  REQUIRE(r.rules.size() == 1);
  CHECK(r.items[r.rules[0].lhs].text() == unlimited.items[unlimited.rules[0].lhs].text());
  CHECK(r.items[r.rules[0].rhs].text() == unlimited.items[unlimited.rules[0].rhs].text());
  CHECK(r.rules[0].counts.n_xy == 40);
  CHECK(r.rules[0].score == unlimited.rules[0].score);
}

TEST_CASE("limits.with_nothing_idle_new_connections_are_refused_and_counted") {
  // 1500 connections, every one active in each of 20 seconds; room for 1000.
  std::vector<packet> busy;
  for (std::int64_t t = 0; t < 20; ++t)
    for (std::uint16_t i = 0; i < 1500; ++i) busy.push_back(tcp(0x0a000001, static_cast<std::uint16_t>(10000 + i), 0x0a000002, 80, t * one_second + i));
  const auto r = mine(busy, plain_pipeline, ingest_limits{.max_flows = 1000});
  CHECK(r.flows == 1000);
  CHECK(r.limits.evicted_flows == 0);
  CHECK(r.limits.refused == 500 * 20);
  CHECK(r.input.skipped.at("flow limit") == 500 * 20);
  CHECK(r.input.decoded == 1000 * 20);
  CHECK(r.input.packets == 1500 * 20);
  CHECK(says(r, "no idle flow to evict: 10000 packets of new connections were left out"));
}

TEST_CASE("limits.activity_past_the_memory_limit_stops_reading_and_keeps_what_came_before") {
  // 10 connections in each of 1000 windows: 10000 entries; the budget holds 5000.
  std::vector<packet> steady;
  for (std::int64_t t = 0; t < 1000; ++t)
    for (std::uint16_t i = 0; i < 10; ++i) steady.push_back(tcp(0x0a000001, static_cast<std::uint16_t>(10000 + i), 0x0a000002, 80, t * one_second + i));
  const auto r = mine(steady, plain_pipeline, ingest_limits{.max_memory = 5000 * ingest_limits::bytes_per_entry});
  // Looked at every 4096 packets: at the second look, 8191 entries are past the budget.
  CHECK(r.limits.stopped);
  CHECK(r.limits.stopped_after == 8191);
  CHECK(r.input.decoded == 8191);
  CHECK(r.input.skipped.at("memory limit") == 10000 - 8191);
  CHECK(says(r, "the results cover the first 8191 decoded packets"));
  CHECK(r.windows == 820);  // windows 0..819 hold the 8191 packets read
}

TEST_CASE("limits.the_estimate_grows_with_flows_and_entries_only") {
  static_assert(ingest_limits::estimate(0, 0) == 0);
  static_assert(ingest_limits::estimate(2, 3) == 2 * ingest_limits::bytes_per_flow + 3 * ingest_limits::bytes_per_entry);
  CHECK_FALSE(ingest_limits{}.limited());
  CHECK(ingest_limits{.max_memory = 1}.limited());
}

TEST_CASE("limits.reports_of_several_readers_add_up") {
  limit_report a{.evictions = 1, .evicted_flows = 10, .evicted_entries = 12, .refused = 0, .stopped = false, .stopped_after = 0, .left_after_stop = 0};
  const limit_report b{.evictions = 2, .evicted_flows = 5, .evicted_entries = 6, .refused = 7, .stopped = true, .stopped_after = 100, .left_after_stop = 3};
  a += b;
  CHECK(a.evictions == 3);
  CHECK(a.evicted_flows == 15);
  CHECK(a.evicted_entries == 18);
  CHECK(a.refused == 7);
  CHECK(a.stopped);
  CHECK(a.stopped_after == 100);
  CHECK(a.left_after_stop == 3);
}
