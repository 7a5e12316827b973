#pragma once
// What the two mining tools (expose-mine, expose-mine-mpi) share beyond cli_common.hpp: the
// cluster policy and the null model chosen at run time, the scorer, the text output's options.

#include <CLI/CLI.hpp>

#include <algorithm>
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "cli_common.hpp"
#include "expose/clusters/any_of.hpp"
#include "expose/clusters/components.hpp"
#include "expose/clusters/spectral.hpp"
#include "expose/io/text.hpp"
#include "expose/lattice/any_of.hpp"
#include "expose/lattice/templates.hpp"
#include "expose/limits.hpp"
#include "expose/nulls/any_of.hpp"
#include "expose/nulls/whole_trace.hpp"
#include "expose/scores/jmeasure.hpp"
#include "expose/scores/significant.hpp"

namespace expose_tools {

/// `--clusters` and its settings as one policy chosen at run time (one instantiation of the job).
using any_clusters = expose::clusters::any_of<expose::clusters::components, expose::clusters::spectral>;
inline any_clusters clusters_named(const std::string& name, double conductance, const std::string& join) {
  any_clusters c{.join = cluster_join_named(join)};
  if (name == "spectral") c.chosen = expose::clusters::spectral{.max_conductance = conductance};
  return c;
}

/// `-T`: the paper's templates or none, chosen at run time (lattice::any_of). --all-rules keeps the
/// rules a generic rule explains; without templates there are none, and alike rules stay marked.
using any_lattice = expose::lattice::any_of<expose::lattice::paper_templates, expose::lattice::none>;
inline any_lattice lattice_named(const std::string& name, bool all_rules, unsigned threads) {
  if (name == "none") return {.chosen = expose::lattice::none{}};
  return {.chosen = expose::lattice::paper_templates{.threads = threads}, .keep_instances = all_rules};
}

/// `--null`: what chance means for the significance test, chosen at run time.
inline constexpr const char* null_help =
    "null model of the co-occurrence test: alive (each side placed at random within its own lifetime: holds when hosts "
    "come and go) or whole-trace (within the whole trace: the original method, for stationary traffic)";
using any_null = expose::nulls::any_of<expose::nulls::alive, expose::nulls::whole_trace>;
inline any_null null_named(const std::string& name) {
  any_null n;
  if (name == "whole-trace") n.chosen = expose::nulls::whole_trace{};
  return n;
}

/// The default scorer of both tools: the J-measure with its thresholds, tested for significance.
inline auto significant_named(double min_score, std::uint64_t min_support, double alpha, const std::string& null) {
  return expose::scores::significant<expose::scores::jmeasure, any_null>{
      .scorer = expose::scores::jmeasure{.min_score = min_score, .min_support = min_support}, .alpha = alpha, .null = null_named(null)};
}

/// A count from 0: CLI11's NonNegativeNumber names its range up to the largest double, in 300
/// digits ("Value -3 not in range 0.000000 to 17976931348623157081...").
inline const CLI::Validator whole_number(
    [](std::string& s) -> std::string {
      std::uint64_t v = 0;
      const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
      if (ec == std::errc::result_out_of_range) return "'" + s + "' is too large";
      if (s.empty() || ec != std::errc{} || end != s.data() + s.size()) return "'" + s + "' is not a whole number from 0";
      return {};
    },
    "NONNEGATIVE");

/// The text output's options, as both tools take them: `--rules` and `--rules-per-pattern`.
struct text_choice {
  std::string rules = "patterns";
  std::size_t rules_per_pattern = expose::io::text_options{}.rules_per_pattern;
  [[nodiscard]] expose::io::text_options options() const { return {.rules_per_pattern = rules_per_pattern, .all_rules = rules == "all"}; }
};
inline void add_text_options(CLI::App& app, text_choice& t) {
  app.add_option("--rules", t.rules, "text: the patterns with their best rules, or all (every rule and every pattern's flows too)")
      ->check(CLI::IsMember({"patterns", "all"}))
      ->capture_default_str();
  app.add_option("--rules-per-pattern", t.rules_per_pattern, "text: the best rules shown under each pattern")
      ->capture_default_str()
      ->check(whole_number);
}

/// The job's settings both mining tools take (each tool adds its own around them).
struct mining_settings {
  std::vector<std::string> traces;
  std::string window = "1s";
  std::uint32_t lag = 0;
  double min_score = expose::scores::jmeasure{}.min_score;
  std::uint64_t min_support = expose::scores::jmeasure{}.min_support;
  double alpha = expose::scores::significant<>{}.alpha;
  std::string null_model = "alive";
  std::string filter;
  std::string icmp_errors = "joined";
  std::string names = "";  // --names: empty (from the trace), off, or an inventory file
  std::string format = "text";
  std::string output;
  std::string report;
  std::size_t top = 0;
  std::string key = "five-tuple";
  unsigned threads = 0;
  std::string templates = "paper";
  std::string clusters = "components";
  double conductance = expose::clusters::spectral{}.max_conductance;
  std::string cluster_join = "all";
  bool all_rules = false;
  text_choice text;
  bool quiet = false;
  std::uint64_t max_flows = 0;
  std::string max_memory = "half";
  std::string idle = "60s";
};

/// Why --output or --report must not be written (output_is_input): it is one of the traces, the
/// --names inventory, or one of `more` (a tool's own inputs, e.g. expose-mine's --db); empty when
/// both may be.
inline std::string output_over_input(const mining_settings& s, const std::vector<std::string>& more = {}) {
  std::vector<std::string> inputs(s.traces.begin(), s.traces.end());
  if (s.names != "off" && !s.names.empty()) inputs.push_back(s.names);
  for (const auto& path : more)
    if (!path.empty()) inputs.push_back(path);
  for (const auto& [option, path] : {std::pair{"--output", &s.output}, std::pair{"--report", &s.report}})
    if (auto why = output_is_input(option, *path, inputs); !why.empty()) return why;
  return {};
}

/// The ingest limits the options name (--max-flows, --max-memory, --idle, with --min-support as
/// the eviction bar), the memory shared by `sharing` processes when it defaults to half of RAM;
/// or an error naming the option.
inline std::optional<expose::ingest_limits> limits_of(const mining_settings& s, std::string& error, std::uint64_t sharing = 1) {
  const auto memory = s.max_memory == "half" ? std::optional<std::uint64_t>(half_of_memory() / std::max<std::uint64_t>(sharing, 1))
                                             : parse_size(s.max_memory);
  if (!memory) {
    error = "--max-memory: '" + s.max_memory + "' is not a size (try 4G, 512M, or 0 for no limit)";
    return std::nullopt;
  }
  const auto idle = parse_duration(s.idle);
  if (!idle) {
    error = "--idle: '" + s.idle + "' is not a positive duration (try 60s, 5m)";
    return std::nullopt;
  }
  return expose::ingest_limits{.max_flows = s.max_flows,
                               .max_memory = *memory,
                               .idle_ns = idle->count(),
                               .evict_below = static_cast<std::uint32_t>(std::min<std::uint64_t>(s.min_support, UINT32_MAX))};
}

/// How the options the tools share read in each: the traces, the formats, the thread count.
struct mining_option_help {
  const char* traces;
  const char* format;
  std::vector<std::string> formats;
  const char* report;
  const char* threads;
  const char* clusters;
  const char* max_flows = "hold at most this many flows; at the limit idle rare flows are evicted (0: no limit)";
  const char* max_memory = "memory for flows and activity: 4G, 512M, ..., 0 for no limit (default: half of RAM)";
};

/// The options both mining tools take, in one place: the window, lag and scoring, the filter and
/// ICMP errors, the output, the key, templates and threads, the clusters, the text's options.
inline void add_mining_options(CLI::App& app, mining_settings& s, const mining_option_help& help) {
  app.add_option("traces", s.traces, help.traces)->type_name("TRACE");
  app.add_option("-w,--window", s.window, "window width: 1s, 250ms, 2m, or seconds (default 1s)");
  app.add_option("-l,--lag", s.lag, "also count the right side up to this many windows after the left (rules say which comes first)")
      ->capture_default_str()
      ->check(CLI::Range(0u, 1000u));
  app.add_option("-s,--min-score", s.min_score, "keep rules scoring at least this, in bits (J-measure)")->capture_default_str();
  app.add_option("-n,--min-support", s.min_support, "keep rules whose sides co-occur in at least this many windows")
      ->capture_default_str()
      ->check(whole_number);
  app.add_option("--fdr", s.alpha, "false-discovery rate of the exact co-occurrence test (1: no test)")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1.0));
  app.add_option("--null", s.null_model, null_help)->check(CLI::IsMember({"alive", "whole-trace"}))->capture_default_str();
  app.add_option("-f,--filter", s.filter, "BPF filter, as tcpdump takes it (e.g. 'not port 443')");
  app.add_option("-F,--format", s.format, help.format)->check(CLI::IsMember(help.formats))->capture_default_str();
  app.add_option("-o,--output", s.output, "write the rules to this file (default: standard output)");
  app.add_option("--report", s.report, help.report)->type_name("FILE.html");
  app.add_option("-t,--top", s.top, "report only the N most significant rules (0: all)")->capture_default_str()->check(whole_number);
  app.add_option("-k,--key", s.key, "what a flow is")->check(CLI::IsMember({"five-tuple", "host-pair", "service"}))->capture_default_str();
  app.add_option("-j,--threads", s.threads, help.threads)->capture_default_str()->check(whole_number);
  app.add_option("-T,--templates", s.templates, "generic rules: paper (every rule shape of the paper) or none")
      ->check(CLI::IsMember({"paper", "none"}))
      ->capture_default_str();
  app.add_option("-c,--clusters", s.clusters, help.clusters)->check(CLI::IsMember({"spectral", "components"}))->capture_default_str();
  app.add_option("--conductance", s.conductance, "spectral: cut a cluster while its best cut's conductance is below this")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1.0));
  app.add_option("--cluster-join", s.cluster_join, cluster_join_help)
      ->check(CLI::IsMember({"all", "views", "instances", "none"}))
      ->capture_default_str();
  app.add_option("--icmp-errors", s.icmp_errors, "ICMP unreachable errors: joined to the flow they quote, or apart as ICMP flows of their sender")
      ->check(CLI::IsMember({"joined", "apart"}))
      ->capture_default_str();
  app.add_option("--names", s.names,
                 "host names shown beside addresses: read from the trace by default (DNS, mDNS, LLMNR, NetBIOS and DHCP), "
                 "'off', or a CSV file of address,name lines (an inventory) added to them")
      ->type_name("FILE|off");
  app.add_flag("-a,--all-rules", s.all_rules, "also report rules that a more general rule explains, and list rules alike to another");
  add_text_options(app, s.text);
  app.add_flag("-q,--quiet", s.quiet, "no progress line on stderr");
  app.add_option("--max-flows", s.max_flows, help.max_flows)->capture_default_str()->check(whole_number);
  app.add_option("--max-memory", s.max_memory, help.max_memory)->capture_default_str();
  app.add_option("--idle", s.idle, "at a limit, flows not seen for this long (and in fewer windows than --min-support) are evicted")
      ->capture_default_str();
}

}  // namespace expose_tools
