// Clustering the rule graph: spectral (recursive sweep cuts of the Fiedler vector) against the
// baseline, connected components, on the same graphs of up to 100 000 rules. Mining the trace that
// gives such a graph takes seconds (nfpuzzle_evidence04: 378 865 rules in about 2 s), so the
// clustering should take a small fraction of that. BM_join adds what the pipeline does after the
// cut: joining the pieces of one pattern (clusters/join.hpp) over the items' patterns.

#include <benchmark/benchmark.h>

#include <cstdint>
#include <vector>

#include "expose/clusters/components.hpp"
#include "expose/clusters/join.hpp"
#include "expose/clusters/spectral.hpp"
#include "expose/detail/random.hpp"

using namespace expose;

namespace {
// `groups` dense groups of `size` items (each pair a rule with probability 0.6), plus one weak
// rule per group to a random other group: ~0.3 * size^2 * groups rules.
std::vector<rule> planted_graph(std::uint32_t groups, std::uint32_t size, std::uint64_t seed) {
  detail::splitmix64 rng(seed);
  std::vector<rule> out;
  for (std::uint32_t g = 0; g < groups; ++g)
    for (std::uint32_t i = 0; i < size; ++i)
      for (std::uint32_t j = i + 1; j < size; ++j)
        if (rng.chance(0.6)) {
          rule r;
          r.lhs = g * size + i;
          r.rhs = g * size + j;
          r.score = 0.05 + 0.2 * rng.unit();
          out.push_back(r);
        }
  for (std::uint32_t g = 0; g < groups; ++g) {
    rule r;
    r.lhs = g * size;
    r.rhs = static_cast<std::uint32_t>(rng.below(groups)) * size + 1;
    r.score = 0.002;
    out.push_back(r);
  }
  return out;
}

template <class Policy>
void BM_cluster(benchmark::State& state) {
  const auto groups = static_cast<std::uint32_t>(state.range(0));
  const std::uint32_t size = 20;
  const auto rules = planted_graph(groups, size, 7);
  std::size_t found = 0;
  for (auto _ : state) {
    const auto c = Policy{}.cluster(rules, std::size_t{groups} * size);
    found = c.size();
    benchmark::DoNotOptimize(found);
  }
  state.counters["rules"] = static_cast<double>(rules.size());
  state.counters["clusters"] = static_cast<double>(found);
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(rules.size()));
}

// The groups' items as flows: group g's items are connections from client 10.1.(g/2) to distinct
// servers on port 80 (sport `*`), so two groups share a client and a port (instances to join),
// and every tenth item is widened to `client.* : *.80` (generic items for the views join).
std::vector<flow_pattern> planted_items(std::uint32_t groups, std::uint32_t size) {
  std::vector<flow_pattern> items;
  for (std::uint32_t g = 0; g < groups; ++g)
    for (std::uint32_t i = 0; i < size; ++i) {
      flow_pattern p = exact(flow_key{ip_address::v4(0x0a010000u + g / 2), ip_address::v4(0xc0000000u + g * size + i), 0, 80, proto::tcp});
      p.set(field::src_port, slot::any);
      if (i % 10 == 9) p.set(field::dst_ip, slot::any);
      items.push_back(p);
    }
  return items;
}

void BM_join(benchmark::State& state) {
  const auto groups = static_cast<std::uint32_t>(state.range(0));
  const std::uint32_t size = 20;
  const auto rules = planted_graph(groups, size, 7);
  const auto items = planted_items(groups, size);
  const std::vector<std::uint32_t> flows(items.size(), 3);
  const auto cut = clusters::spectral{}.cluster(rules, items.size());  // one cluster per group
  std::size_t found = 0;
  for (auto _ : state) {
    auto c = cut;
    clusters::join(c, rules, items, flows);
    found = c.size();
    benchmark::DoNotOptimize(found);
  }
  state.counters["rules"] = static_cast<double>(rules.size());
  state.counters["clusters_in"] = static_cast<double>(cut.size());
  state.counters["clusters"] = static_cast<double>(found);
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(rules.size()));
}
}  // namespace

// 100 groups: ~11 k rules; 900 groups: ~103 k rules.
BENCHMARK(BM_cluster<clusters::components>)->ArgName("groups")->Arg(100)->Arg(900)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_cluster<clusters::spectral>)->ArgName("groups")->Arg(100)->Arg(900)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_join)->ArgName("groups")->Arg(100)->Arg(900)->Unit(benchmark::kMillisecond);
