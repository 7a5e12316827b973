#include "expose/stream.hpp"

#include <algorithm>
#include <vector>

#include "doctest.hpp"
#include "fixtures.hpp"
#include "expose/io/text.hpp"
#include "expose/synth/demo.hpp"

using namespace expose;
using namespace std::chrono_literals;

namespace {
std::vector<std::string> texts(const mine_result& r) {
  std::vector<std::string> out;
  for (const auto& x : r.rules) out.push_back(io::rule_text(r, x));
  return out;
}
}  // namespace

TEST_CASE("stream.one_span_over_the_whole_trace_equals_a_batch_run") {
  const auto packets = synth::demo{.seed = 1}.packets();  // 10 minutes from 08:00:00
  const auto batch = mine(packets, pipeline<>{});
  stream_miner miner(pipeline<>{}, {.epoch = 5min, .history = 2});
  std::vector<epoch_result> out;
  for (const auto& p : packets) miner.add(p, [&](epoch_result&& e) { out.push_back(std::move(e)); });
  miner.finish([&](epoch_result&& e) { out.push_back(std::move(e)); });
  REQUIRE(out.size() == 2);
  CHECK_FALSE(out[0].partial);
  CHECK(out[1].partial);
  CHECK(out[0].epochs_in_span == 1);
  CHECK(out[1].epochs_in_span == 2);
  CHECK(out[0].from_ns == out[0].start_ns);  // the first epoch's span is the epoch itself, not one before the trace
  CHECK(out[1].end_ns - out[1].start_ns == 300'000'000'000);
  CHECK(out[1].from_ns == out[0].start_ns);
  // The second epoch's span is the whole trace: the same input figures and the same rules.
  const auto& whole = out[1].result;
  CHECK(whole.input.packets == 30158);
  CHECK(whole.input.decoded == 30158);
  CHECK(whole.flows == batch.flows);
  CHECK(whole.items.size() == batch.items.size());
  CHECK(whole.windows == batch.windows);
  CHECK(whole.activity_entries == batch.activity_entries);
  CHECK(whole.input.start_ns == batch.input.start_ns);
  CHECK(whole.input.end_ns == batch.input.end_ns);
  CHECK(texts(whole) == texts(batch));
  CHECK(out[0].result.input.packets < 30158);
  // What is held is one record per flow per window, far fewer than the packets.
  CHECK(miner.held_records() == batch.activity_entries);
}

TEST_CASE("stream.an_epoch_counts_its_quiet_windows_to_its_end") {
  // Packets from 5 s to 30 s of a minute, then one at 70 s: the first epoch's N runs from its
  // first packet to its end (55 windows, where its last packet's window gave 26 before
  // 2026-12-07); the second, in progress when the stream ends, runs to its last packet.
  const std::int64_t t0 = 1'700'000'040'000'000'000;  // a minute's start (UTC)
  std::vector<packet> packets;
  for (int s = 5; s <= 30; ++s)
    packets.push_back(expose_test::make_packet(t0 + s * 1'000'000'000LL, "10.0.0.1", 5000, "10.0.0.2", 53, proto::udp));
  packets.push_back(expose_test::make_packet(t0 + 70'000'000'000LL, "10.0.0.1", 5001, "10.0.0.2", 53, proto::udp));
  stream_miner miner(pipeline<>{}, {.epoch = 1min, .history = 2});
  std::vector<epoch_result> out;
  for (const auto& p : packets) miner.add(p, [&](epoch_result&& e) { out.push_back(std::move(e)); });
  miner.finish([&](epoch_result&& e) { out.push_back(std::move(e)); });
  REQUIRE(out.size() == 2);
  CHECK(out[0].start_ns == t0);
  CHECK(out[0].result.windows == 55);  // from 5 s (the first packet) to 59 s
  CHECK(out[0].result.input.end_ns == t0 + 30'000'000'000LL);  // the packets' span stays the packets'
  CHECK(out[1].partial);
  CHECK(out[1].result.windows == 66);  // from 5 s to 70 s
  // The same packets mined at once: N runs from the first packet to the last.
  CHECK(mine(packets, pipeline<>{}).windows == 66);
}

TEST_CASE("stream.sliding_span_keeps_a_pattern_across_epoch_edges") {
  const auto packets = synth::demo{.seed = 1}.packets();
  stream_miner miner(pipeline<>{}, {.epoch = 1min, .history = 3});
  std::vector<epoch_result> out;
  for (const auto& p : packets) miner.add(p, [&](epoch_result&& e) { out.push_back(std::move(e)); });
  miner.finish([&](epoch_result&& e) { out.push_back(std::move(e)); });
  REQUIRE(out.size() == 10);
  std::uint64_t read = 0;
  for (std::size_t i = 0; i < out.size(); ++i) {
    CHECK(out[i].epochs_in_span == std::min<std::uint32_t>(static_cast<std::uint32_t>(i + 1), 3));
    CHECK(out[i].index == out[0].index + static_cast<std::int64_t>(i));
    // the span: the last 3 epochs, or back to the first epoch while fewer have passed
    CHECK(out[i].from_ns == out[i >= 2 ? i - 2 : 0].start_ns);
  }
  // Spans overlap: every record is counted in 3 spans, except at the start (1 + 2 fewer) and the end.
  for (const auto& e : out) read += e.result.input.packets;
  CHECK(read > 2 * 30158);
  // From the third epoch on, the NTP pair holds in every span (3 minutes of counts).
  for (std::size_t i = 2; i < out.size(); ++i) {
    const auto t = texts(out[i].result);
    const auto has = [&](const char* x) { return std::find(t.begin(), t.end(), x) != t.end(); };
    CHECK((has("10.0.0.21.123 : 10.0.0.1.123 : udp <=> 10.0.0.22.123 : 10.0.0.1.123 : udp") ||
           has("10.0.0.22.123 : 10.0.0.1.123 : udp <=> 10.0.0.21.123 : 10.0.0.1.123 : udp")));
  }
}

TEST_CASE("stream.epoch_must_be_whole_windows") {
  CHECK_THROWS_WITH_AS(stream_miner(pipeline<>{} | window_by(windows::tumbling{2s}), {.epoch = 3s}),
                       "stream: the epoch (3.000000 s) must be a whole number of windows (2.000000 s)", bad_argument);
  CHECK_THROWS_WITH_AS(stream_miner(pipeline<>{}, {.epoch = 1min, .history = 0}), "stream: the history must span at least one epoch",
                       bad_argument);
  stream_miner ok(pipeline<>{} | window_by(windows::tumbling{2s}), {.epoch = 10s});
  int emitted = 0;
  ok.finish([&](epoch_result&&) { ++emitted; });
  CHECK(emitted == 0);  // nothing held, nothing reported
}
