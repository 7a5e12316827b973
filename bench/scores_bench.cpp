// The J-measure over a vector of random pair counts: `jmeasure::score`, `score` then `accepts`
// (what an engine without the kernel does per pair), and the kernel the engine uses
// (`prepare(N).keep`: support and direction tested first, log2 from a table), with the default
// thresholds and with min_score 0 / min_support 1 (every positively associated pair scored).
// Beside them the floor: a loop that only reads the counts.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include <benchmark/benchmark.h>

#include "expose/detail/random.hpp"
#include "expose/rule.hpp"
#include "expose/scores/jmeasure.hpp"

namespace {

using expose::pair_counts;
using expose::scores::jmeasure;

constexpr std::uint64_t samples = 3600;  // an hour of 1-s windows

/// Counts as the engine meets them: n_x, n_y skewed towards few windows, 1 <= n_xy <= min(n_x, n_y).
const std::vector<pair_counts>& inputs() {
  static const std::vector<pair_counts> v = [] {
    expose::detail::splitmix64 rng(42);
    auto skewed = [&] {  // log-uniform in [1, N)
      return std::max<std::uint64_t>(1, static_cast<std::uint64_t>(std::exp2(rng.unit() * std::log2(double(samples)))));
    };
    std::vector<pair_counts> out(1 << 20);
    for (auto& c : out) {
      c.n = samples;
      c.n_x = skewed();
      c.n_y = skewed();
      c.n_xy = 1 + rng.below(std::min(c.n_x, c.n_y));
    }
    return out;
  }();
  return v;
}

void rate(benchmark::State& state) {
  const auto n = static_cast<std::int64_t>(inputs().size());
  state.SetItemsProcessed(state.iterations() * n);
  state.SetBytesProcessed(state.iterations() * n * static_cast<std::int64_t>(sizeof(pair_counts)));
}

/// Baseline: read every count, compute nothing (the floor any score sits on).
void BM_read_counts(benchmark::State& state) {
  const auto& v = inputs();
  for (auto _ : state) {
    std::uint64_t sum = 0;
    for (const auto& c : v) sum += c.n_x ^ c.n_y ^ c.n_xy;
    benchmark::DoNotOptimize(sum);
  }
  rate(state);
}
BENCHMARK(BM_read_counts)->Unit(benchmark::kMicrosecond);

void BM_jmeasure_score(benchmark::State& state) {
  const auto& v = inputs();
  for (auto _ : state) {
    double sum = 0;
    for (const auto& c : v) sum += jmeasure::score(c);
    benchmark::DoNotOptimize(sum);
  }
  rate(state);
}
BENCHMARK(BM_jmeasure_score)->Unit(benchmark::kMicrosecond);

/// What an engine without the kernel does per pair: score, then the acceptance test.
void BM_jmeasure_score_accepts(benchmark::State& state) {
  const auto& v = inputs();
  const jmeasure j = state.range(0) == 0 ? jmeasure{} : jmeasure{.min_score = 0, .min_support = 1};
  std::size_t kept = 0;
  for (auto _ : state) {
    kept = 0;
    for (const auto& c : v) kept += j.accepts(c, jmeasure::score(c)) ? 1 : 0;
    benchmark::DoNotOptimize(kept);
  }
  rate(state);
  state.counters["kept"] = static_cast<double>(kept) / static_cast<double>(v.size());
}
BENCHMARK(BM_jmeasure_score_accepts)->ArgName("min_score_0")->Arg(0)->Arg(1)->Unit(benchmark::kMicrosecond);

/// The engine's kernel; it must keep what `score` + `accepts` keep, with the same score.
void BM_jmeasure_kernel_keep(benchmark::State& state) {
  const auto& v = inputs();
  const jmeasure j = state.range(0) == 0 ? jmeasure{} : jmeasure{.min_score = 0, .min_support = 1};
  const auto kernel = j.prepare(samples);
  std::size_t kept = 0;
  for (const auto& c : v) {
    double s = 0;
    const bool k = kernel.keep(c, s);
    const double ref = jmeasure::score(c);
    if (k != j.accepts(c, ref) || (k && std::abs(s - ref) > 1e-9)) {
      state.SkipWithError("jmeasure::kernel::keep disagrees with score + accepts");
      return;
    }
    kept += k ? 1 : 0;
  }
  for (auto _ : state) {
    std::size_t n = 0;
    double sum = 0;
    for (const auto& c : v) {
      double s = 0;
      if (kernel.keep(c, s)) {
        ++n;
        sum += s;
      }
    }
    benchmark::DoNotOptimize(n);
    benchmark::DoNotOptimize(sum);
  }
  rate(state);
  state.counters["kept"] = static_cast<double>(kept) / static_cast<double>(v.size());
}
BENCHMARK(BM_jmeasure_kernel_keep)->ArgName("min_score_0")->Arg(0)->Arg(1)->Unit(benchmark::kMicrosecond);

}  // namespace
