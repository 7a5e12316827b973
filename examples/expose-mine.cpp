// expose-mine: a packet trace in, the communication rules of the network out.
//
//   expose-mine [options] TRACE...
//   expose-mine [options] --live IFACE          (until SIGINT; then the rules are mined and written)
//   expose-mine --epoch 10m [--history 6] ...   (rules per epoch of trace time, as a stream)
//   expose-mine --db FILE --site NAME [--run NAME] ...   (adds the run to a rule database and marks
//                                                         each rule new or known)
//
// Exit status: 0 rules written; 1 an input could not be read or an option value is wrong;
// 2 the command line itself is wrong; 3 rules written, but an input was damaged or a flow or
// memory limit left packets out (see stderr).

#include <CLI/CLI.hpp>

#include <atomic>
#include <csignal>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "cli_common.hpp"
#include "mine_options.hpp"
#include "expose/expose.hpp"
#include "expose/io/html.hpp"
#include "expose/io/any_source.hpp"
#include "expose/io/deps.hpp"
#include "expose/io/flow_log.hpp"
#include "expose/io/json.hpp"
#include "expose/io/pcap_file.hpp"
#include "expose/io/pcap_live.hpp"
#include "expose/names.hpp"
#include "expose/store/rule_store.hpp"
#include "expose/stream.hpp"

namespace ex = expose;

namespace {

struct settings : expose_tools::mining_settings {
  ex::ingest_limits limits{};
  bool flow_logs = false;  // the inputs are flow logs (Zeek conn.log, CSV), not captures
  std::string live;             // capture from this interface instead of reading traces
  std::string epoch;            // stream: rules per epoch of trace time
  std::uint32_t history = ex::stream_options{}.history;
  std::string db, site, run;    // rule database
  std::string busy = "30s";      // --busy-timeout
  std::chrono::nanoseconds epoch_ns{0};
  ex::host_names* names_table = nullptr;  // filled by the decoder and the inventory; null with --names off
};

// SIGINT (and SIGTERM) end a live capture cleanly: the flag stops reading, what was captured is
// mined and written. A second SIGINT ends the process at once.
std::atomic<bool> stop_requested{false};
extern "C" void on_interrupt(int sig) {
  stop_requested.store(true);
  std::signal(sig, SIG_DFL);
}

/// Which epoch a report is of: "epoch 2026-01-05 08:08:00 to ... UTC; counts over 5 epochs since ...".
std::string epoch_text(const ex::epoch_result& e) {
  return "epoch " + expose_tools::utc(static_cast<double>(e.start_ns) / 1e9) + " to " + expose_tools::utc(static_cast<double>(e.end_ns) / 1e9) +
         " UTC" + (e.partial ? " (partial)" : "") + "; counts over " + std::to_string(e.epochs_in_span) +
         (e.epochs_in_span == 1 ? " epoch" : " epochs") + " since " + expose_tools::utc(static_cast<double>(e.from_ns) / 1e9);
}
/// The line that heads an epoch's rules (text, deps; a comment in dot).
std::string epoch_line(const ex::epoch_result& e) { return "== " + epoch_text(e) + " =="; }

/// What the tool writes, once per run or once per epoch.
struct writer {
  const settings& s;
  std::ostream& out;
  std::ofstream* report = nullptr;
  std::unique_ptr<ex::store::rule_store> store;
  bool left_out = false, damaged = false;
  std::size_t written = 0;
  /// Why the database did not take a run (busy past its timeout, a disk full ...), or empty: the
  /// rules are written all the same, without marks, and the tool exits 1 at the end. The mining is
  /// not thrown away for the database's sake.
  std::string db_failed{};

  /// One result: kept to --top, added to the database and marked, written in the chosen format.
  template <class Clusters>
  void operator()(ex::mine_result& result, const Clusters& clustering, const ex::epoch_result* epoch) {
    if (s.top != 0) ex::keep_top(result, s.top, clustering);
    for (const auto& w : result.input.warnings) std::cerr << "expose-mine: warning: " << w << "\n";
    left_out = left_out || result.limits.refused != 0 || result.limits.stopped;
    damaged = damaged || result.input.damaged;
    std::vector<ex::store::rule_status> status;
    std::string run_name, not_added;  // with --db: why this run is not in the database, or empty
    if (store && !epoch && result.input.decoded == 0) {
      // Nothing was read: a run would stand in the database with no rule at 1970-01-01 (its start),
      // first of the site, and every diff would compare against it.
      not_added = "no packet or record was decoded: the run was not added";
      std::cerr << "expose-mine: --db: " << not_added << " to '" << s.db << "'\n";
      if (db_failed.empty()) db_failed = not_added;  // exit 1: a job that adds a run a day must hear it
    } else if (store) {
      const double start = static_cast<double>(epoch ? epoch->start_ns : result.input.start_ns) / 1e9;
      run_name = s.run.empty() ? expose_tools::iso_utc(start) : epoch ? s.run + "@" + expose_tools::iso_utc(start) : s.run;
      // An epoch's run starts at its epoch (its counts span earlier ones): runs stay in epoch order.
      const ex::store::run_info info{run_name, epoch ? start : static_cast<double>(result.input.start_ns) / 1e9,
                                     static_cast<double>(result.input.end_ns) / 1e9,
                                     result.input.packets, result.flows, result.windows, result.window_seconds};
      try {
        status = store->add_run(s.site, info, ex::store::observe(result));
        std::size_t known = 0;
        for (const auto& x : status) known += x.known ? 1 : 0;
        std::cerr << "expose-mine: added run " << run_name << " to site " << s.site << " in '" << s.db << "': " << status.size() - known
                  << " new, " << known << " known\n";
      } catch (const ex::error& e) {
        if (db_failed.empty()) db_failed = e.what();
        not_added = e.what();
        std::cerr << "expose-mine: --db: run " << run_name << " was not added: " << e.what() << " (its rules are written without marks)\n";
        status.clear();
      }
    }
    if (s.format == "json") {
      // The rules are written one at a time (io::write_json): a real capture can give 378,865 of them.
      ex::io::json_additions add;
      if (!status.empty())
        add.rule = [&status](std::size_t i, nlohmann::ordered_json& one) {
          if (i >= status.size()) return;
          one["known"] = status[i].known;
          one["runs_seen"] = status[i].runs_seen;
          one["first_run"] = status[i].first_run;
        };
      if (store) {
        add.after["db"] = {{"file", s.db}, {"site", s.site}, {"run", run_name}};
        if (!not_added.empty()) add.after["db"]["error"] = not_added;  // not added: no marks
      }
      if (epoch) {
        add.after["epoch"] = {{"index", epoch->index},
                              {"start", static_cast<double>(epoch->start_ns) / 1e9},
                              {"end", static_cast<double>(epoch->end_ns) / 1e9},
                              {"span_start", static_cast<double>(epoch->from_ns) / 1e9},
                              {"epochs_in_span", epoch->epochs_in_span},
                              {"partial", epoch->partial}};
        ex::io::write_json(out, result, s.names_table, -1, add);  // one object per line (JSON Lines)
      } else {
        ex::io::write_json(out, result, s.names_table, 2, add);
      }
      out << "\n";
    } else if (s.format == "dot") {
      if (epoch) out << (written ? "\n" : "") << "// " << epoch_line(*epoch) << "\n";  // a graph an epoch, each named
      ex::io::write_dot(out, result, s.names_table);
    } else if (s.format == "deps") {
      if (epoch) out << (written ? "\n" : "") << epoch_line(*epoch) << "\n";
      ex::io::write_deps(out, result, s.names_table, s.text.options().all_rules ? SIZE_MAX : 50);
    } else if (s.format == "svg") {
      std::ostringstream dot;
      ex::io::write_patterns_dot(dot, result, {.names = s.names_table});
      const auto drawing = ex::io::render_svg(dot.str());
      if (!drawing.drawn())
        throw ex::bad_argument("--format svg: " + (drawing.state == ex::io::svg_drawing::status::not_installed
                                                      ? std::string(ex::io::graphviz_missing_note)
                                                      : "Graphviz (dot) failed: " + drawing.error));
      out << drawing.svg << "\n";
    } else {
      if (epoch) out << (written ? "\n" : "") << epoch_line(*epoch) << "\n";
      auto opt = s.text.options();
      opt.names = s.names_table;
      for (const auto& x : status) opt.marks.push_back(x.known ? "known:" + std::to_string(x.runs_seen) : "new");
      ex::io::write_text(out, result, opt);
    }
    out.flush();
    ++written;
    if (report) {
      // With epochs the report is the last epoch's: it is rewritten each time.
      std::string title;
      for (const auto& t : s.traces) title += (title.empty() ? "" : ", ") + t;
      if (!s.live.empty()) title = "live capture on " + s.live;
      // the page is the last epoch's: its heading says which, as the text output's line does
      if (epoch) title = epoch_text(*epoch) + ", of " + title;
      auto& file = *report;
      file.close();
      file.open(s.report);
      const auto done = ex::io::write_html(file, result, {.title = title, .names = s.names_table});
      if (!done.note.empty() && written == 1) std::cerr << "expose-mine: note: --report: " << done.note << "\n";
      file.flush();
    }
  }
};

template <class Key, class Lattice, class Clusters>
void run(const settings& s, Key key, Lattice lattice, Clusters clustering, std::chrono::nanoseconds width, writer& w) {
  auto spec = ex::key_by(key) | ex::window_by(ex::windows::lagged{.width = width, .lag = s.lag}) | ex::generalize_by(lattice) |
              ex::score_by(expose_tools::significant_named(s.min_score, s.min_support, s.alpha, s.null_model)) |
              ex::count_by(ex::engine::gustavson{.threads = s.threads}) | ex::cluster_by(clustering);
  const auto go = [&](auto&& source) {
    if (s.epoch_ns.count() != 0) {
      ex::stream_miner miner(spec, ex::stream_options{.epoch = s.epoch_ns, .history = s.history}, s.limits);
      miner.run(source, [&](ex::epoch_result&& e) { w(e.result, spec.cluster, &e); });
    } else {
      auto result = ex::mine(std::move(source), spec, s.limits);
      w(result, spec.cluster, nullptr);
    }
  };
  // One source type for every input kind: the pipeline is instantiated once per key, not per input.
  if (!s.live.empty()) {
    go(ex::io::any_source(ex::io::pcap_live(s.live, {.filter = s.filter, .stop = &stop_requested,
                                                     .decode = {.icmp_errors_join_quoted_flow = s.icmp_errors == "joined", .names = s.names_table}})));
  } else {
    expose_tools::progress_line progress(!s.quiet);
    std::vector<std::filesystem::path> paths(s.traces.begin(), s.traces.end());
    if (s.flow_logs) {
      go(ex::io::any_source(ex::io::flow_logs(std::move(paths), {.step = width, .progress = std::ref(progress)})));
    } else {
      ex::io::pcap_files::options opt{.filter = s.filter, .progress = std::ref(progress),
                                      .decode = {.icmp_errors_join_quoted_flow = s.icmp_errors == "joined", .names = s.names_table}};
      go(ex::io::any_source(ex::io::pcap_files(std::move(paths), std::move(opt))));
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  expose_tools::restart_with_huge_pages(argv);
  expose_tools::return_large_blocks();
  CLI::App app{"expose-mine: learns the communication rules of a network from packet traces (pcap, pcapng) or flow logs (Zeek conn.log, CSV)"};
  settings s;
  expose_tools::add_mining_options(
      app, s,
      {.traces = "capture files (pcap or pcapng) read as one stream in time order, or flow logs (Zeek conn.log as TSV or JSON, CSV)",
       .format = "output format: text (the patterns first), json, dot (the rule graph, Graphviz), svg (the patterns drawn at host level by "
                 "Graphviz), deps (the rules rolled up into service dependencies, with their delays)",
       .formats = {"text", "json", "dot", "svg", "deps"},
       .report = "also write an HTML report there: summary, clusters drawn (Graphviz), sortable rule table",
       .threads = "threads for counting and for generic items (0: one per core)",
       .clusters = "how rules are grouped: components (linked by any chain of rules) or spectral (also cut where conductance is low; ~1 s per 100 000 rules)"});
  app.add_option("--live", s.live, "capture from this interface instead of reading traces, until SIGINT (needs root or CAP_NET_RAW)")
      ->type_name("IFACE");
  app.add_option("--epoch", s.epoch, "stream: write the rules at the end of every epoch of trace time (10m, 1h, 1d; a whole number of windows)")
      ->type_name("D");
  auto* history_opt = app.add_option("--history", s.history, "stream (with --epoch): epochs each epoch's counts span, the current one included (sliding)")
      ->capture_default_str()
      ->check(CLI::Range(1u, 100000u));
  app.add_option("--db", s.db, "rule database (SQLite, see expose-db): add this run and mark each rule new or known")->type_name("FILE");
  app.add_option("--site", s.site, "with --db: the site the run belongs to");
  app.add_option("--run", s.run, "with --db: the run's name (default: its trace start, e.g. 2026-01-05T10:00:00Z; with --epoch, RUN@epoch start)");
  auto* busy_opt = app.add_option("--busy-timeout", s.busy, "with --db: how long to wait for another process writing the database")
                       ->capture_default_str();
  app.set_version_flag("-V,--version", std::string("expose-mine ") + ex::version);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return expose_tools::refused_status(app, e);
  }
  if (s.traces.empty() && s.live.empty()) {
    std::cerr << "expose-mine: traces is required (or --live IFACE)\nRun with --help for more information.\n";
    return 2;
  }
  if (!s.traces.empty() && !s.live.empty()) {
    std::cerr << "expose-mine: --live excludes trace files (got '" << s.traces.front() << "')\n";
    return 2;
  }
  if (!s.db.empty() && s.site.empty()) {
    std::cerr << "expose-mine: --db needs --site NAME (the site the run belongs to)\n";
    return 2;
  }
  if (history_opt->count() != 0 && s.epoch.empty()) {
    std::cerr << "expose-mine: --history needs --epoch D (it is the number of epochs each epoch's counts span)\n";
    return 2;
  }
  if (s.db.empty() && (!s.site.empty() || !s.run.empty() || busy_opt->count() != 0)) {
    std::cerr << "expose-mine: " << (!s.site.empty() ? "--site" : !s.run.empty() ? "--run" : "--busy-timeout") << " needs --db FILE\n";
    return 2;
  }
  const auto busy_timeout = expose_tools::parse_duration(s.busy);
  if (!busy_timeout) {
    std::cerr << "expose-mine: --busy-timeout: '" << s.busy << "' is not a positive duration (try 30s, 2m)\n";
    return 1;
  }
  if (!s.epoch.empty()) {
    const auto epoch = expose_tools::parse_duration(s.epoch);
    if (!epoch) {
      std::cerr << "expose-mine: --epoch: '" << s.epoch << "' is not a positive duration (try 10m, 1h)\n";
      return 1;
    }
    s.epoch_ns = *epoch;
  }

  const auto width = expose_tools::parse_duration(s.window);
  if (!width) {
    std::cerr << "expose-mine: --window: '" << s.window << "' is not a positive duration (try 1s, 250ms, 2m)\n";
    return 1;
  }
  std::string bad;
  const auto limits = expose_tools::limits_of(s, bad);
  if (!limits) {
    std::cerr << "expose-mine: " << bad << "\n";
    return 1;
  }
  s.limits = *limits;
  if (!(s.min_score >= 0)) {
    std::cerr << "expose-mine: --min-score: must be 0 or more bits\n";
    return 1;
  }
  // Captures or flow logs, judged by content; one run takes one kind. A file compressed with gzip
  // that holds no text (cut short before any, or empty) is of no kind: it goes with the others, and
  // alone to the flow-log reader, the one that reads compressed files, which names what it is.
  std::string a_capture, a_log, no_text;
  for (const auto& t : s.traces) {
    std::error_code ec;
    // a pipe this process holds (`-`, <(zcat ...)) is judged by what waits in it, left there for the
    // reader; anything else that is not a file (a named FIFO too) is read as a capture, or named by the reader
    if (!std::filesystem::is_regular_file(t, ec) && ex::io::held_descriptor(t) < 0) continue;
    if (ex::io::sniff_flow_log(t)) a_log = t;
    else if (ex::io::compressed_without_text(t)) no_text = t;
    else a_capture = t;
  }
  if (!a_log.empty() && !a_capture.empty()) {
    std::cerr << "expose-mine: cannot mix packet captures and flow logs in one run: '" << a_capture << "' is a capture, '" << a_log
              << "' a flow log\n";
    return 1;
  }
  s.flow_logs = !a_log.empty() || (a_capture.empty() && !no_text.empty());
  if (s.flow_logs && a_log.empty()) a_log = no_text;
  // Flow logs are written as connections end, not in time order, and a record covers many windows:
  // an epoch would take records of other epochs (a review saw 73 records of a whole log in the last
  // 2-minute epoch). Until the reader orders them in time, refused.
  if (s.flow_logs && !s.epoch.empty()) {
    std::cerr << "expose-mine: --epoch: reads packet captures in time order, not flow logs such as '" << a_log
              << "' (mine the log whole, or by the hour with one log a run)\n";
    return 1;
  }
  if (s.flow_logs && !s.filter.empty()) {
    std::cerr << "expose-mine: --filter: applies to packet captures, not to flow logs such as '" << a_log << "'\n";
    return 1;
  }
  if (const auto why = expose_tools::output_over_input(s, {s.db}); !why.empty()) {
    std::cerr << "expose-mine: " << why << "\n";
    return 1;
  }
  try {
    std::ofstream file;
    if (!s.output.empty()) {
      file.open(s.output);
      if (!file) {
        std::cerr << "expose-mine: --output: cannot write '" << s.output << "'\n";
        return 1;
      }
    }
    std::ofstream report;
    if (!s.report.empty()) {
      report.open(s.report);
      if (!report) {
        std::cerr << "expose-mine: --report: cannot write '" << s.report << "'\n";
        return 1;
      }
    }
    if (s.epoch_ns.count() != 0 && s.format == "svg") {
      std::cerr << "expose-mine: --format svg draws one run's patterns, not epochs: leave out --epoch, or use --format text or json\n";
      return 1;
    }
    if (s.epoch_ns.count() != 0 && s.epoch_ns.count() % width->count() != 0) {
      std::cerr << "expose-mine: --epoch: '" << s.epoch << "' is not a whole number of windows of '" << s.window << "'\n";
      return 1;
    }
    ex::host_names names;
    if (s.names != "off") {
      s.names_table = &names;
      if (!s.names.empty())
        for (const auto& warning : names.load_csv(s.names)) std::cerr << "expose-mine: warning: " << warning << "\n";
    }
    writer w{s, s.output.empty() ? std::cout : file, s.report.empty() ? nullptr : &report, nullptr};
    if (!s.db.empty()) {
      w.store = std::make_unique<ex::store::rule_store>(
          s.db, ex::store::store_options{.busy_timeout = std::chrono::duration_cast<std::chrono::milliseconds>(*busy_timeout)});
      // A run named on the command line is looked up before the trace is read, not after it is
      // mined (a run named by its trace start can only be looked up once the trace is read).
      // A name is one line of text without spaces around it; a site named so before is taken.
      if (const auto why = expose_tools::name_problem(s.site); !why.empty() && !w.store->has_site(s.site))
        throw ex::bad_argument("--site: " + why);
      if (const auto why = expose_tools::name_problem(s.run); !why.empty()) throw ex::bad_argument("--run: " + why);
      if (!s.run.empty() && s.epoch.empty() && w.store->has_run(s.site, s.run))
        throw ex::bad_argument("--run: run '" + s.run + "' is already in the database for site '" + s.site +
                               "' (forget it first: expose-db forget; or name this run otherwise)");
    }
    if (!s.live.empty()) {
      std::signal(SIGINT, on_interrupt);
      std::signal(SIGTERM, on_interrupt);
    }
    const auto by_clusters = [&](auto key, auto lattice) {
      run(s, key, lattice, expose_tools::clusters_named(s.clusters, s.conductance, s.cluster_join), *width, w);
    };
    // Every key takes the paper's templates: those naming a field the key leaves out make no item.
    // The templates are chosen at run time (one pipeline per key, not per key and lattice).
    const auto lattice = expose_tools::lattice_named(s.templates, s.all_rules, s.threads);
    if (s.key == "host-pair") by_clusters(ex::keys::host_pair{}, lattice);
    else if (s.key == "service") by_clusters(ex::keys::service{}, lattice);
    else by_clusters(ex::keys::five_tuple{}, lattice);
    if (!w.out) {
      std::cerr << "expose-mine: writing the output failed\n";
      return 1;
    }
    if (s.epoch_ns.count() != 0 && w.written == 0) std::cerr << "expose-mine: note: no packet was read: no epoch to report\n";
    if (!s.report.empty() && !report) {
      std::cerr << "expose-mine: --report: cannot write '" << s.report << "'\n";
      return 1;
    }
    if (stop_requested.load()) std::cerr << "expose-mine: interrupted: the rules of what was captured are written\n";
    if (!w.db_failed.empty()) return 1;  // said as it happened; the rules are written
    return w.damaged || w.left_out ? 3 : 0;
  } catch (const std::exception& e) {  // expose::error, and anything else (memory, the JSON library): said, never an abort
    std::cerr << "expose-mine: " << e.what() << "\n";
    // The outputs are opened before mining (epochs write as they go): leave no empty file behind.
    expose_tools::remove_empty_files({s.output, s.report});
    return 1;
  }
}
