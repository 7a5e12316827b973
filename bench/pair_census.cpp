// pair_census: how many pairs a trace's window items make, and how they would spread over ranks
// counted by window range: the figures docs/scale-out.md weighs the ways of counting across
// machines by. Not a timing: counts, the same on every run.
//
//   pair_census TRACE... [--ranges 2,8,64]
//
// Reads the traces with the library's default pipeline (expose-mine's default options: five-tuple
// flows, one-second windows, the paper's templates, the J-measure with the exact test), makes the
// items and counts the window items' pairs as a run does, then walks the window matrix:
//   - the window items and their entries (item, window), and those of the items that can appear in
//     a rule (seen in enough windows, scorer.can_appear): only these take part in counting;
//   - pair increments (x < y, one per window both are in) and distinct co-occurring pairs, over all
//     items and over those that can appear (the hypotheses are every pair of the latter);
//   - for each number of ranges R: the window positions cut into R equal ranges, the pairs each
//     range sees (a pair counted in two ranges is two partial counts), summed over the ranges:
//     what counting by window range would send to be added up by pair;
//   - the pairs the engine keeps (scored) and the significant ones.

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "expose/expose.hpp"
#include "expose/io/pcap_file.hpp"

namespace {

/// The window -> items form of a matrix, made from its item -> windows form (the window items'
/// matrix is handed over without it).
void make_window_major(expose::activity& a) {
  if (a.window_major()) return;
  const std::size_t rows = a.rows();
  a.window_start.assign(rows + 1, 0);
  for (const auto w : a.item_windows) ++a.window_start[w + 1];
  for (std::size_t w = 0; w < rows; ++w) a.window_start[w + 1] += a.window_start[w];
  a.window_items.resize(a.item_windows.size());
  auto at = a.window_start;
  for (std::uint32_t x = 0; x < a.items(); ++x)
    for (const auto w : a.windows_of(x)) a.window_items[at[w]++] = x;
}

/// Partial pairs (x < y, both in `in`) summed over `ranges` equal ranges of window positions:
/// a pair's windows in one range are one partial count.
std::uint64_t partial_pairs(const expose::activity& a, const std::vector<char>& in, std::uint64_t ranges) {
  const std::uint64_t rows = a.rows();
  std::vector<std::uint64_t> mark(a.items(), UINT64_MAX);  // the last (x, range) that met y
  std::uint64_t pairs = 0;
  for (std::uint32_t x = 0; x < a.items(); ++x) {
    if (in[x] == 0) continue;
    for (const auto w : a.windows_of(x)) {
      const std::uint64_t stamp = std::uint64_t{x} * ranges + std::uint64_t{w} * ranges / rows;
      for (const auto y : a.items_in(w)) {
        if (y <= x || in[y] == 0 || mark[y] == stamp) continue;
        mark[y] = stamp;
        ++pairs;
      }
    }
  }
  return pairs;
}

int run(const std::vector<std::filesystem::path>& traces, const std::vector<std::uint64_t>& ranges) {
  using namespace expose;
  const pipeline<> spec{};
  mine_result r;
  activity act;
  {
    io::pcap_files source(traces);
    ingest<keys::five_tuple, windows::tumbling> in(spec.key, spec.window, {}, r);
    source.read([&](const packet& p) { in.take(p); }, r.input);
    act = std::move(in).finish();
  }
  item_space space = generalize_items(r, std::move(act), spec);
  std::vector<scored_pair> pairs = count_window_pairs(space.windows, spec);
  const std::size_t scored = pairs.size();
  std::erase_if(pairs, [&](const scored_pair& p) { return space.overlap(p.x, p.y); });
  const std::uint64_t hypotheses = detail::testable_pairs(space.windows, spec.score);
  spec.score.filter(pairs, hypotheses, space);

  activity& a = space.windows;
  make_window_major(a);
  std::vector<char> all(a.items(), 1), can(a.items(), 0);
  std::uint64_t can_items = 0, can_entries = 0;
  for (std::uint32_t x = 0; x < a.items(); ++x) {
    can[x] = spec.score.can_appear(a.count(x), a.samples) ? 1 : 0;
    can_items += can[x];
    can_entries += can[x] != 0 ? a.count(x) : 0;
  }
  std::uint64_t increments = 0, can_increments = 0;
  for (std::size_t w = 0; w < a.rows(); ++w) {
    const auto items = a.items_in(w);
    std::uint64_t k = 0;
    for (const auto y : items) k += can[y];
    increments += items.size() * (items.size() - 1) / 2;
    can_increments += k * (k > 0 ? k - 1 : 0) / 2;
  }
  std::printf("packets %llu, flows %llu, windows %zu\n", static_cast<unsigned long long>(r.input.packets), static_cast<unsigned long long>(r.flows), a.rows());
  std::printf("window items %zu with %zu entries; can appear %llu with %llu entries\n", a.items(), a.entries(),
              static_cast<unsigned long long>(can_items), static_cast<unsigned long long>(can_entries));
  std::printf("pair increments %llu (can appear %llu); hypotheses %llu\n", static_cast<unsigned long long>(increments),
              static_cast<unsigned long long>(can_increments), static_cast<unsigned long long>(hypotheses));
  std::printf("distinct co-occurring pairs %llu (can appear %llu)\n", static_cast<unsigned long long>(partial_pairs(a, all, 1)),
              static_cast<unsigned long long>(partial_pairs(a, can, 1)));
  for (const auto n : ranges) {
    const auto p = partial_pairs(a, can, n);
    std::printf("%llu ranges: partial pairs (can appear) %llu, %.0f a range\n", static_cast<unsigned long long>(n),
                static_cast<unsigned long long>(p), static_cast<double>(p) / static_cast<double>(n));
  }
  std::printf("pairs kept by the engine %zu; significant %zu\n", scored, pairs.size());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::filesystem::path> traces;
  std::vector<std::uint64_t> ranges{2, 8, 64};
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--ranges" && i + 1 < argc) {
      ranges.clear();
      for (std::string list = argv[++i]; !list.empty();) {
        const auto comma = list.find(',');
        const std::string one = list.substr(0, comma);
        char* end = nullptr;
        const unsigned long long n = std::strtoull(one.c_str(), &end, 10);
        if (one.empty() || *end != '\0' || n == 0) {
          std::fprintf(stderr, "pair_census: --ranges: '%s' is not a positive number\n", one.c_str());
          return 2;
        }
        ranges.push_back(n);
        list = comma == std::string::npos ? "" : list.substr(comma + 1);
      }
    } else if (arg.starts_with("-")) {
      std::fprintf(stderr, "usage: pair_census TRACE... [--ranges 2,8,64]\n");
      return 2;
    } else {
      traces.emplace_back(arg);
    }
  }
  if (traces.empty()) {
    std::fprintf(stderr, "usage: pair_census TRACE... [--ranges 2,8,64]\n");
    return 2;
  }
  try {
    return run(traces, ranges);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "pair_census: %s\n", e.what());
    return 1;
  }
}
