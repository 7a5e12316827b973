// expose-accuracy: scores mined rules against the ground truth of a synthetic trace.
//
//   expose-synth --truth truth.json -o trace.pcap
//   expose-mine --format json -o rules.json trace.pcap
//   expose-accuracy --truth truth.json rules.json [--format text|json]
//
// Prints recall (planted patterns with at least one true rule), precision (true rules over all
// rules), rules per found pattern, each pattern's rules and every false rule with the reason. When
// the truth names sources (expose-synth --background), also the cross-source rules (false), the
// rules within one background capture (not judged, and left out of the precision), the source
// precision (rules not crossing sources over all rules), each source's rules, and the true rules
// that are planted rules widened to '*' within one source (expose/accuracy.hpp).
// Exit status: 0 scored; 1 a file could not be read or is not what it should be; 2 bad command line.

#include <CLI/CLI.hpp>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>
#include <utility>

#include "cli_common.hpp"
#include "expose/accuracy.hpp"
#include "expose/accuracy_json.hpp"
#include "expose/synth/truth_json.hpp"
#include "expose/version.hpp"

namespace ex = expose;

namespace {

std::string percent(std::size_t a, std::size_t b, double ratio) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%zu/%zu = %.1f%%", a, b, 100.0 * ratio);
  return buf;
}

void write_text(std::ostream& out, const ex::accuracy_report& r, const ex::synth::ground_truth& t) {
  out << "expose-accuracy " << ex::version << ": " << r.rules << " rules";
  if (r.alike != 0) out << " (and " << r.alike << " alike to them, not scored)";
  out << " against " << r.planted << " planted patterns";
  if (!t.generator.empty())
    out << " (" << t.generator << ", seed " << t.seed << ", " << t.hosts << " hosts, "
        << static_cast<double>(t.end_ns - t.start_ns) / 1e9 << " s)";
  out << "\n\n";
  out << "recall     " << percent(r.found, r.planted, r.recall) << "   planted patterns with at least one true rule\n";
  if (t.sources.empty()) {
    out << "precision  " << percent(r.true_rules, r.rules, r.precision) << "   true rules over all rules\n";
  } else {
    out << "precision  " << percent(r.true_rules, r.planted_judged, r.precision)
        << "   true rules over the rules judged against the planted patterns (not in-capture, not unattributed)\n";
  }
  if (r.alike != 0)
    out << "with alike " << percent(r.true_rules + r.alike_true, r.planted_judged + r.alike_judged, r.precision_with_alike)
        << "   precision with the " << r.alike << " rules alike to another counted one by one\n";
  char per[32];
  std::snprintf(per, sizeof per, "%.2f", r.rules_per_found_pattern);
  out << "rules per found pattern  " << per << "\n\n";
  if (!t.sources.empty()) {
    out << "A mixed trace of " << t.sources.size() << " sources: a rule crosses when one side names a host of one source and the\n"
        << "other a host of another (a '*' or a host variable names none; multicast and broadcast belong to none).\n";
    out << "source precision  " << percent(r.rules - r.cross_source, r.rules, r.source_precision)
        << "   rules not crossing sources over all rules\n";
    out << "cross-source      " << r.cross_source << (r.cross_source == 1 ? " rule " : " rules") << "   false by construction: the sources never met\n";
    out << "in-capture        " << r.in_capture << (r.in_capture == 1 ? " rule " : " rules")
        << "   every host in one background capture: neither true nor false\n";
    out << "unattributed      " << r.unattributed << (r.unattributed == 1 ? " rule " : " rules")
        << "   no host of the generated part named, a side meeting no generated flow, or no host named,\n"
        << "                               no planted flow met, a capture could hold it: not judged\n";
    out << "widened           " << r.widened << (r.widened == 1 ? " rule " : " rules")
        << "   of the true rules: planted rules with fields widened to '*' (as flows of their shape in a\n"
        << "                               capture would widen them), a host variable keeping each instance in one source\n\n";
    out << "rules  true  cross  addresses  source   (rules: whose hosts all belong to it; cross: cross-source rules naming it)\n";
    for (std::size_t i = 0; i < r.sources.size(); ++i) {
      const auto& s = r.sources[i];
      out << std::right << std::setw(5) << s.rules << "  " << std::setw(4) << (i == 0 ? std::to_string(s.true_rules) : "-") << "  "
          << std::setw(5) << s.cross_source << "  " << std::setw(9) << s.addresses << "  " << s.name << "\n";
    }
    out << "\n";
  }
  std::size_t width = 7;
  for (const auto& p : r.patterns) width = std::max(width, p.name.size());
  out << "found  rules  " << std::left << std::setw(static_cast<int>(width)) << "pattern" << "  paper rule\n";
  for (const auto& p : r.patterns) {
    out << std::left << std::setw(5) << (p.found ? "yes" : "no") << "  " << std::right << std::setw(5) << p.rules << "  "
        << std::left << std::setw(static_cast<int>(width)) << p.name << "  " << p.paper_rule;
    if (p.widened != 0) out << "   (" << p.widened << " widened)";
    out << "\n";
  }
  // Delays of the patterns whose members come in order: measured on the most significant true rule
  // between the first member and another one.
  std::size_t ordered = 0, order_right = 0, delay_right = 0;
  for (const auto& p : r.patterns) {
    if (!p.ordered) continue;
    ++ordered;
    order_right += p.order_right ? 1 : 0;
    delay_right += p.delay_right() ? 1 : 0;
  }
  if (ordered != 0) {
    out << "\norder  delay  measured    planted         " << std::left << std::setw(static_cast<int>(width)) << "pattern"
        << "  first   (order right for " << order_right << " of " << ordered << ", delay right for " << delay_right << ")\n";
    for (const auto& p : r.patterns) {
      if (!p.ordered) continue;
      char measured[32], planted[48];
      if (p.timed) std::snprintf(measured, sizeof measured, "%+.1f ms", p.measured_delay_ms);
      else std::snprintf(measured, sizeof measured, "-");
      if (p.planted_delay_ms >= 0) std::snprintf(planted, sizeof planted, "%.1f ms", p.planted_delay_ms);
      else std::snprintf(planted, sizeof planted, "%g-%g ms", p.planted_range_ms[0], p.planted_range_ms[1]);
      out << std::left << std::setw(5) << (p.order_right ? "yes" : "no") << "  " << std::setw(5) << (p.delay_right() ? "yes" : "no") << "  "
          << std::setw(10) << measured << "  " << std::setw(14) << planted << "  " << std::setw(static_cast<int>(width)) << p.name << "  "
          << p.first;
      if (p.timed) out << "   (rule " << p.delay_rule + 1 << ")";
      out << "\n";
    }
  }
  const auto wrong = r.false_rules();
  out << "\n" << wrong.size() << (wrong.size() == 1 ? " false rule" : " false rules") << (wrong.empty() ? "\n" : " (rank, why, rule)\n");
  for (const auto& j : wrong) {
    out << std::right << std::setw(6) << j.index + 1 << "  " << std::left << std::setw(15) << ex::verdict_text(j.why) << "  "
        << j.text << "   [" << j.detail << "]\n";
  }
  if (r.widened == 0) return;
  out << "\n" << r.widened << (r.widened == 1 ? " widened true rule" : " widened true rules") << " (rank, pattern, rule)\n";
  for (const auto& j : r.judged) {
    if (!j.widened) continue;
    std::string names;
    for (const auto& name : j.patterns) names += (names.empty() ? "" : ",") + name;
    out << std::right << std::setw(6) << j.index + 1 << "  " << std::left << std::setw(15) << names << "  " << j.text
        << "   [" << j.detail << "]\n";
  }
}

}  // namespace

int main(int argc, char** argv) try {
  CLI::App app{"expose-accuracy: scores mined rules (expose-mine --format json) against a ground truth (expose-synth --truth)"};
  std::string truth_file, rules_file, format = "text";
  app.add_option("--truth", truth_file, "ground truth written by expose-synth --truth")->required()->type_name("FILE.json");
  app.add_option("rules", rules_file, "rules written by expose-mine --format json")->required()->type_name("RULES.json");
  app.add_option("-F,--format", format, "output format")->check(CLI::IsMember({"text", "json"}))->capture_default_str();
  app.set_version_flag("-V,--version", std::string("expose-accuracy ") + ex::version);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return expose_tools::refused_status(app, e);
  }

  for (const auto& path : {truth_file, rules_file})
    if (std::filesystem::is_directory(path)) {
      std::cerr << "expose-accuracy: '" << path << "' is a directory, not a JSON file\n";
      return 1;
    }
  ex::synth::ground_truth truth;
  {
    std::ifstream in(truth_file);
    if (!in) {
      std::cerr << "expose-accuracy: cannot read '" << truth_file << "': " << std::strerror(errno) << "\n";
      return 1;
    }
    try {
      truth = ex::synth::read_truth_json(in);
    } catch (const std::exception& e) {  // expose::error, and a read that failed
      std::cerr << "expose-accuracy: '" << truth_file << "': " << e.what() << "\n";
      return 1;
    }
  }
  std::vector<ex::mined_rule> rules;
  std::optional<std::pair<double, double>> span;  // the trace the report read
  {
    std::ifstream in(rules_file);
    if (!in) {
      std::cerr << "expose-accuracy: cannot read '" << rules_file << "': " << std::strerror(errno) << "\n";
      return 1;
    }
    try {
      rules = ex::read_rules_json(in, &span);
    } catch (const std::exception& e) {  // expose::error, and a read that failed
      std::cerr << "expose-accuracy: '" << rules_file << "': " << e.what() << "\n";
      return 1;
    }
  }
  // A report of another trace than the truth's is scored all the same, but said: its rules are
  // judged against patterns planted elsewhere (a 10-minute truth against a 3-minute trace gave
  // 50% precision, unsaid). A report of the truth's trace lies within its span and covers most of it.
  if (span && truth.end_ns > truth.start_ns) {
    // The mixed trace's span, with every background capture's (each as placed in the mix).
    std::int64_t first = truth.start_ns, last = truth.end_ns;
    for (const auto& source : truth.sources)
      if (source.packets != 0) {
        first = std::min(first, source.start_ns);
        last = std::max(last, source.end_ns);
      }
    const double from = static_cast<double>(first) / 1e9, to = static_cast<double>(last) / 1e9;
    const bool within = span->first >= from - 1 && span->second <= to + 1;
    if (!within || span->second - span->first < 0.5 * (to - from))
      std::cerr << "expose-accuracy: warning: '" << rules_file << "' read a trace from " << expose_tools::utc(span->first) << " to "
                << expose_tools::utc(span->second) << " UTC, the truth's trace runs from " << expose_tools::utc(from) << " to "
                << expose_tools::utc(to) << ": are they of one trace?\n";
  }
  const auto report = ex::score_accuracy(rules, truth);
  if (format == "json") std::cout << ex::to_json(report).dump(2) << "\n";
  else write_text(std::cout, report, truth);
  std::cout.flush();
  if (!std::cout) {
    std::cerr << "expose-accuracy: writing the output failed\n";
    return 1;
  }
  return 0;
} catch (const std::exception& e) {  // anything not said above (memory, the JSON library): said, never an abort
  std::cerr << "expose-accuracy: " << e.what() << "\n";
  return 1;
}
