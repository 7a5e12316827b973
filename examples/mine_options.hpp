#pragma once
// What the two mining tools (expose-mine, expose-mine-mpi) share beyond cli_common.hpp: the
// cluster policy and the null model chosen at run time, the scorer, the text output's options.

#include <CLI/CLI.hpp>

#include <cstddef>
#include <string>

#include "cli_common.hpp"
#include "expose/clusters/any_of.hpp"
#include "expose/clusters/components.hpp"
#include "expose/clusters/spectral.hpp"
#include "expose/io/text.hpp"
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
  app.add_option("--rules-per-pattern", t.rules_per_pattern, "text: the best rules shown under each pattern")->capture_default_str();
}

}  // namespace expose_tools
