// The window items made by their owners across ranks (expose/mpi/window_items.hpp), run with 1,
// 2, 3 and 4 ranks: each rank makes the same generated traces' flows and activity, takes a run of
// the flows and the entries of a range of windows (as a rank reading its range would), and rank 0
// checks the items every rank made, gathered, against those one process makes
// (lattice::templates::generalize_windows without rests): numbers, closures, flows, windows and
// offsets. Two traces: few hosts (groups of many flows, equal closures from several templates) and
// many (most groups of one flow). Prints what differs and exits 1; prints `pass` and exits 0.

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "expose/activity.hpp"
#include "expose/flow_table.hpp"
#include "expose/lattice/templates.hpp"
#include "expose/mpi/messages.hpp"
#include "expose/mpi/window_items.hpp"
#include "expose/synth/generator.hpp"
#include "check.hpp"

namespace {

namespace ex = expose;

/// One item as compared: its number, closure, flows, windows (window numbers) and offsets.
struct item {
  std::uint32_t id = 0;
  ex::flow_pattern closure;
  std::vector<std::uint32_t> members;
  std::vector<std::int64_t> windows;
  std::vector<ex::window_offset> offsets;
  friend bool operator==(const item&, const item&) = default;
};

/// Checks one trace; returns how many items one process made (on rank 0; 0 elsewhere).
std::size_t check_trace(expose_test::mpi_check& c, const ex::synth::generator& gen, const std::string& name) {
  const int rank = c.rank, size = c.size;
  std::vector<ex::flow_pattern> patterns;
  std::vector<ex::timed_entry> entries;
  ex::flow_table table;
  for (const auto& p : gen.packets()) {
    const auto [id, fresh] = table.find_or_insert(p);
    if (fresh) patterns.push_back(ex::exact(table.flows()[id]));
    // windows of a second, the offset within it in units of 1/65536 s
    entries.push_back({p.ts_ns / 1'000'000'000, id, static_cast<ex::window_offset>((p.ts_ns % 1'000'000'000) * 65536 / 1'000'000'000)});
  }
  std::sort(entries.begin(), entries.end());
  entries.erase(std::unique(entries.begin(), entries.end(),
                            [](const ex::timed_entry& a, const ex::timed_entry& b) { return a.window == b.window && a.item == b.item; }),
                entries.end());
  const std::int64_t lo = entries.front().window, hi = entries.back().window;
  const auto samples = static_cast<std::uint64_t>(hi - lo + 1);
  const auto keep = [](std::uint64_t count, std::uint64_t) { return count >= 3; };
  const ex::lattice::templates<ex::lattice::client_port, ex::lattice::any_client, ex::lattice::same_client, ex::lattice::any_ports> lattice{
      .rests = false};

  // This rank's run of flows, and the entries of its range of windows.
  const auto n = static_cast<std::uint32_t>(patterns.size());
  const auto cut = [&](int r) { return static_cast<std::uint32_t>(std::uint64_t{n} * static_cast<std::uint64_t>(r) / static_cast<std::uint64_t>(size)); };
  ex::mpi::flow_run run{cut(rank), {patterns.begin() + cut(rank), patterns.begin() + cut(rank + 1)}};
  std::vector<ex::timed_entry> mine;
  const auto window_cut = [&](int r) { return lo + (hi - lo + 1) * r / size; };
  for (const auto& e : entries)
    if (e.window >= window_cut(rank) && e.window < window_cut(rank + 1)) mine.push_back(e);
  ex::mpi::traffic t;
  const ex::mpi::window_item_share share = ex::mpi::window_items(run, std::move(mine), samples, lattice.masks, keep, MPI_COMM_WORLD, t);

  // Every rank's items to rank 0, as text-free records: (id, closure, members, windows, offsets).
  ex::mpi::detail::writer w;
  for (std::size_t k = 0; k < share.items(); ++k) {
    w.put(share.id[k]);
    w.put(share.closure[k]);
    const auto m = share.members_of(k);
    w.put_vector(std::vector<std::uint32_t>(m.begin(), m.end()));
    const auto ws = share.windows_of(k);
    w.put_vector(std::vector<std::int64_t>(ws.begin(), ws.end()));
    const auto os = share.offsets_of(k);
    w.put_vector(std::vector<ex::window_offset>(os.begin(), os.end()));
  }
  c.check(std::is_sorted(share.id.begin(), share.id.end()), name + ": a rank's items are not in order of number");
  if (rank != 0) {
    ex::mpi::detail::send_bytes(w.bytes, 0, MPI_COMM_WORLD, t);
    return 0;
  }
  std::vector<item> got;
  for (int from = 0; from < size; ++from) {
    const auto bytes = from == 0 ? w.bytes : ex::mpi::detail::recv_bytes(from, MPI_COMM_WORLD, t);
    ex::mpi::detail::reader r(bytes);
    while (r.at != r.end) {
      item i;
      i.id = r.get<std::uint32_t>();
      i.closure = r.get<ex::flow_pattern>();
      i.members = r.get_vector<std::uint32_t>();
      i.windows = r.get_vector<std::int64_t>();
      i.offsets = r.get_vector<ex::window_offset>();
      got.push_back(std::move(i));
    }
  }
  std::sort(got.begin(), got.end(), [](const item& a, const item& b) { return a.id < b.id; });

  // One process's items: generic items follow the flows.
  const ex::activity a = ex::activity::from_sorted(std::span<const ex::timed_entry>(entries), patterns.size(), samples);
  const ex::item_space s = lattice.generalize_windows(ex::pattern_list(patterns), a, keep);
  std::vector<item> want;
  for (std::uint32_t i = n; i < s.items.size(); ++i) {
    item x;
    x.id = i;
    x.closure = s.items[i];
    const auto m = s.members(i);
    x.members.assign(m.begin(), m.end());
    const auto ws = s.windows.windows_of(i);
    for (const auto pos : ws) x.windows.push_back(a.windows[pos]);
    const auto os = s.windows.offsets_of(i);
    x.offsets.assign(os.begin(), os.end());
    want.push_back(std::move(x));
  }
  c.check(share.total == want.size(), name + ": the items' total is " + std::to_string(share.total) + ", one process makes " +
                                          std::to_string(want.size()));
  c.check(got.size() == want.size(), name + ": " + std::to_string(got.size()) + " items gathered, one process makes " +
                                         std::to_string(want.size()));
  for (std::size_t k = 0; k < std::min(got.size(), want.size()); ++k)
    if (!(got[k] == want[k])) {
      c.check(false, name + ": item " + std::to_string(want[k].id) + " (" + want[k].closure.text() + ", " +
                         std::to_string(want[k].members.size()) + " flows) differs: got item " + std::to_string(got[k].id) + " (" +
                         got[k].closure.text() + ", " + std::to_string(got[k].members.size()) + " flows)");
      break;
    }
  return want.size();
}

}  // namespace

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  expose_test::mpi_check c;
  const std::size_t few = check_trace(c, {.seed = 7, .duration = std::chrono::seconds{600}, .hosts = 20, .noise_per_second = 4}, "few hosts");
  const std::size_t many = check_trace(c, {.seed = 11, .duration = std::chrono::seconds{300}, .hosts = 300, .noise_per_second = 30}, "many hosts");
  if (c.rank == 0) c.check(few > 50 && many > 50, "the traces make too few window items to tell (" + std::to_string(few) + ", " +
                                                     std::to_string(many) + ")");
  const int all = c.ranks_failed();
  if (c.rank == 0 && all == 0) std::printf("pass: the window items of %d ranks are one process's (%zu and %zu items)\n", c.size, few, many);
  MPI_Finalize();
  return all == 0 ? 0 : 1;
}
