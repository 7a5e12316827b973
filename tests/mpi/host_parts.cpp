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
#include "check.hpp"

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

}  // namespace

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  expose_test::mpi_check c;
  const int rank = c.rank, size = c.size;
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
    c.check(whole.closures.size() > 10, "the trace makes too few host items to tell");
    c.check(parts.closures == whole.closures, "the joined parts' items differ from one process's");
    c.check(parts.members == whole.members, "the joined parts' members differ");
    c.check(parts.hosts.samples == whole.hosts.samples, "the joined parts' samples differ");
    c.check(parts.hosts.item_start == whole.hosts.item_start && parts.hosts.item_windows == whole.hosts.item_windows,
          "the joined parts' rows differ");
    c.check(parts.window_start == whole.window_start, "the joined parts' window starts differ");
  } else {
    c.check(parts.closures.empty() && parts.hosts.item_windows.empty(), "a rank after the first got items");
  }

  ex::pipeline<ex::keys::five_tuple, ex::windows::tumbling, failing_parts> failing;
  try {
    [[maybe_unused]] const auto none = ex::mpi::detail::host_items_in_parts(flows, a, failing, MPI_COMM_WORLD, t);
    c.check(rank != 0, "an expose::error made alike on every rank did not reach the first");
  } catch (const ex::error& e) {
    c.check(rank == 0 && std::string(e.what()) == "activity: too many (item, window) entries (a test)",
          std::string("got: ") + e.what());
  }
  failing.lattice.alike = false;
  try {
    [[maybe_unused]] const auto none = ex::mpi::detail::host_items_in_parts(flows, a, failing, MPI_COMM_WORLD, t);
    c.check(false, "another failure did not stop the job");
  } catch (const ex::mpi::detail::job_stops& e) {
    c.check(std::string(e.what()) == "rank " + std::to_string(rank + 1) + ": the host items: no memory left (a test)",
          std::string("got: ") + e.what());
  }

  const int all = c.ranks_failed();
  if (rank == 0 && all == 0) std::printf("pass: %d parts joined as one process makes them\n", size);
  MPI_Finalize();
  return all == 0 ? 0 : 1;
}
