// mpi_window_items: the window items made by their owners across ranks (expose/mpi/window_items.hpp)
// against one process making them, on one trace, round by round. Run under mpirun:
//
//   mpirun -np R mpi_window_items TRACE... [--rounds 5]
//   mpirun -np R mpi_window_items --web-clients N [--rounds 5]
//
// Every rank reads the traces with expose-mine's default pipeline (five-tuple flows, one-second
// windows, the paper's templates, the items the J-measure with the exact test can use), then takes
// a run of the flows and the activity of a range of windows, as a rank reading its range would.
// --web-clients N makes the packets instead: N clients, each with two connections to one web
// server in every other one-second window (the server's item holds N items: the rests' largest
// pieces).
// Each round: rank 0 alone makes the window items (lattice generalize_windows, the others waiting),
// then every rank makes them together (window_items, timed from a barrier to the last rank done).
// Prints each round's two times and bytes, then the medians and their ratio, and checks once that
// both made the same number of items. Then a last round, not timed, for memory: how far a rank's
// peak resident memory rose over what it held before the call, the most over the ranks (glibc's
// free memory given back first by detail::trim_heap, so that the call cannot reuse pages it did not
// take; Linux's VmHWM, reset before the call by /proc/self/clear_refs; "n/a" where that cannot be
// read). Times, not counts: run it on an idle machine, one rank per core.

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <mpi.h>

#include "expose/detail/release.hpp"
#include "expose/expose.hpp"
#include "expose/io/pcap_file.hpp"
#include "expose/mpi/window_items.hpp"

namespace {

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0.0 : v.size() % 2 == 1 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

/// This process's resident set and its peak, in KiB (0, 0 where /proc cannot be read).
std::pair<long, long> resident_kib() {
  std::ifstream in("/proc/self/status");
  long rss = 0, hwm = 0;
  for (std::string line; std::getline(in, line);) {
    if (line.starts_with("VmRSS:")) rss = std::atol(line.c_str() + 6);
    if (line.starts_with("VmHWM:")) hwm = std::atol(line.c_str() + 6);
  }
  return {rss, hwm};
}

/// Resets the peak resident set to the current one (Linux); false where it cannot.
bool reset_peak() {
  std::ofstream out("/proc/self/clear_refs");
  out << "5";
  out.flush();
  return static_cast<bool>(out);
}

/// N clients, two connections each to one web server in every other of 30 windows (client i in
/// the windows of i's parity), and one other connection in window 39: the server's item and each
/// client's are active in part of the 40 windows, so that the lattice keeps them.
std::vector<expose::packet> web_clients(std::uint32_t clients) {
  std::vector<expose::packet> out;
  for (std::int64_t w = 0; w < 30; ++w)
    for (std::uint32_t i = 1; i <= clients; ++i)
      for (std::uint16_t k = 0; k < 2 && (w + i) % 2 == 0; ++k) {
        expose::packet p;
        p.ts_ns = w * 1'000'000'000 + i * 1'000 + k;
        p.src = expose::ip_address::v4(0x0a000000U + i);
        p.dst = expose::ip_address::v4(0xc0a80001U);
        p.sport = static_cast<std::uint16_t>(1024 + 2 * (i % 30000) + k);
        p.dport = 80;
        p.proto = 6;
        out.push_back(p);
      }
  expose::packet last;
  last.ts_ns = 39'000'000'000;
  last.src = expose::ip_address::v4(0xc0a80002U);
  last.dst = expose::ip_address::v4(0xc0a80003U);
  last.sport = 5353;
  last.dport = 53;
  last.proto = 17;
  out.push_back(last);
  return out;
}

int run(const std::vector<std::filesystem::path>& traces, std::uint32_t clients, int rounds) {
  using namespace expose;
  using clock = std::chrono::steady_clock;
  int rank = 0, size = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  const pipeline<> spec{};
  mine_result r;
  activity act;
  {
    ingest<keys::five_tuple, windows::tumbling> in(spec.key, spec.window, {}, r);
    if (clients != 0) {
      for (const auto& p : web_clients(clients)) in.take(p);
    } else {
      io::pcap_files source(traces);
      source.read([&](const packet& p) { in.take(p); }, r.input);
    }
    act = std::move(in).finish();
  }
  const auto keep = detail::keep_of(spec);
  const auto n = static_cast<std::uint32_t>(r.items.size());
  if (act.item_windows.empty() || n == 0) {
    if (rank == 0) std::fprintf(stderr, "mpi_window_items: no flow with activity in the traces\n");
    return 1;
  }
  // This rank's run of flows and the entries of its range of windows.
  const auto cut = [&](int k) { return static_cast<std::uint32_t>(std::uint64_t{n} * static_cast<std::uint64_t>(k) / static_cast<std::uint64_t>(size)); };
  mpi::flow_run run;
  run.first = cut(rank);
  for (std::uint32_t i = cut(rank); i < cut(rank + 1); ++i) run.patterns.push_back(r.items[i]);
  const std::int64_t lo = act.windows.front(), hi = act.windows.back();
  const auto window_cut = [&](int k) { return lo + (hi - lo + 1) * k / size; };
  std::vector<timed_entry> mine;
  for (std::uint32_t x = 0; x < n; ++x) {
    const auto ws = act.windows_of(x);
    const auto os = act.offsets_of(x);
    for (std::size_t k = 0; k < ws.size(); ++k)
      if (const std::int64_t w = act.windows[ws[k]]; w >= window_cut(rank) && w < window_cut(rank + 1))
        mine.push_back({w, x, os.empty() ? window_offset{0} : os[k]});
  }
  if (rank == 0)
    std::printf("%u flows, %zu activity entries, %llu windows; %d ranks\n", n, act.entries(), static_cast<unsigned long long>(act.samples), size);

  std::vector<double> alone, together;
  std::size_t items_alone = 0, items_together = 0;
  for (int round = 0; round < rounds; ++round) {
    double t_alone = 0;
    if (rank == 0) {
      pattern_list flows = r.items;  // (generalize_windows takes its inputs: copied before the clock)
      activity a = act;
      const auto t0 = clock::now();
      const item_space s = spec.lattice.generalize_windows(std::move(flows), std::move(a), keep);
      t_alone = std::chrono::duration<double>(clock::now() - t0).count();
      items_alone = s.items.size() - n;
    }
    MPI_Barrier(MPI_COMM_WORLD);
    mpi::traffic t;
    std::vector<timed_entry> entries = mine;
    MPI_Barrier(MPI_COMM_WORLD);
    const auto t0 = clock::now();
    const mpi::window_item_share share = mpi::window_items(run, std::move(entries), act.samples, spec.lattice, keep, MPI_COMM_WORLD, t);
    double mine_s = std::chrono::duration<double>(clock::now() - t0).count(), slowest = 0;
    MPI_Reduce(&mine_s, &slowest, 1, MPI_DOUBLE, MPI_MAX, 0, MPI_COMM_WORLD);
    std::uint64_t sent = t.bytes_sent, sent_all = 0;
    MPI_Reduce(&sent, &sent_all, 1, MPI_UINT64_T, MPI_SUM, 0, MPI_COMM_WORLD);
    items_together = share.total;
    if (rank == 0) {
      alone.push_back(t_alone);
      together.push_back(slowest);
      std::printf("round %d: one process %.3f s, %d ranks %.3f s (the slowest), %.1f MB sent in all\n", round + 1, t_alone, size, slowest,
                  static_cast<double>(sent_all) / 1e6);
    }
  }
  // Memory, in a last round not timed: the free memory glibc keeps given back first (else the call
  // reuses pages the trace's read and the rounds before left), the peak reset, the call made.
  double grew_most = -1.0;
  {
    mpi::traffic t;
    std::vector<timed_entry> entries = mine;
    detail::trim_heap();
    const bool peak_known = reset_peak();
    const long before = resident_kib().first;
    { [[maybe_unused]] const auto share = mpi::window_items(run, std::move(entries), act.samples, spec.lattice, keep, MPI_COMM_WORLD, t); }
    const long peak = resident_kib().second;
    const double grew_mib = peak_known && peak != 0 ? static_cast<double>(peak - before) / 1024.0 : -1.0;
    double least = 0;
    MPI_Reduce(&grew_mib, &grew_most, 1, MPI_DOUBLE, MPI_MAX, 0, MPI_COMM_WORLD);
    MPI_Reduce(&grew_mib, &least, 1, MPI_DOUBLE, MPI_MIN, 0, MPI_COMM_WORLD);
    if (least < 0) grew_most = -1.0;  // a rank could not read it
  }
  if (rank == 0) {
    std::printf("medians of %d: one process %.3f s, %d ranks %.3f s: %.2fx; items %zu and %zu%s; ", rounds, median(alone), size,
                median(together), median(alone) / median(together), items_alone, items_together,
                items_alone == items_together ? "" : " (DIFFERENT)");
    if (grew_most >= 0)
      std::printf("a rank's peak rose %.1f MiB at most (a last round)\n", grew_most);
    else
      std::printf("memory n/a\n");
  }
  return items_alone == items_together || rank != 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  std::vector<std::filesystem::path> traces;
  int rounds = 5;
  long clients = 0;
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    if (a == "--rounds" && i + 1 < argc) {
      rounds = std::atoi(argv[++i]);
    } else if (a == "--web-clients" && i + 1 < argc) {
      clients = std::atol(argv[++i]);
    } else if (a.starts_with("-")) {
      std::fprintf(stderr, "usage: mpirun -np R mpi_window_items (TRACE... | --web-clients N) [--rounds 5]\n");
      MPI_Finalize();
      return 2;
    } else {
      traces.emplace_back(a);
    }
  }
  if ((traces.empty() == (clients == 0)) || rounds < 1 || clients < 0 || clients > 16'000'000) {
    std::fprintf(stderr, "usage: mpirun -np R mpi_window_items (TRACE... | --web-clients N) [--rounds 5]\n");
    MPI_Finalize();
    return 2;
  }
  int rc = 0;
  try {
    rc = run(traces, static_cast<std::uint32_t>(clients), rounds);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "mpi_window_items: %s\n", e.what());
    MPI_Abort(MPI_COMM_WORLD, 1);
  }
  MPI_Finalize();
  return rc;
}
