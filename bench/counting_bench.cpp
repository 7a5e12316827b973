// The counting engines on one synthetic activity matrix: Gustavson rows (the library's engine, one
// and two threads), the brute-force reference (small matrix only: it is quadratic in items) and the
// obvious baseline, Eigen's sparse A'A with its nonzeros scored afterwards.
//
// Items processed is the same number for every engine on a matrix: the pair-increments of the
// whole product A'A, sum over windows of (active items)^2, so items/s compare directly and the
// ratio of two rates is the speed-up. An engine that prunes does fewer increments in fact (the
// `done` counter says how many); its rate is then the rate it delivers the whole job at.
//
// Four scorer settings, the same for every engine:
//   all       J-measure, min_score 0, min_support 1: every co-occurring pair is scored and nearly
//             all are kept (any positive association), so the output is as large as the product;
//   none      the same scoring, nothing kept: counting and scoring without the output's cost;
//   count     nothing scored (the "score" is n_xy) and nothing kept: counting alone;
//   default   J-measure with its default thresholds: the engines may prune before counting.
// The J-measure offers the engine a kernel (`prepare(N)`: support and direction tested before any
// logarithm, log2 from a table); Gustavson uses it. The Eigen baseline scores each nonzero the
// obvious way, `score` then `accepts`, and once more with the kernel (`eigen_AtA_kernel`), so the
// two Eigen rows separate the counting from the scoring.
// (`all` is left out on the big matrix: its output alone would be several GB.)
//
// Flags: --large adds the big matrix. Before running, every engine must find the same rules on
// the small matrix as brute force does.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <initializer_list>
#include <map>
#include <numeric>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include <benchmark/benchmark.h>

#include "expose/activity.hpp"
#include "expose/detail/random.hpp"
#include "expose/engine/brute_force.hpp"
#include "expose/engine/gustavson.hpp"
#include "expose/rule.hpp"
#include "expose/scores/jmeasure.hpp"

#ifdef EXPOSE_BENCH_EIGEN
#include <Eigen/SparseCore>
#endif

namespace {

using expose::activity;
using expose::pair_counts;
using expose::scored_pair;
using expose::scores::jmeasure;

// ---------------------------------------------------------------------------------------------
// The matrix: skewed item activity (most items in a few windows, a few in most), some planted
// groups of items that come and go together, about `per_window` active items per window.

struct shape {
  const char* name;
  std::size_t windows;
  std::size_t items;
  double per_window;
};

// small enough for brute force; an hour of 1-s windows with 20k flows; two hours with 40k flows
// and 150 active per window (run with --large).
constexpr shape shapes[] = {
    {"small", 3600, 1500, 20},
    {"hour", 3600, 20000, 100},
    {"big", 7200, 40000, 150},
};

struct workload {
  activity a;
  std::uint64_t increments = 0;  // sum over windows of k^2: the work of the whole A'A
  std::uint64_t pairs = 0;       // distinct co-occurring ordered pairs x != y: the scores computed
};

activity make_activity(const shape& sh, std::uint64_t seed) {
  expose::detail::splitmix64 rng(seed);
  const std::size_t n = sh.windows, m = sh.items;
  const double target = static_cast<double>(n) * sh.per_window;
  const double cap = 0.9 * static_cast<double>(n);  // nothing active in every window

  // Activity counts by rank, a power law clamped to [1, cap], scaled to the target total.
  constexpr double s = 0.9;
  auto counts_for = [&](double k) {
    std::vector<std::size_t> c(m);
    for (std::size_t r = 0; r < m; ++r)
      c[r] = static_cast<std::size_t>(std::clamp(std::round(k * std::pow(static_cast<double>(r + 1), -s)), 1.0, cap));
    return c;
  };
  double lo = 0, hi = target;
  for (int i = 0; i < 60; ++i) {
    const double mid = (lo + hi) / 2;
    const auto c = counts_for(mid);
    (static_cast<double>(std::accumulate(c.begin(), c.end(), std::size_t{0})) < target ? lo : hi) = mid;
  }
  const auto count = counts_for(hi);

  // Item ids in random order of rank, so the heavy items are spread over the id space.
  std::vector<std::uint32_t> id(m);
  std::iota(id.begin(), id.end(), 0u);
  for (std::size_t i = m; i > 1; --i) std::swap(id[i - 1], id[rng.below(i)]);

  std::vector<std::vector<std::uint32_t>> wins(m);
  std::vector<char> mark(n, 0);
  auto sample = [&](std::size_t c) {
    std::vector<std::uint32_t> w;
    w.reserve(c);
    while (w.size() < c) {
      const auto x = static_cast<std::uint32_t>(rng.below(n));
      if (!mark[x]) {
        mark[x] = 1;
        w.push_back(x);
      }
    }
    for (auto x : w) mark[x] = 0;
    std::sort(w.begin(), w.end());
    return w;
  };
  for (std::size_t r = 0; r < m; ++r) wins[id[r]] = sample(count[r]);

  // Planted groups among the middle ranks: followers repeat their leader's windows (90 % of them).
  const std::size_t groups = m / 50;
  for (std::size_t g = 0; g < groups; ++g) {
    const std::size_t leader = m / 100 + rng.below(m / 4);
    const std::size_t size = 1 + rng.below(3);
    for (std::size_t f = 1; f <= size && leader + f < m; ++f) {
      std::vector<std::uint32_t> w;
      for (auto x : wins[id[leader]])
        if (rng.chance(0.9)) w.push_back(x);
      if (!w.empty()) wins[id[leader + f]] = std::move(w);
    }
  }

  std::vector<std::pair<std::int64_t, std::uint32_t>> entries;
  for (std::uint32_t x = 0; x < m; ++x)
    for (auto w : wins[x]) entries.emplace_back(w, x);
  std::sort(entries.begin(), entries.end());
  return activity::from_sorted(entries, m, n);
}

const workload& matrix(std::size_t i) {
  static std::map<std::size_t, workload> cache;
  auto it = cache.find(i);
  if (it == cache.end()) {
    workload w{make_activity(shapes[i], 0x5eed + i), 0};
    for (std::size_t k = 0; k < w.a.windows.size(); ++k) {
      const std::uint64_t len = w.a.items_in(k).size();
      w.increments += len * len;
    }
    std::vector<char> seen(w.a.items(), 0);
    std::vector<std::uint32_t> row;
    for (std::uint32_t x = 0; x < w.a.items(); ++x) {
      for (auto win : w.a.windows_of(x))
        for (auto y : w.a.items_in(win))
          if (y != x && !seen[y]) {
            seen[y] = 1;
            row.push_back(y);
          }
      w.pairs += row.size();
      for (auto y : row) seen[y] = 0;
      row.clear();
    }
    it = cache.emplace(i, std::move(w)).first;
  }
  return it->second;
}

// ---------------------------------------------------------------------------------------------
// Scorer settings.

/// Scores every pair as `jmeasure{0, 1}` does and keeps none: the bound it compares with is
/// unreachable (J <= log2 N) but unknown to the compiler, so the score is computed.
struct score_keep_none {
  jmeasure j{.min_score = 0, .min_support = 1};
  double never = 1e300;
  [[nodiscard]] static double score(const pair_counts& c) { return jmeasure::score(c); }
  [[nodiscard]] bool accepts(const pair_counts&, double s) const { return s > never; }
  [[nodiscard]] bool can_head(std::uint64_t n_x, std::uint64_t n) const { return j.can_head(n_x, n); }
  [[nodiscard]] bool can_appear(std::uint64_t n_x, std::uint64_t n) const { return j.can_appear(n_x, n); }
};
static_assert(expose::ScorePolicy<score_keep_none>);

/// Counting alone: the "score" is the pair count itself (no logarithms), nothing kept.
struct count_keep_none : score_keep_none {
  [[nodiscard]] static double score(const pair_counts& c) { return static_cast<double>(c.n_xy); }
};
static_assert(expose::ScorePolicy<count_keep_none>);

struct count_only {
  static count_keep_none make() { return {}; }
};
struct keep_all {
  static jmeasure make() { return {.min_score = 0, .min_support = 1}; }
};
struct keep_none {
  static score_keep_none make() { return {}; }
};
struct defaults {
  static jmeasure make() { return {}; }
};

// ---------------------------------------------------------------------------------------------
// The Eigen baseline: A (windows x items, column-major, which is the activity's item form), the
// product A'A, its nonzeros scored column by column (column x, rows y ascending: sorted output).

/// Scores one pair and says whether it is kept: with the scorer's kernel when `Kernel` and the
/// scorer has one (as the engine does), else `score` then `accepts`.
struct no_kernel {};
template <class S, bool Prepared>
struct kernel_of {
  using type = no_kernel;
};
template <class S>
struct kernel_of<S, true> {
  using type = decltype(std::declval<const S&>().prepare(std::uint64_t{}));
};

template <bool Kernel, class S>
struct keeper {
  static constexpr bool prepared = Kernel && requires(const S& s) { s.prepare(std::uint64_t{}); };
  const S& scorer;
  typename kernel_of<S, prepared>::type kernel;
  keeper(const S& s, std::uint64_t samples) : scorer(s), kernel(make(s, samples)) {}
  static typename kernel_of<S, prepared>::type make(const S& s, std::uint64_t samples) {
    if constexpr (prepared) return s.prepare(samples);
    else return {};
  }
  bool operator()(const pair_counts& c, double& score) const {
    if constexpr (prepared) {
      return kernel.keep(c, score);
    } else {
      score = scorer.score(c);
      return scorer.accepts(c, score);
    }
  }
};

#ifdef EXPOSE_BENCH_EIGEN
using sparse = Eigen::SparseMatrix<int, Eigen::ColMajor, int>;

/// A with the columns of the selected items only (`keep` maps item -> column or -1).
sparse columns_of(const activity& a, const std::vector<int>& keep, int cols) {
  sparse s(static_cast<int>(a.windows.size()), cols);
  std::vector<int> nnz(static_cast<std::size_t>(cols), 0);
  for (std::uint32_t x = 0; x < a.items(); ++x)
    if (keep[x] >= 0) nnz[static_cast<std::size_t>(keep[x])] = static_cast<int>(a.count(x));
  s.reserve(nnz);
  for (std::uint32_t x = 0; x < a.items(); ++x)
    if (keep[x] >= 0)
      for (auto w : a.windows_of(x)) s.insert(static_cast<int>(w), keep[x]) = 1;
  s.makeCompressed();
  return s;
}

template <bool Pruned, bool Kernel, class S>
std::vector<scored_pair> eigen_full(const activity& a, const S& scorer) {
  const keeper<Kernel, S> keep(scorer, a.samples);
  std::vector<int> all(a.items());
  std::iota(all.begin(), all.end(), 0);
  const sparse A = columns_of(a, all, static_cast<int>(a.items()));
  sparse C;
  if constexpr (Pruned) C = (A.transpose() * A).pruned();
  else C = A.transpose() * A;
  std::vector<scored_pair> out;
  for (int x = 0; x < C.outerSize(); ++x) {
    const std::uint64_t n_x = a.count(static_cast<std::uint32_t>(x));
    for (sparse::InnerIterator it(C, x); it; ++it) {
      if (it.row() == x) continue;
      const auto y = static_cast<std::uint32_t>(it.row());
      const pair_counts c{n_x, a.count(y), static_cast<std::uint64_t>(it.value()), a.samples};
      double s = 0;
      if (keep(c, s)) out.push_back({static_cast<std::uint32_t>(x), y, c, s});
    }
  }
  return out;
}

/// The same baseline given all the engine has (its pruning and the scorer's kernel): A_appear'
/// A_head, only the columns that can take part in a rule against only those that can head one.
template <class S>
std::vector<scored_pair> eigen_pruned(const activity& a, const S& scorer) {
  const keeper<true, S> keep(scorer, a.samples);
  const auto m = static_cast<std::uint32_t>(a.items());
  std::vector<int> appear(m, -1), head(m, -1);
  std::vector<std::uint32_t> appear_item, head_item;
  for (std::uint32_t x = 0; x < m; ++x) {
    if (!scorer.can_appear(a.count(x), a.samples)) continue;
    appear[x] = static_cast<int>(appear_item.size());
    appear_item.push_back(x);
    if (!scorer.can_head(a.count(x), a.samples)) continue;
    head[x] = static_cast<int>(head_item.size());
    head_item.push_back(x);
  }
  const sparse Aa = columns_of(a, appear, static_cast<int>(appear_item.size()));
  const sparse Ah = columns_of(a, head, static_cast<int>(head_item.size()));
  const sparse C = Aa.transpose() * Ah;  // appear x head
  std::vector<scored_pair> out;
  for (int k = 0; k < C.outerSize(); ++k) {
    const std::uint32_t x = head_item[static_cast<std::size_t>(k)];
    for (sparse::InnerIterator it(C, k); it; ++it) {
      const std::uint32_t y = appear_item[static_cast<std::size_t>(it.row())];
      if (y == x) continue;
      const pair_counts c{a.count(x), a.count(y), static_cast<std::uint64_t>(it.value()), a.samples};
      double s = 0;
      if (keep(c, s)) out.push_back({x, y, c, s});
    }
  }
  return out;
}
#endif

// ---------------------------------------------------------------------------------------------
// The engines behind one interface.

template <unsigned Threads>
struct gustavson {
  static constexpr bool prunes = true;
  template <class S>
  static std::vector<scored_pair> run(const activity& a, const S& s) {
    return expose::engine::gustavson{Threads}.count(a, s);
  }
};
struct brute_force {
  static constexpr bool prunes = false;
  template <class S>
  static std::vector<scored_pair> run(const activity& a, const S& s) {
    return expose::engine::brute_force{}.count(a, s);
  }
};
#ifdef EXPOSE_BENCH_EIGEN
struct eigen_product {
  static constexpr bool prunes = false;
  template <class S>
  static std::vector<scored_pair> run(const activity& a, const S& s) { return eigen_full<false, false>(a, s); }
};
struct eigen_product_kernel {
  static constexpr bool prunes = false;
  template <class S>
  static std::vector<scored_pair> run(const activity& a, const S& s) { return eigen_full<false, true>(a, s); }
};
struct eigen_product_pruned {
  static constexpr bool prunes = false;
  template <class S>
  static std::vector<scored_pair> run(const activity& a, const S& s) { return eigen_full<true, false>(a, s); }
};
struct eigen_pruned_columns {
  static constexpr bool prunes = true;
  template <class S>
  static std::vector<scored_pair> run(const activity& a, const S& s) { return eigen_pruned(a, s); }
};
#endif

/// The increments a Gustavson engine really does under a scorer: heads times the kept items of
/// each of their windows.
template <class S>
std::uint64_t increments_done(const activity& a, const S& scorer) {
  std::vector<std::uint64_t> kept(a.windows.size(), 0);
  for (std::size_t w = 0; w < a.windows.size(); ++w)
    for (auto y : a.items_in(w)) kept[w] += scorer.can_appear(a.count(y), a.samples) ? 1 : 0;
  std::uint64_t done = 0;
  for (std::uint32_t x = 0; x < a.items(); ++x)
    if (scorer.can_appear(a.count(x), a.samples) && scorer.can_head(a.count(x), a.samples))
      for (auto w : a.windows_of(x)) done += kept[w];
  return done;
}

template <class Engine, class Setting>
void BM_count(benchmark::State& state, std::size_t shape_index) {
  const workload& w = matrix(shape_index);
  auto scorer = Setting::make();
  benchmark::DoNotOptimize(scorer);  // thresholds the compiler cannot fold ("keep none" must score)
  std::size_t rules = 0;
  for (auto _ : state) {
    auto found = Engine::run(w.a, scorer);
    rules = found.size();
    benchmark::DoNotOptimize(found.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * w.increments));
  state.counters["rules"] = static_cast<double>(rules);
  // brute force merges window lists instead; the full products do every increment
  if constexpr (!std::is_same_v<Engine, brute_force>)
    state.counters["done"] = static_cast<double>(Engine::prunes ? increments_done(w.a, scorer) : w.increments);
}

template <class Engine, class Setting>
void add(const char* engine, const char* setting, std::initializer_list<int> on) {
  for (int i : on)
    benchmark::RegisterBenchmark((std::string("count/") + setting + "/" + engine + "/" + shapes[i].name).c_str(),
                                 BM_count<Engine, Setting>, static_cast<std::size_t>(i))
        ->Unit(benchmark::kMillisecond)
        ->MeasureProcessCPUTime()  // the CPU column: every thread's CPU time, not the main thread's
        ->UseRealTime();           // the Time column (and the rates): wall time
}

/// small: every engine; hour: all but the quadratic ones and a few redundant rows (to keep the
/// default run near 40 s); big (with --large only): without the keep-everything setting (its
/// output alone would be several GB). Brute force scores every pair whatever the setting.
void register_all(bool large) {
  add<brute_force, keep_all>("brute_force", "all", {0});
  add<brute_force, defaults>("brute_force", "default", {0});
  add<gustavson<1>, keep_all>("gustavson_t1", "all", {0, 1});
  add<gustavson<2>, keep_all>("gustavson_t2", "all", {0});  // its output sort is single-threaded
  add<gustavson<1>, keep_none>("gustavson_t1", "none", {0, 1});
  add<gustavson<2>, keep_none>("gustavson_t2", "none", {0, 1});
  add<gustavson<1>, count_only>("gustavson_t1", "count", {0, 1});
  add<gustavson<2>, count_only>("gustavson_t2", "count", {0, 1});
  add<gustavson<1>, defaults>("gustavson_t1", "default", {0, 1});
  add<gustavson<2>, defaults>("gustavson_t2", "default", {0, 1});
  if (large) {
    add<gustavson<1>, keep_none>("gustavson_t1", "none", {2});
    add<gustavson<2>, keep_none>("gustavson_t2", "none", {2});
    add<gustavson<1>, count_only>("gustavson_t1", "count", {2});
    add<gustavson<2>, count_only>("gustavson_t2", "count", {2});
    add<gustavson<1>, defaults>("gustavson_t1", "default", {2});
    add<gustavson<2>, defaults>("gustavson_t2", "default", {2});
  }
#ifdef EXPOSE_BENCH_EIGEN
  // (A'A).pruned() takes Eigen's other product (AmbiVector), several times slower: small only.
  add<eigen_product_pruned, keep_all>("eigen_AtA_pruned", "all", {0});
  add<eigen_product, keep_all>("eigen_AtA", "all", {0, 1});
  add<eigen_product_kernel, keep_all>("eigen_AtA_kernel", "all", {0});
  add<eigen_product, keep_none>("eigen_AtA", "none", {0, 1});
  add<eigen_product, count_only>("eigen_AtA", "count", {0, 1});
  add<eigen_product, defaults>("eigen_AtA", "default", {0, 1});
  add<eigen_product_kernel, defaults>("eigen_AtA_kernel", "default", {0, 1});
  add<eigen_pruned_columns, defaults>("eigen_AtA_pruned_columns", "default", {0, 1});
  if (large) {
    add<eigen_product, keep_none>("eigen_AtA", "none", {2});
    add<eigen_product, count_only>("eigen_AtA", "count", {2});
    add<eigen_product, defaults>("eigen_AtA", "default", {2});
    add<eigen_product_kernel, defaults>("eigen_AtA_kernel", "default", {2});
    add<eigen_pruned_columns, defaults>("eigen_AtA_pruned_columns", "default", {2});
  }
#endif
}

/// Every engine must find the same rules on the small matrix, or the rates mean nothing.
template <class Setting>
bool agree(const char* name, bool brute) {
  const activity& a = matrix(0).a;
  const auto s = Setting::make();
  const auto ref = brute ? brute_force::run(a, s) : gustavson<1>::run(a, s);
  bool ok = true;
  // the same pairs and counts; the scores to 1e-9 (a log2 table and std::log2 differ in the last bits)
  auto same = [](const scored_pair& l, const scored_pair& r) {
    return l.x == r.x && l.y == r.y && l.counts == r.counts && std::abs(l.score - r.score) <= 1e-9;
  };
  auto check = [&](const char* engine, const std::vector<scored_pair>& got) {
    if (std::equal(got.begin(), got.end(), ref.begin(), ref.end(), same)) return;
    std::fprintf(stderr, "counting_bench: %s finds %zu rules with %s, the reference %zu (or other ones)\n", engine, got.size(), name,
                 ref.size());
    ok = false;
  };
  check("gustavson(1)", gustavson<1>::run(a, s));
  check("gustavson(2)", gustavson<2>::run(a, s));
#ifdef EXPOSE_BENCH_EIGEN
  check("eigen", eigen_product::run(a, s));
  check("eigen with the kernel", eigen_product_kernel::run(a, s));
  check("eigen pruned()", eigen_product_pruned::run(a, s));
  check("eigen pruned columns", eigen_pruned_columns::run(a, s));
#endif
  return ok;
}

}  // namespace

/// Own flags: --large adds the big matrix (a few minutes more).
int main(int argc, char** argv) {
  bool large = false;
  int kept = 1;
  for (int i = 1; i < argc; ++i) {
    if (std::string_view(argv[i]) == "--large") large = true;
    else argv[kept++] = argv[i];
  }
  argc = kept;
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  // brute force is the reference for the keep-everything setting (every positive pair, its counts
  // and score); with the default thresholds the others must agree with each other
  if (!(agree<keep_all>("min_score 0", true) & agree<defaults>("the default thresholds", false))) return 1;
  register_all(large);
  for (std::size_t i = 0; i < (large ? 3u : 2u); ++i) {
    const auto& w = matrix(i);
    std::size_t rare = 0;
    std::uint64_t busiest = 0;
    for (std::uint32_t x = 0; x < w.a.items(); ++x) {
      rare += w.a.count(x) <= 3 ? 1 : 0;
      busiest = std::max(busiest, w.a.count(x));
    }
    benchmark::AddCustomContext(std::string("matrix ") + shapes[i].name,
                                std::to_string(w.a.samples) + " windows, " + std::to_string(w.a.items()) + " items, " +
                                    std::to_string(w.a.entries()) + " entries, " + std::to_string(w.increments) +
                                    " pair-increments, " + std::to_string(w.pairs) + " distinct pairs, " +
                                    std::to_string(rare) + " items in <= 3 windows, busiest item in " +
                                    std::to_string(busiest) + " windows");
  }
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
