// The host-variable items made in parts across ranks (expose/mpi/mine.hpp:
// detail::host_items_in_parts), run with 2, 3 and 4 ranks, every rank of MPI_COMM_WORLD one part:
// each rank makes the same generated trace's flows and activity, and rank 0 checks that the joined
// parts are the items one process makes. Then with a lattice whose parts fail alike on every rank
// after a sum (an expose::error, as too many activity entries would be): rank 0 gets the error and
// the others nothing, none stopping the job; and with one whose parts fail otherwise (on every
// rank, so that none waits in a collective): each rank gets job_stops, naming it. Prints what
// differs and exits 1; prints `pass` and exits 0 when all hold.

#include <cstdio>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "expose/activity.hpp"
#include "expose/flow_table.hpp"
#include "expose/lattice/templates.hpp"
#include "expose/mpi/mine.hpp"
#include "expose/pipeline.hpp"
#include "expose/synth/generator.hpp"

namespace {

/// The paper's templates, but making the host items in parts fails after one sum.
struct failing_parts : expose::lattice::paper_templates {
  bool alike = true;  // an expose::error (else std::logic_error)
  using expose::lattice::paper_templates::make_host_items;
  template <class Keep, class Sum>
  [[nodiscard]] expose::host_items make_host_items(const Keep&, const expose::pattern_list&, const expose::activity&, expose::window_part,
                                                   const Sum& sum) const {
    std::vector<std::uint64_t> one{1};
    sum(std::span<std::uint64_t>{one});
    if (alike) throw expose::error("activity: too many (item, window) entries (a test)");
    throw std::logic_error("no memory left (a test)");
  }
};

int failures = 0;
void check(bool ok, int rank, const std::string& what) {
  if (ok) return;
  ++failures;
  std::fprintf(stderr, "rank %d: %s\n", rank, what.c_str());
}

}  // namespace

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  int rank = 0, size = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  namespace ex = expose;
  const ex::synth::generator gen{.seed = 7, .duration = std::chrono::seconds{600}, .hosts = 40, .noise_per_second = 6};
  std::vector<ex::flow_pattern> patterns;
  ex::activity_builder act;
  ex::flow_table table;
  for (const auto& p : gen.packets()) {
    const auto [id, fresh] = table.find_or_insert(p);
    if (fresh) patterns.push_back(ex::exact(table.flows()[id]));
    act.add(p.ts_ns / 1'000'000'000, id, 0);  // windows of a second
  }
  const ex::activity a = std::move(act).finish(patterns.size());
  const ex::pattern_list flows(patterns);
  ex::mpi::traffic t;

  const ex::pipeline<> spec;
  const ex::host_items parts = ex::mpi::detail::host_items_in_parts(flows, a, spec, MPI_COMM_WORLD, t);
  if (rank == 0) {
    const ex::host_items whole = ex::make_host_items(flows, a, spec);
    check(whole.closures.size() > 10, rank, "the trace makes too few host items to tell");
    check(parts.closures == whole.closures, rank, "the joined parts' items differ from one process's");
    check(parts.members == whole.members, rank, "the joined parts' members differ");
    check(parts.hosts.samples == whole.hosts.samples, rank, "the joined parts' samples differ");
    check(parts.hosts.item_start == whole.hosts.item_start && parts.hosts.item_windows == whole.hosts.item_windows, rank,
          "the joined parts' rows differ");
    check(parts.window_start == whole.window_start, rank, "the joined parts' window starts differ");
  } else {
    check(parts.closures.empty() && parts.hosts.item_windows.empty(), rank, "a rank after the first got items");
  }

  ex::pipeline<ex::keys::five_tuple, ex::windows::tumbling, failing_parts> failing;
  try {
    [[maybe_unused]] const auto none = ex::mpi::detail::host_items_in_parts(flows, a, failing, MPI_COMM_WORLD, t);
    check(rank != 0, rank, "an expose::error made alike on every rank did not reach the first");
  } catch (const ex::error& e) {
    check(rank == 0 && std::string(e.what()) == "activity: too many (item, window) entries (a test)", rank,
          std::string("got: ") + e.what());
  }
  failing.lattice.alike = false;
  try {
    [[maybe_unused]] const auto none = ex::mpi::detail::host_items_in_parts(flows, a, failing, MPI_COMM_WORLD, t);
    check(false, rank, "another failure did not stop the job");
  } catch (const ex::mpi::detail::job_stops& e) {
    check(std::string(e.what()) == "rank " + std::to_string(rank + 1) + ": the host items: no memory left (a test)", rank,
          std::string("got: ") + e.what());
  }

  int all = 0;
  MPI_Reduce(&failures, &all, 1, MPI_INT, MPI_SUM, 0, MPI_COMM_WORLD);
  if (rank == 0 && all == 0) std::printf("pass: %d parts joined as one process makes them\n", size);
  MPI_Finalize();
  return all == 0 ? 0 : 1;
}
