// What delays cost (delays.hpp): on the generated trace of the README's side-by-side table (1 h,
// 1000 hosts), BM_mine is a whole run, which now keeps 2 bytes an activity entry for when in its
// window each item was first active and measures every rule's delays; BM_time_rules is that
// measuring alone, over the same run's rules and items. Their ratio is the share of a run the
// delays take; the counters give the bytes the offsets add against the activity's.
//
//   build/bench/delays_bench --benchmark_repetitions=5 --benchmark_report_aggregates_only=true

#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdint>
#include <vector>

#include "expose/delays.hpp"
#include "expose/pipeline.hpp"
#include "expose/synth/generator.hpp"

using namespace expose;

namespace {
const synth::generator& trace() {
  static const synth::generator g{.seed = 1, .duration = std::chrono::hours(1), .hosts = 1000};
  return g;
}

/// The run's space and its rules before they are timed (made once).
struct timed_input {
  item_space space;
  std::vector<rule> rules;
  double window_seconds = 1;
};
const timed_input& input() {
  static const timed_input in = [] {
    timed_input t;
    const pipeline<> spec{};
    mine_result r;
    ingest<keys::five_tuple, windows::tumbling> feed(spec.key, spec.window, {}, r);
    input_stats stats;
    trace().read([&](const packet& p) { feed.take(p); }, stats);
    activity a = std::move(feed).finish();
    t.space = generalize_items(r, std::move(a), spec);
    auto counted = count_pairs(t.space, spec);
    item_space copy = t.space;
    finish_rules(r, std::move(copy), std::move(counted), spec);
    t.rules = r.rules;
    t.window_seconds = r.window_seconds;
    return t;
  }();
  return in;
}
}  // namespace

static void BM_mine(benchmark::State& state) {
  for (auto _ : state) {
    auto r = mine(trace(), pipeline<>{});
    benchmark::DoNotOptimize(r.rules.data());
  }
}
BENCHMARK(BM_mine)->Unit(benchmark::kMillisecond)->Iterations(3);

static void BM_time_rules(benchmark::State& state) {
  const auto& in = input();
  for (auto _ : state) {
    auto rules = in.rules;
    time_rules(rules, in.space, in.window_seconds);
    benchmark::DoNotOptimize(rules.data());
  }
  const auto& w = in.space.windows;
  const auto& h = in.space.hosts;
  const double entries = static_cast<double>(w.entries() + h.entries());
  state.counters["rules"] = static_cast<double>(in.rules.size());
  state.counters["entries"] = entries;
  // the activity as held (after generalization the window matrix by item alone, with its offsets;
  // the host matrix by item alone, its rows per window)
  const auto bytes = [](const auto& v) { return static_cast<double>(v.size() * sizeof(v[0])); };
  const auto held = [&](const expose::activity& m) {
    return bytes(m.windows) + bytes(m.window_start) + bytes(m.window_items) + bytes(m.item_start) + bytes(m.item_windows) +
           bytes(m.item_offsets);
  };
  state.counters["activity_MB"] = (held(w) + held(h) + bytes(in.space.host_window_start)) / 1e6;
  state.counters["offsets_MB"] = 2.0 * static_cast<double>(w.entries()) / 1e6;
}
BENCHMARK(BM_time_rules)->Unit(benchmark::kMillisecond);
