#include "expose/io/read_ahead.hpp"

#include <chrono>
#include <stdexcept>
#include <vector>

#include "doctest.hpp"
#include "expose/synth/generator.hpp"

using namespace expose;
using namespace std::chrono_literals;

namespace {
// A source that yields `n` packets, numbered by timestamp, then fails if told to.
struct numbered_source {
  std::int64_t n = 0;
  bool fail_at_end = false;
  template <class Sink>
  void read(Sink&& sink, input_stats& stats) const {
    packet p;
    for (std::int64_t i = 0; i < n; ++i) {
      p.ts_ns = i;
      ++stats.packets;
      ++stats.decoded;
      sink(p);
    }
    if (fail_at_end) throw bad_trace("numbered_source: failed after " + std::to_string(n));
  }
};
static_assert(PacketSource<numbered_source>);
}  // namespace

TEST_CASE("read_ahead.packets_arrive_in_order_with_the_sources_stats") {
  const synth::generator gen{.seed = 3, .duration = 60s, .hosts = 20};
  std::vector<std::int64_t> direct, ahead;
  input_stats s1, s2;
  gen.read([&](const packet& p) { direct.push_back(p.ts_ns ^ p.sport); }, s1);
  io::read_ahead(gen, [&](const packet& p) { ahead.push_back(p.ts_ns ^ p.sport); }, s2, 100, 2);
  CHECK(direct.size() > 1000);
  CHECK(ahead == direct);
  CHECK(s2.packets == s1.packets);
  CHECK(s2.decoded == s1.decoded);
}

TEST_CASE("read_ahead.a_partial_last_batch_and_an_empty_source") {
  std::vector<std::int64_t> seen;
  input_stats s;
  io::read_ahead(numbered_source{.n = 10}, [&](const packet& p) { seen.push_back(p.ts_ns); }, s, 4, 1);
  CHECK(seen == std::vector<std::int64_t>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9});
  seen.clear();
  io::read_ahead(numbered_source{.n = 0}, [&](const packet& p) { seen.push_back(p.ts_ns); }, s, 4, 1);
  CHECK(seen.empty());
}

TEST_CASE("read_ahead.a_source_error_comes_after_the_packets_before_it") {
  std::int64_t seen = 0;
  input_stats s;
  CHECK_THROWS_WITH_AS(io::read_ahead(numbered_source{.n = 1000, .fail_at_end = true}, [&](const packet&) { ++seen; }, s, 64, 2),
                       "numbered_source: failed after 1000", bad_trace);
  CHECK(seen == 1000);
}

TEST_CASE("read_ahead.a_failing_sink_stops_the_reader_without_a_hang") {
  input_stats s;
  std::int64_t seen = 0;
  const auto sink = [&](const packet&) {
    if (++seen == 50) throw std::runtime_error("sink full");
  };
  // The reader has 100000 packets to give and room for only two batches of 10.
  CHECK_THROWS_WITH_AS(io::read_ahead(numbered_source{.n = 100000}, sink, s, 10, 2), "sink full", std::runtime_error);
  CHECK(seen == 50);
}
