// Windowing a packet stream into activity: `activity_builder::add` per packet (window from
// `windows::tumbling`), then `finish`, beside the obvious implementation: every (window, item)
// pair collected, sorted, deduplicated, then `activity::from_sorted`. Streams: the demo trace;
// an hour of synthetic traffic (5 M packets, 100 k flows, skewed); the same hour with 1 % of the
// packets a second or two late, as when two sensors' captures are merged.

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <limits>
#include <utility>
#include <vector>

#include <benchmark/benchmark.h>

#include "expose/activity.hpp"
#include "expose/detail/random.hpp"
#include "expose/flow_table.hpp"
#include "expose/synth/demo.hpp"
#include "expose/windows/tumbling.hpp"

namespace {

using expose::activity;

struct stream {
  std::vector<std::pair<std::int64_t, std::uint32_t>> packets;  // (timestamp ns, item)
  std::size_t items = 0;
};

/// The demo trace, each packet's item its flow.
stream demo_stream() {
  stream s;
  expose::flow_table table;
  for (const auto& p : expose::synth::demo{}.packets()) s.packets.emplace_back(p.ts_ns, table.find_or_insert(p).id);
  s.items = table.size();
  return s;
}

/// `packets` over an hour, flows drawn from a power law over `flows` items.
stream synthetic_stream(std::size_t packets, std::size_t flows) {
  expose::detail::splitmix64 rng(99);
  std::vector<double> cdf(flows);
  double total = 0;
  for (std::size_t i = 0; i < flows; ++i) cdf[i] = total += std::pow(static_cast<double>(i + 1), -1.1);
  constexpr std::int64_t sec = 1'000'000'000, t0 = 1767600000LL * sec, span = 3600 * sec;
  stream s;
  s.items = flows;
  s.packets.reserve(packets);
  for (std::size_t i = 0; i < packets; ++i) {
    const std::int64_t t = t0 + static_cast<std::int64_t>(static_cast<double>(i) / static_cast<double>(packets) * span);
    const auto rank = static_cast<std::size_t>(std::upper_bound(cdf.begin(), cdf.end(), rng.unit() * total) - cdf.begin());
    s.packets.emplace_back(t, static_cast<std::uint32_t>(std::min(rank, flows - 1)));
  }
  return s;
}

/// The same stream with a fraction `late` of its packets a second or two late.
stream delayed(stream s, double late) {
  expose::detail::splitmix64 rng(100);
  constexpr std::int64_t sec = 1'000'000'000;
  for (auto& p : s.packets)
    if (rng.chance(late)) p.first -= static_cast<std::int64_t>(1 + rng.below(2)) * sec;
  return s;
}

const stream& input(std::int64_t which) {
  static const stream demo = demo_stream();
  static const stream hour = synthetic_stream(5'000'000, 100'000);
  static const stream merged = delayed(hour, 0.01);
  return which == 0 ? demo : which == 1 ? hour : merged;
}
constexpr const char* names[] = {"demo", "hour", "hour, 1% late"};

const expose::windows::tumbling window{std::chrono::seconds{1}};

activity builder(const stream& s) {
  expose::activity_builder b;
  for (const auto& [ts, item] : s.packets) {
    const auto [lo, hi] = window.window_range(ts);
    for (auto w = lo; w <= hi; ++w) b.add(w, item);
  }
  return std::move(b).finish(s.items);
}

/// Baseline: every (window, item) pair, sorted and deduplicated, then the matrix.
activity sort_unique(const stream& s) {
  std::vector<std::pair<std::int64_t, std::uint32_t>> entries;
  entries.reserve(s.packets.size());
  std::int64_t lo = std::numeric_limits<std::int64_t>::max(), hi = std::numeric_limits<std::int64_t>::min();
  for (const auto& [ts, item] : s.packets) {
    const auto [first, last] = window.window_range(ts);
    for (auto w = first; w <= last; ++w) entries.emplace_back(w, item);
    lo = std::min(lo, first);
    hi = std::max(hi, last);
  }
  std::sort(entries.begin(), entries.end());
  entries.erase(std::unique(entries.begin(), entries.end()), entries.end());
  return activity::from_sorted(entries, s.items, hi < lo ? 0 : static_cast<std::uint64_t>(hi - lo) + 1);
}

template <activity (*Build)(const stream&)>
void BM_window(benchmark::State& state) {
  const stream& s = input(state.range(0));
  std::size_t entries = 0;
  for (auto _ : state) {
    activity a = Build(s);
    entries = a.entries();
    benchmark::DoNotOptimize(a.window_items.data());
  }
  static bool checked[3] = {};  // once per stream: both builds must give the same matrix
  if (!checked[state.range(0)]) {
    const activity l = builder(s), r = sort_unique(s);
    if (l.samples != r.samples || l.windows != r.windows || l.window_items != r.window_items ||
        l.item_windows != r.item_windows)
      state.SkipWithError("the two builds differ");
    checked[state.range(0)] = true;
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(s.packets.size()));
  state.counters["entries"] = static_cast<double>(entries);
  state.SetLabel(names[state.range(0)]);
}
BENCHMARK(BM_window<builder>)->Arg(0)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_window<sort_unique>)->Arg(0)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_window<builder>)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_window<sort_unique>)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond);

}  // namespace
