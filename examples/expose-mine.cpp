// expose-mine: a packet trace in, the communication rules of the network out.
//
//   expose-mine [options] TRACE...
//
// Exit status: 0 rules written; 1 an input could not be read or an option value is wrong;
// 2 the command line itself is wrong; 3 rules written, but an input was damaged or a flow or
// memory limit left packets out (see stderr).

#include <CLI/CLI.hpp>

#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "cli_common.hpp"
#include "expose/expose.hpp"
#include "expose/io/html.hpp"
#include "expose/clusters/spectral.hpp"
#include "expose/io/flow_log.hpp"
#include "expose/io/json.hpp"
#include "expose/io/pcap_file.hpp"

namespace ex = expose;

namespace {

struct settings {
  std::vector<std::string> traces;
  std::string window = "1s";
  std::uint32_t lag = 0;
  double min_score = ex::scores::jmeasure{}.min_score;
  std::uint64_t min_support = ex::scores::jmeasure{}.min_support;
  double alpha = ex::scores::significant<>{}.alpha;
  std::string filter;
  std::string format = "text";
  std::string output;
  std::string report;
  std::size_t top = 0;
  std::string key = "five-tuple";
  unsigned threads = 0;
  std::string templates = "paper";
  std::string clusters = "components";
  double conductance = ex::clusters::spectral{}.max_conductance;
  bool all_rules = false;
  bool quiet = false;
  std::uint64_t max_flows = 0;
  std::string max_memory = "half";
  std::string idle = "60s";
  std::string icmp_errors = "joined";
  ex::ingest_limits limits{};
  bool flow_logs = false;  // the inputs are flow logs (Zeek conn.log, CSV), not captures
};

template <class Key, class Lattice, class Clusters>
ex::mine_result run(const settings& s, Key key, Lattice lattice, Clusters clustering, std::chrono::nanoseconds width) {
  expose_tools::progress_line progress(!s.quiet);
  std::vector<std::filesystem::path> paths(s.traces.begin(), s.traces.end());
  auto spec = ex::key_by(key) | ex::window_by(ex::windows::lagged{.width = width, .lag = s.lag}) | ex::generalize_by(lattice) |
              ex::score_by(ex::scores::significant{.scorer = ex::scores::jmeasure{.min_score = s.min_score, .min_support = s.min_support},
                                                   .alpha = s.alpha}) |
              ex::count_by(ex::engine::gustavson{.threads = s.threads}) | ex::cluster_by(clustering);
  ex::mine_result result;
  if (s.flow_logs) {
    result = ex::mine(ex::io::flow_logs(std::move(paths), {.step = width, .progress = std::ref(progress)}), spec, s.limits);
  } else {
    ex::io::pcap_files::options opt{.filter = s.filter, .progress = std::ref(progress),
                                    .decode = {.icmp_errors_join_quoted_flow = s.icmp_errors == "joined"}};
    result = ex::mine(ex::io::pcap_files(std::move(paths), std::move(opt)), spec, s.limits);
  }
  if (s.top != 0) ex::keep_top(result, s.top, spec.cluster);
  return result;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"expose-mine: learns the communication rules of a network from packet traces (pcap, pcapng) or flow logs (Zeek conn.log, CSV)"};
  settings s;
  app.add_option("traces", s.traces, "capture files (pcap or pcapng) read as one stream in time order, or flow logs (Zeek conn.log as TSV or JSON, CSV)")
      ->required()
      ->type_name("TRACE");
  app.add_option("-w,--window", s.window, "window width: 1s, 250ms, 2m, or seconds (default 1s)");
  app.add_option("-l,--lag", s.lag, "also count the right side up to this many windows after the left (rules say which comes first)")
      ->capture_default_str()
      ->check(CLI::Range(0u, 1000u));
  app.add_option("-s,--min-score", s.min_score, "keep rules scoring at least this, in bits (J-measure)")
      ->capture_default_str();
  app.add_option("-n,--min-support", s.min_support, "keep rules whose sides co-occur in at least this many windows")
      ->capture_default_str();
  app.add_option("--fdr", s.alpha, "false-discovery rate of the exact co-occurrence test (1: no test)")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1.0));
  app.add_option("-f,--filter", s.filter, "BPF filter, as tcpdump takes it (e.g. 'not port 443')");
  app.add_option("-F,--format", s.format, "output format")->check(CLI::IsMember({"text", "json", "dot"}))->capture_default_str();
  app.add_option("-o,--output", s.output, "write the rules to this file (default: standard output)");
  app.add_option("--report", s.report, "also write an HTML report there: summary, clusters drawn (Graphviz), sortable rule table")
      ->type_name("FILE.html");
  app.add_option("-t,--top", s.top, "report only the N most significant rules (0: all)")->capture_default_str();
  app.add_option("-k,--key", s.key, "what a flow is")
      ->check(CLI::IsMember({"five-tuple", "host-pair", "service"}))
      ->capture_default_str();
  app.add_option("-j,--threads", s.threads, "counting threads (0: one per core)")->capture_default_str();
  app.add_option("-T,--templates", s.templates, "generic rules: paper (every rule shape of the paper) or none")
      ->check(CLI::IsMember({"paper", "none"}))
      ->capture_default_str();
  app.add_option("--max-flows", s.max_flows, "hold at most this many flows; at the limit idle rare flows are evicted (0: no limit)")
      ->capture_default_str();
  app.add_option("--max-memory", s.max_memory, "memory for flows and activity: 4G, 512M, ..., 0 for no limit (default: half of RAM)")
      ->capture_default_str();
  app.add_option("--idle", s.idle, "at a limit, flows not seen for this long (and in fewer windows than --min-support) are evicted")
      ->capture_default_str();
  app.add_option("-c,--clusters", s.clusters, "how rules are grouped: components (linked by any chain of rules) or spectral (also cut where conductance is low; ~1 s per 100 000 rules)")
      ->check(CLI::IsMember({"spectral", "components"}))
      ->capture_default_str();
  app.add_option("--conductance", s.conductance, "spectral: cut a cluster while its best cut's conductance is below this")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1.0));
  app.add_option("--icmp-errors", s.icmp_errors, "ICMP unreachable errors: joined to the flow they quote, or apart as ICMP flows of their sender")
      ->check(CLI::IsMember({"joined", "apart"}))
      ->capture_default_str();
  app.add_flag("-a,--all-rules", s.all_rules, "also report rules that a more general rule explains");
  app.add_flag("-q,--quiet", s.quiet, "no progress line on stderr");
  app.set_version_flag("-V,--version", std::string("expose-mine ") + ex::version);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  }

  const auto width = expose_tools::parse_duration(s.window);
  if (!width) {
    std::cerr << "expose-mine: --window: '" << s.window << "' is not a positive duration (try 1s, 250ms, 2m)\n";
    return 1;
  }
  const auto memory = s.max_memory == "half" ? std::optional<std::uint64_t>(expose_tools::half_of_memory()) : expose_tools::parse_size(s.max_memory);
  if (!memory) {
    std::cerr << "expose-mine: --max-memory: '" << s.max_memory << "' is not a size (try 4G, 512M, or 0 for no limit)\n";
    return 1;
  }
  const auto idle = expose_tools::parse_duration(s.idle);
  if (!idle) {
    std::cerr << "expose-mine: --idle: '" << s.idle << "' is not a positive duration (try 60s, 5m)\n";
    return 1;
  }
  s.limits = {.max_flows = s.max_flows,
              .max_memory = *memory,
              .idle_ns = idle->count(),
              .evict_below = static_cast<std::uint32_t>(std::min<std::uint64_t>(s.min_support, UINT32_MAX))};
  if (!(s.min_score >= 0)) {
    std::cerr << "expose-mine: --min-score: must be 0 or more bits\n";
    return 1;
  }
  // Captures or flow logs, judged by content; one run takes one kind.
  std::string a_capture, a_log;
  for (const auto& t : s.traces) {
    if (!std::filesystem::is_regular_file(t)) continue;  // the reader names what is wrong with it
    (ex::io::sniff_flow_log(t) ? a_log : a_capture) = t;
  }
  if (!a_log.empty() && !a_capture.empty()) {
    std::cerr << "expose-mine: cannot mix packet captures and flow logs in one run: '" << a_capture << "' is a capture, '" << a_log
              << "' a flow log\n";
    return 1;
  }
  s.flow_logs = !a_log.empty();
  if (s.flow_logs && !s.filter.empty()) {
    std::cerr << "expose-mine: --filter: applies to packet captures, not to flow logs such as '" << a_log << "'\n";
    return 1;
  }
  try {
    ex::mine_result result;
    const auto by_clusters = [&](auto key, auto lattice) {
      if (s.clusters == "components") return run(s, key, lattice, ex::clusters::components{}, *width);
      return run(s, key, lattice, ex::clusters::spectral{.max_conductance = s.conductance}, *width);
    };
    const ex::lattice::paper_templates paper{.keep_instances = s.all_rules};
    if (s.templates == "none" || s.key != "five-tuple") {
      if (s.templates != "none") std::cerr << "expose-mine: note: --templates paper needs --key five-tuple; mining without templates\n";
      if (s.key == "host-pair") result = by_clusters(ex::keys::host_pair{}, ex::lattice::none{});
      else if (s.key == "service") result = by_clusters(ex::keys::service{}, ex::lattice::none{});
      else result = by_clusters(ex::keys::five_tuple{}, ex::lattice::none{});
    } else {
      result = by_clusters(ex::keys::five_tuple{}, paper);
    }

    for (const auto& w : result.input.warnings) std::cerr << "expose-mine: warning: " << w << "\n";
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
    std::ostream& out = s.output.empty() ? std::cout : file;
    if (s.format == "json") ex::io::write_json(out, result);
    else if (s.format == "dot") ex::io::write_dot(out, result);
    else ex::io::write_text(out, result);
    out.flush();
    if (!out) {
      std::cerr << "expose-mine: writing the output failed\n";
      return 1;
    }
    if (!s.report.empty()) {
      std::string title;
      for (const auto& t : s.traces) title += (title.empty() ? "" : ", ") + t;
      const auto written = ex::io::write_html(report, result, {.title = title});
      if (!written.note.empty()) std::cerr << "expose-mine: note: --report: " << written.note << "\n";
      report.close();
      if (!report) {
        std::cerr << "expose-mine: --report: cannot write '" << s.report << "'\n";
        return 1;
      }
    }
    const bool left_out = result.limits.refused != 0 || result.limits.stopped;
    return result.input.damaged || left_out ? 3 : 0;
  } catch (const ex::error& e) {
    std::cerr << "expose-mine: " << e.what() << "\n";
    return 1;
  }
}
