// Rank 0 failing inside expose::mpi::mine (expose/mpi/mine.hpp), run with 2, 3 and 4 ranks on a
// generated trace: every rank throws rank 0's expose::error, named "rank 0: ...", and none is left
// waiting in a collective or a send. Two places: while rank 0 merges the ranks' flows (a key whose
// patterns fail: no item is made yet, rank 1 is told before it builds the host items, the ranks
// after it that no matrix comes), and while it makes the window items (a lattice whose window
// items fail: rank 1 builds and counts the host items meanwhile, and sends them). A pcapng file
// whose interface is described after packets failed the merge before (a range could not know that
// interface); it is read again now (mpi.late_interface_*), so these failures are made on purpose.
// Prints what differs and exits 1; prints `pass` and exits 0 when all hold.

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <string>
#include <system_error>
#include <utility>

#include "expose/io/pcap_writer.hpp"
#include "expose/lattice/templates.hpp"
#include "expose/mpi/mine.hpp"
#include "expose/pipeline.hpp"
#include "expose/synth/generator.hpp"
#include "check.hpp"

namespace {

// One pipeline type for the three runs (a policy that fails only when told to): each pipeline type
// compiles expose::mpi::mine whole again, which under the sanitizers took 139 s of CI's build for three (115 s for one, by GCC).

/// The 5-tuple, but when `fail` is set a flow's pattern cannot be made (rank 0 makes them as it merges).
struct failing_key : expose::keys::five_tuple {
  bool fail = false;
  [[nodiscard]] expose::flow_pattern pattern(const key_type& k) const {
    if (fail) throw expose::error("no pattern for this flow (a test)");
    return expose::keys::five_tuple::pattern(k);
  }
};
static_assert(expose::FlowPerItemKey<failing_key>);

/// The paper's templates, but when `fail` is set making the window items fails (rank 0, after the merge).
struct failing_windows : expose::lattice::paper_templates {
  bool fail = false;
  template <class Keep>
  [[nodiscard]] expose::item_space generalize_windows(expose::pattern_list base, expose::activity a, const Keep& keep) const {
    if (fail) throw expose::error("too many window items (a test)");
    return expose::lattice::paper_templates::generalize_windows(std::move(base), std::move(a), keep);
  }
};
static_assert(expose::SplitLattice<failing_windows>);

using failing_pipeline = expose::pipeline<failing_key, expose::windows::tumbling, failing_windows>;

/// Runs the job; the message every rank threw, or "none".
template <class Spec>
std::string failure_of(const std::filesystem::path& trace, const Spec& spec) {
  try {
    [[maybe_unused]] const auto run = expose::mpi::mine(MPI_COMM_WORLD, {trace}, spec);
  } catch (const expose::error& e) {
    return e.what();
  }
  return "none";
}

}  // namespace

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  expose_test::mpi_check c;
  namespace ex = expose;
  // One trace for every rank, named after rank 0's process.
  long id = static_cast<long>(getpid());
  MPI_Bcast(&id, 1, MPI_LONG, 0, MPI_COMM_WORLD);
  const auto trace = std::filesystem::temp_directory_path() / ("expose-rank-0-failure-" + std::to_string(id) + ".pcap");
  if (c.rank == 0) {
    const ex::synth::generator gen{.seed = 7, .duration = std::chrono::seconds{300}, .hosts = 30, .noise_per_second = 4};
    ex::io::pcap_writer out(trace);
    for (const auto& p : gen.packets()) out.write(p);
  }
  MPI_Barrier(MPI_COMM_WORLD);

  const failing_pipeline plain;
  c.check(failure_of(trace, plain) == "none", "the trace's job failed without a failing policy");
  failing_pipeline merge;
  merge.key.fail = true;
  const auto m = failure_of(trace, merge);
  c.check(m == "rank 0: no pattern for this flow (a test)", "the merge's failure: got " + m);
  failing_pipeline windows;
  windows.lattice.fail = true;
  const auto w = failure_of(trace, windows);
  c.check(w == "rank 0: too many window items (a test)", "the window items' failure: got " + w);

  const int all = c.ranks_failed();
  if (c.rank == 0) {
    std::error_code ec;
    std::filesystem::remove(trace, ec);
    if (all == 0) std::printf("pass: rank 0's failures reach all %d ranks\n", c.size);
  }
  MPI_Finalize();
  return all == 0 ? 0 : 1;
}
