// The flow table: `flow_table::find_or_insert` (Boost's open-addressing flat map) beside the
// obvious implementation, std::unordered_map keyed by the same canonical key with the same hash
// and the same orientation rule. Workloads: the demo trace through a fresh table; a million new
// flows inserted; four million packets of a million known flows looked up.

#include <cstdint>
#include <tuple>
#include <unordered_map>
#include <vector>

#include <benchmark/benchmark.h>

#include "expose/address.hpp"
#include "expose/detail/random.hpp"
#include "expose/flow_key.hpp"
#include "expose/flow_table.hpp"
#include "expose/orientation.hpp"
#include "expose/packet.hpp"
#include "expose/synth/demo.hpp"

namespace {

using expose::flow_key;
using expose::packet;

/// Baseline: the same contract as `expose::flow_table`, on std::unordered_map.
class unordered_flow_table {
 public:
  expose::flow_table::hit find_or_insert(const packet& p) {
    flow_key k{p.src, p.dst, p.sport, p.dport, p.proto};
    const bool swap = std::tie(k.dst, k.dport) < std::tie(k.src, k.sport);
    const flow_key canonical = swap ? k.reversed() : k;
    auto [it, inserted] = index_.try_emplace(canonical, static_cast<std::uint32_t>(flows_.size()));
    if (inserted) flows_.push_back(expose::sender_is_initiator(p) ? k : k.reversed());
    return {it->second, inserted};
  }
  [[nodiscard]] std::size_t size() const noexcept { return flows_.size(); }

 private:
  std::unordered_map<flow_key, std::uint32_t, expose::flow_key_hash> index_;
  std::vector<flow_key> flows_;
};

const std::vector<packet>& demo_packets() {
  static const std::vector<packet> v = expose::synth::demo{}.packets();
  return v;
}

constexpr std::size_t many = 1'000'000;

/// One packet (client to server) of each of `many` random flows: 90 % IPv4, 10 % IPv6,
/// ephemeral client ports, a handful of service ports, TCP and UDP, no handshake flags.
const std::vector<packet>& flow_openers() {
  static const std::vector<packet> v = [] {
    expose::detail::splitmix64 rng(7);
    constexpr std::uint16_t services[] = {53, 80, 123, 443, 993, 3306, 5353, 8080};
    std::vector<packet> out(many);
    for (auto& p : out) {
      if (rng.chance(0.9)) {
        p.src = expose::ip_address::v4(0x0a000000u | static_cast<std::uint32_t>(rng.below(1u << 16)));
        p.dst = expose::ip_address::v4(static_cast<std::uint32_t>(rng.next()));
      } else {
        std::uint8_t b[16];
        const std::uint64_t hi = 0x20010db800000000ull | rng.below(1u << 16), lo = rng.next();
        for (int i = 0; i < 8; ++i) {
          b[i] = static_cast<std::uint8_t>(hi >> (56 - 8 * i));
          b[8 + i] = static_cast<std::uint8_t>(lo >> (56 - 8 * i));
        }
        p.src = expose::ip_address::v6(b);
        b[15] ^= 0x5a;
        p.dst = expose::ip_address::v6(b);
      }
      p.sport = static_cast<std::uint16_t>(49152 + rng.below(16384));
      p.dport = services[rng.below(std::size(services))];
      p.proto = rng.chance(0.8) ? expose::proto::tcp : expose::proto::udp;
      p.tcp_flags = p.proto == expose::proto::tcp ? expose::tcp_flag::ack : 0;
    }
    return out;
  }();
  return v;
}

/// Four packets per flow on average, in random order of flow and either direction.
const std::vector<packet>& lookups() {
  static const std::vector<packet> v = [] {
    const auto& flows = flow_openers();
    expose::detail::splitmix64 rng(8);
    std::vector<packet> out(4 * many);
    for (auto& p : out) {
      p = flows[rng.below(flows.size())];
      if (rng.chance(0.5)) {
        std::swap(p.src, p.dst);
        std::swap(p.sport, p.dport);
      }
    }
    return out;
  }();
  return v;
}

template <class Table>
void run_through(const std::vector<packet>& packets, Table& t) {
  std::uint64_t sum = 0;
  for (const packet& p : packets) sum += t.find_or_insert(p).id;
  benchmark::DoNotOptimize(sum);
}

void rate(benchmark::State& state, std::size_t packets, std::size_t flows) {
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(packets));
  state.counters["flows"] = static_cast<double>(flows);
}

/// The demo trace through a fresh table: a few thousand flows, mostly lookups.
template <class Table>
void BM_demo(benchmark::State& state) {
  const auto& packets = demo_packets();
  std::size_t flows = 0;
  for (auto _ : state) {
    Table t;
    run_through(packets, t);
    flows = t.size();
  }
  rate(state, packets.size(), flows);
}
BENCHMARK(BM_demo<expose::flow_table>)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_demo<unordered_flow_table>)->Unit(benchmark::kMicrosecond);

/// A million new flows into a fresh table (every call inserts; the table grows as it goes).
template <class Table>
void BM_insert_1M(benchmark::State& state) {
  const auto& packets = flow_openers();
  std::size_t flows = 0;
  for (auto _ : state) {
    Table t;
    run_through(packets, t);
    flows = t.size();
    state.PauseTiming();  // freeing a million-entry table is not the work measured
    { Table gone = std::move(t); }
    state.ResumeTiming();
  }
  rate(state, packets.size(), flows);
}
BENCHMARK(BM_insert_1M<expose::flow_table>)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_insert_1M<unordered_flow_table>)->Unit(benchmark::kMillisecond);

/// Four million packets of a million known flows (both directions): every call finds.
template <class Table>
void BM_lookup_1M(benchmark::State& state) {
  static Table t = [] {
    Table filled;
    for (const packet& p : flow_openers()) filled.find_or_insert(p);
    return filled;
  }();
  const auto& packets = lookups();
  const std::size_t known = t.size();
  for (auto _ : state) run_through(packets, t);
  if (t.size() != known) state.SkipWithError("a lookup inserted a flow");
  rate(state, packets.size(), t.size());
}
BENCHMARK(BM_lookup_1M<expose::flow_table>)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_lookup_1M<unordered_flow_table>)->Unit(benchmark::kMillisecond);

}  // namespace
