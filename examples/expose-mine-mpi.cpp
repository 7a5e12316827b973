// expose-mine-mpi: expose-mine across many processes (MPI). Same rules, scores and clusters as
// expose-mine on the same input, byte for byte, for any number of ranks.
//
//   mpirun -np 4 expose-mine-mpi [options] TRACE...
//
// The files are read as one stream in the order given (give rotated captures in time order) and
// cut into equal byte ranges, one per rank; one large pcap or pcapng file is cut too. Rank 0 writes
// the output. Exit status as expose-mine's: 0 rules written; 1 an input could not be read (the
// message names the rank and the file) or an option value is wrong; 2 the command line is wrong;
// 3 rules written, but an input was damaged or packets were left out at a limit. Ingest limits
// (--max-flows, --max-memory, --idle) hold per rank while it reads its range; --max-memory's
// default, half of RAM, is shared by the ranks of one machine. Rank 0's merge then holds the flows
// every rank kept, as one expose-mine process would.

#include <CLI/CLI.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "cli_common.hpp"
#include "mine_options.hpp"
#include "expose/expose.hpp"
#include "expose/io/deps.hpp"
#include "expose/io/html.hpp"
#include "expose/io/flow_log.hpp"
#include "expose/io/json.hpp"
#include "expose/mpi/mine.hpp"  // and <mpi.h>, C API only

namespace ex = expose;

namespace {

struct settings : expose_tools::mining_settings {
  settings() { threads = 1; }
  bool timings = false;
  bool read_ahead = false;
  ex::ingest_limits limits{};
  ex::host_names* names_table = nullptr;  // rank 0's names (on the others: names are read); null with --names off
};

/// The ranks running on this rank's machine (they share its memory).
std::uint64_t ranks_on_this_machine() {
  MPI_Comm local;
  MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &local);
  int n = 1;
  MPI_Comm_size(local, &n);
  MPI_Comm_free(&local);
  return static_cast<std::uint64_t>(n);
}

int rank_of_world() {
  int r = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &r);
  return r;
}

template <class Key, class Lattice, class Clusters>
ex::mpi::mine_outcome run(const settings& s, Key key, Lattice lattice, Clusters clustering, std::chrono::nanoseconds width,
                          expose_tools::progress_line& progress) {
  std::vector<std::filesystem::path> paths(s.traces.begin(), s.traces.end());
  auto spec = ex::key_by(key) | ex::window_by(ex::windows::lagged{.width = width, .lag = s.lag}) | ex::generalize_by(lattice) |
              ex::score_by(expose_tools::significant_named(s.min_score, s.min_support, s.alpha, s.null_model)) |
              ex::count_by(ex::engine::gustavson{.threads = s.threads}) | ex::cluster_by(clustering);
  ex::mpi::mine_options opt{.read = {.filter = s.filter, .progress = std::ref(progress),
                                     .decode = {.icmp_errors_join_quoted_flow = s.icmp_errors == "joined", .names = s.names_table}},
                            .read_ahead = s.read_ahead,
                            .limits = s.limits};
  auto outcome = ex::mpi::mine(MPI_COMM_WORLD, paths, spec, opt);
  if (rank_of_world() == 0 && s.top != 0) ex::keep_top(outcome.result, s.top, spec.cluster);
  return outcome;
}

void print_timings(const std::vector<ex::mpi::phase_times>& times) {
  std::fprintf(stderr, "expose-mine-mpi: timings (s)\n%5s %10s %9s %9s %11s %9s %9s %9s %12s %12s %9s\n", "rank", "packets", "read", "merge",
               "generalize", "count", "score", "total", "sent MB", "received MB", "peak MiB");
  for (std::size_t r = 0; r < times.size(); ++r) {
    const auto& t = times[r];
    std::fprintf(stderr, "%5zu %10llu %9.3f %9.3f %11.3f %9.3f %9.3f %9.3f %12.1f %12.1f %9.1f\n", r,
                 static_cast<unsigned long long>(t.packets), t.read, t.merge, t.generalize, t.count, t.score, t.read + t.merge + t.count + t.score, static_cast<double>(t.bytes_sent) / 1e6,
                 static_cast<double>(t.bytes_received) / 1e6, static_cast<double>(t.peak_kib) / 1024.0);
  }
  std::fprintf(stderr,
               "expose-mine-mpi: CPU seconds (the work, whatever else the machine runs); then seconds waiting for other ranks (in MPI, "
               "transfers included)\n%5s %9s %9s %9s %9s %9s   %9s %9s %9s %9s %9s\n",
               "rank", "read", "merge", "count", "score", "total", "wait:read", "merge", "count", "score", "total");
  for (std::size_t r = 0; r < times.size(); ++r) {
    const auto& t = times[r];
    std::fprintf(stderr, "%5zu %9.3f %9.3f %9.3f %9.3f %9.3f   %9.3f %9.3f %9.3f %9.3f %9.3f\n", r, t.read_cpu, t.merge_cpu, t.count_cpu,
                 t.score_cpu, t.read_cpu + t.merge_cpu + t.count_cpu + t.score_cpu, t.read_wait, t.merge_wait, t.count_wait, t.score_wait,
                 t.read_wait + t.merge_wait + t.count_wait + t.score_wait);
  }
  if (!times.empty()) {
    std::fprintf(stderr, "expose-mine-mpi: host rules' delays: %llu taken from rank 1, %llu measured on rank 0\n",
                 static_cast<unsigned long long>(times[0].host_delays_taken), static_cast<unsigned long long>(times[0].host_delays_measured));
    std::fprintf(stderr, "expose-mine-mpi: window rows: %s\n",
                 times[0].window_rows_dealt ? "dealt to whichever rank was free"
                 : times[0].no_one_sided    ? "in fixed parts (MPI has no one-sided transport here: no counter to deal them)"
                                            : "in fixed parts");
  }
}

int main_body(int argc, char** argv) {
  expose_tools::return_large_blocks();
  const int rank = rank_of_world();
  CLI::App app{"expose-mine-mpi: expose-mine across MPI ranks (start with mpirun); the same results as expose-mine"};
  settings s;
  expose_tools::add_mining_options(app, s,
                                   {.traces = "capture files (pcap or pcapng), in time order; cut among the ranks",
                                    .format = "output format",
                                    .formats = {"text", "json", "dot", "deps"},
                                    .report = "also write an HTML report there",
                                    .threads = "threads per rank for counting and for generic items (0: one per core)",
                                    .clusters = "how rules are grouped: components or spectral",
                                    .max_flows = "per rank: hold at most this many flows while reading; at the limit idle rare flows are "
                                                 "evicted (0: no limit)",
                                    .max_memory = "per rank, while reading: 4G, 512M, ..., 0 for no limit (default: half of RAM, "
                                                  "shared by the ranks of one machine)"});
  app.get_option("traces")->required();
  app.add_flag("--timings", s.timings, "print each rank's time per phase (read, merge, count, score) and bytes moved on stderr");
  app.add_flag("--read-ahead", s.read_ahead, "decode on a second thread in each rank (when each rank has two cores)");
  app.set_version_flag("-V,--version", std::string("expose-mine-mpi ") + ex::version);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // Every rank parses the same arguments; only rank 0 speaks.
    if (rank != 0) return e.get_exit_code() == 0 ? 0 : expose_tools::value_refused(e) ? 1 : 2;
    return expose_tools::refused_status(app, e);
  }
  for (const auto& t : s.traces)  // every rank alike: the same files
    if (std::filesystem::is_regular_file(t) && ex::io::sniff_flow_log(t)) {
      if (rank == 0)
        std::cerr << "expose-mine-mpi: '" << t << "' is a flow log: expose-mine-mpi reads packet captures (pcap, pcapng); "
                  << "expose-mine reads flow logs\n";
      return 1;
    }
  const auto width = expose_tools::parse_duration(s.window);
  if (!width) {
    if (rank == 0) std::cerr << "expose-mine-mpi: --window: '" << s.window << "' is not a positive duration (try 1s, 250ms, 2m)\n";
    return 1;
  }
  if (!(s.min_score >= 0)) {
    if (rank == 0) std::cerr << "expose-mine-mpi: --min-score: must be 0 or more bits\n";
    return 1;
  }
  {
    std::string bad;
    const auto limits = expose_tools::limits_of(s, bad, ranks_on_this_machine());
    if (!limits) {
      if (rank == 0) std::cerr << "expose-mine-mpi: " << bad << "\n";
      return 1;
    }
    s.limits = *limits;
  }
  if (const auto why = expose_tools::output_over_input(s); !why.empty()) {
    if (rank == 0) std::cerr << "expose-mine-mpi: " << why << "\n";
    return 1;
  }
  // Outputs are opened by rank 0 before the work, and the answer shared, so no rank mines in vain.
  // Names: each rank reads those its range shows; rank 0's table gets the operator's inventory
  // first, then every rank's in rank order (expose::mpi::mine). Only rank 0 reads the inventory
  // (the other ranks need not see the file), and says with the outputs whether it could.
  ex::host_names names;
  if (s.names != "off") s.names_table = &names;
  std::ofstream file, report;
  // On rank 0, after a failure: no empty output left behind (they are opened before the work), as
  // expose-mine.
  const auto drop_empty_outputs = [&] {
    file.close();
    report.close();
    expose_tools::remove_empty_files({s.output, s.report});
  };
  int cannot = 0;
  if (rank == 0) {
    // The ranks read byte ranges of files each opens itself: standard input and a pipe (mpirun
    // hands rank 0 alone its standard input; <(zcat ...) is this process's) cannot be cut. Said
    // before an output is opened, in rank 0's words (the others saw a "truncated dump file", or
    // no such file).
    for (const auto& t : s.traces) {
      std::error_code ec;
      const auto type = std::filesystem::status(t, ec).type();
      // <(zcat ...) names a descriptor of the shell's, which the processes mpirun starts do not hold
      const bool shells = type == std::filesystem::file_type::not_found && t.rfind("/dev/fd/", 0) == 0;
      if (t == "-" || shells || type == std::filesystem::file_type::fifo || type == std::filesystem::file_type::character ||
          type == std::filesystem::file_type::socket) {
        std::cerr << "expose-mine-mpi: '" << t << "' is "
                  << (t == "-" ? "standard input" : shells ? "a pipe of the shell's, which the ranks do not hold" : "a pipe or device")
                  << ": the ranks read byte ranges of files they open themselves; save the capture to a file first, "
                  << "or read it with expose-mine\n";
        cannot = 1;
        break;
      }
    }
    if (!cannot && s.names_table != nullptr && !s.names.empty()) {
      try {
        for (const auto& warning : names.load_csv(s.names)) std::cerr << "expose-mine-mpi: warning: " << warning << "\n";
      } catch (const ex::error& e) {
        std::cerr << "expose-mine-mpi: " << e.what() << "\n";
        cannot = 1;
      }
    }
    if (!cannot && !s.output.empty()) {
      file.open(s.output);
      if (!file) {
        std::cerr << "expose-mine-mpi: --output: cannot write '" << s.output << "'\n";
        cannot = 1;
      }
    }
    if (!cannot && !s.report.empty()) {
      report.open(s.report);
      if (!report) {
        std::cerr << "expose-mine-mpi: --report: cannot write '" << s.report << "'\n";
        cannot = 1;
      }
    }
  }
  MPI_Bcast(&cannot, 1, MPI_INT, 0, MPI_COMM_WORLD);
  if (cannot) {
    if (rank == 0) drop_empty_outputs();
    return 1;
  }

  expose_tools::progress_line progress(!s.quiet && rank == 0);
  ex::mpi::mine_outcome outcome;
  try {
    const auto by_clusters = [&](auto key, auto lattice) {
      return run(s, key, lattice, expose_tools::clusters_named(s.clusters, s.conductance, s.cluster_join), *width, progress);
    };
    // Every key takes the paper's templates: those naming a field the key leaves out make no item.
    const auto lattice = expose_tools::lattice_named(s.templates, s.all_rules, s.threads);
    if (s.key == "host-pair") outcome = by_clusters(ex::keys::host_pair{}, lattice);
    else if (s.key == "service") outcome = by_clusters(ex::keys::service{}, lattice);
    else outcome = by_clusters(ex::keys::five_tuple{}, lattice);
  } catch (const ex::error& e) {
    // Every rank throws (the ranks agreed on the failure); rank 0 names the rank and the file.
    if (rank == 0) {
      std::cerr << "expose-mine-mpi: " << e.what() << "\n";
      drop_empty_outputs();
    }
    return 1;
  }
  if (rank != 0) return 0;

  const auto& result = outcome.result;
  if (s.timings) print_timings(outcome.times);
  for (const auto& w : result.input.warnings) std::cerr << "expose-mine-mpi: warning: " << w << "\n";
  std::ostream& out = s.output.empty() ? std::cout : file;
  if (s.format == "json") {
    ex::io::write_json(out, result, s.names_table);
    out << "\n";
  } else if (s.format == "dot") ex::io::write_dot(out, result, s.names_table);
  else if (s.format == "deps") ex::io::write_deps(out, result, s.names_table, s.text.options().all_rules ? SIZE_MAX : 50);
  else {
    auto opt = s.text.options();
    opt.names = s.names_table;
    ex::io::write_text(out, result, opt);
  }
  out.flush();
  if (!out) {
    std::cerr << "expose-mine-mpi: writing the output failed\n";
    return 1;
  }
  if (!s.report.empty()) {
    std::string title;
    for (const auto& t : s.traces) title += (title.empty() ? "" : ", ") + t;
    const auto written = ex::io::write_html(report, result, {.title = title, .names = s.names_table});
    if (!written.note.empty()) std::cerr << "expose-mine-mpi: note: --report: " << written.note << "\n";
    report.close();
    if (!report) {
      std::cerr << "expose-mine-mpi: --report: cannot write '" << s.report << "'\n";
      return 1;
    }
  }
  const bool left_out = result.limits.refused != 0 || result.limits.stopped;
  return result.input.damaged || left_out ? 3 : 0;
}

}  // namespace

int main(int argc, char** argv) {
  expose_tools::restart_with_huge_pages(argv);  // before MPI starts
  // Serialized calls from any thread: a rank's counting threads take chunks of rows in turn.
  int provided = MPI_THREAD_SINGLE;
  MPI_Init_thread(&argc, &argv, MPI_THREAD_SERIALIZED, &provided);
  int rc = 1;
  try {
    rc = main_body(argc, argv);
  } catch (const std::exception& e) {
    // Past the points where the ranks agree on failures: stop the whole job rather than leave the
    // other ranks waiting in a collective.
    std::fprintf(stderr, "expose-mine-mpi: rank %d: %s\n", rank_of_world(), e.what());
    std::fflush(stderr);
    MPI_Abort(MPI_COMM_WORLD, 1);
  }
  // The exit status is agreed, the worst of any rank's, and rank 0 returns it: the other ranks
  // return 0, so that mpirun names rank 0 (which said what happened) as the one that did not.
  MPI_Allreduce(MPI_IN_PLACE, &rc, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
  const bool first = rank_of_world() == 0;
  MPI_Finalize();
  return first ? rc : 0;
}
