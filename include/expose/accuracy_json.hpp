#pragma once
// The accuracy harness's JSON side (component expose::json, with nlohmann/json): reads the rules of
// an expose-mine report (`--format json`: rules[].lhs/rhs with proto/src/sport/dst/dport strings,
// "*" for any value, "$A" for a host variable) and writes the accuracy report. For a mixed trace
// (the truth names sources) the report adds "planted_judged" (rules judged against the planted
// patterns), "cross_source", "in_capture", "unattributed", "source_precision" ((rules - cross_source) / rules),
// "sources" (per source: addresses, rules whose hosts all belong to it, true_rules, cross_source),
// "widened" (true rules that are planted rules widened to "*" within one source, within true_rules),
// "widened_rules" (each: index, patterns, detail, text) and per pattern "widened".

#include <istream>
#include <optional>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "expose/accuracy.hpp"
#include "expose/error.hpp"
#include "expose/version.hpp"

namespace expose {

/// The rules of an expose-mine JSON report; throws bad_argument naming the rule and field that is wrong.
[[nodiscard]] inline std::vector<mined_rule> rules_from_json(const nlohmann::json& j) {
  if (!j.is_object() || !j.contains("rules") || !j["rules"].is_array())
    throw bad_argument("not an expose-mine JSON report (no \"rules\" array)");
  std::vector<mined_rule> out;
  static constexpr std::pair<const char*, field> fields[] = {
      {"proto", field::proto}, {"src", field::src_ip}, {"sport", field::src_port}, {"dst", field::dst_ip}, {"dport", field::dst_port}};
  const auto& rules = j["rules"];
  for (std::size_t i = 0; i < rules.size(); ++i) {
    const auto& jr = rules[i];
    mined_rule r;
    auto side = [&](const char* name, flow_pattern& p, std::array<char, field_count>& vars) {
      if (!jr.is_object() || !jr.contains(name) || !jr[name].is_object())
        throw bad_argument("rule " + std::to_string(i) + ": no \"" + name + "\" object");
      for (const auto& [key, f] : fields) {
        const auto& v = jr[name];
        if (!v.contains(key) || !v[key].is_string())
          throw bad_argument("rule " + std::to_string(i) + ": " + name + "." + key + " is missing or not a string");
        const auto text = v[key].get<std::string>();
        if (!set_rule_field(p, vars, f, text))
          throw bad_argument("rule " + std::to_string(i) + ": " + name + "." + key + " '" + text +
                             "' is not a value, \"*\" or a host variable");
      }
    };
    side("lhs", r.lhs, r.lhs_vars);
    side("rhs", r.rhs, r.rhs_vars);
    if (jr.contains("kind") && jr["kind"].is_string()) r.kind = jr["kind"].get<std::string>();
    if (jr.contains("text") && jr["text"].is_string()) r.text = jr["text"].get<std::string>();
    r.alike = jr.contains("alike_of") || jr.contains("same_shape_of");
    if (jr.contains("delay") && jr["delay"].is_object()) {  // a field of another type reads as not measured
      const auto& d = jr["delay"];
      if (d.contains("median_ms") && d["median_ms"].is_number()) r.delay_ms = d["median_ms"].get<double>();
      if (d.contains("samples") && d["samples"].is_number_unsigned()) r.delay_samples = d["samples"].get<std::uint64_t>();
    }
    if (jr.contains("leads") && jr["leads"].is_string()) r.leads = jr["leads"].get<std::string>();
    out.push_back(std::move(r));
  }
  return out;
}

/// The span of trace an expose-mine JSON report read, [input.start, input.end] in seconds, or
/// nullopt when it does not say.
[[nodiscard]] inline std::optional<std::pair<double, double>> report_span(const nlohmann::json& j) {
  if (!j.is_object() || !j.contains("input") || !j["input"].is_object()) return std::nullopt;
  const auto& in = j["input"];
  if (!in.contains("start") || !in["start"].is_number() || !in.contains("end") || !in["end"].is_number()) return std::nullopt;
  return std::pair{in["start"].get<double>(), in["end"].get<double>()};
}

/// The same from a stream of JSON text; throws bad_argument when it is not JSON or not a report,
/// or holds more than one report (expose-mine --epoch writes one a line: only the first was scored).
/// `span`, when given, gets the report's report_span.
[[nodiscard]] inline std::vector<mined_rule> read_rules_json(std::istream& in, std::optional<std::pair<double, double>>* span = nullptr) {
  nlohmann::json j;
  try {
    in >> j;
  } catch (const nlohmann::json::exception& e) {
    throw bad_argument(std::string("not JSON: ") + e.what());
  }
  if (!(in >> std::ws).eof())
    throw bad_argument("more than one JSON object (expose-mine --epoch writes a report a line): score one epoch's line at a time");
  if (span != nullptr) *span = report_span(j);
  return rules_from_json(j);
}

[[nodiscard]] inline nlohmann::ordered_json to_json(const accuracy_report& r) {
  using json = nlohmann::ordered_json;
  const bool mixed = !r.sources.empty();
  json patterns = json::array();
  for (const auto& p : r.patterns) {
    json jp = {{"name", p.name}, {"paper_rule", p.paper_rule}, {"found", p.found}, {"rules", p.rules}, {"rule_indices", p.rule_indices}};
    if (mixed) jp["widened"] = p.widened;
    if (p.ordered) {
      json order = {{"first", p.first},
                    {"planted_delay_ms", p.planted_delay_ms >= 0 ? json(p.planted_delay_ms) : json(nullptr)},
                    {"planted_range_ms", {p.planted_range_ms[0], p.planted_range_ms[1]}},
                    {"measured_delay_ms", p.timed ? json(p.measured_delay_ms) : json(nullptr)},
                    {"order_right", p.order_right},
                    {"delay_right", p.delay_right()}};
      if (p.timed) order["rule_index"] = p.delay_rule;
      jp["order"] = std::move(order);
    }
    patterns.push_back(std::move(jp));
  }
  json rules = json::array();
  for (const auto& j : r.judged)
    if (j.wrong()) {
      json jr = {{"index", j.index}, {"verdict", verdict_text(j.why)}, {"patterns", j.patterns}, {"detail", j.detail}, {"text", j.text}};
      if (!j.sources.empty()) jr["sources"] = j.sources;
      rules.push_back(std::move(jr));
    }
  json out = {{"tool", "expose-accuracy"},
          {"version", version},
          {"planted", r.planted},
          {"found", r.found},
          {"recall", r.recall},
          {"rules", r.rules},
          {"alike_rules", r.alike},
          {"precision_with_alike", r.precision_with_alike},
          {"true_rules", r.true_rules},
          {"precision", r.precision},
          {"rules_per_found_pattern", r.rules_per_found_pattern},
          {"patterns", std::move(patterns)},
          {"false_rules", std::move(rules)}};
  if (!mixed) return out;
  // A mixed trace: how many rules cross sources, and each source's own rules.
  json sources = json::array();
  for (const auto& s : r.sources)
    sources.push_back({{"name", s.name}, {"addresses", s.addresses}, {"rules", s.rules}, {"true_rules", s.true_rules}, {"cross_source", s.cross_source}});
  out["planted_judged"] = r.planted_judged;
  out["cross_source"] = r.cross_source;
  out["in_capture"] = r.in_capture;
  out["unattributed"] = r.unattributed;
  out["source_precision"] = r.source_precision;
  out["sources"] = std::move(sources);
  json widened = json::array();
  for (const auto& j : r.judged)
    if (j.widened) widened.push_back({{"index", j.index}, {"patterns", j.patterns}, {"detail", j.detail}, {"text", j.text}});
  out["widened"] = r.widened;
  out["widened_rules"] = std::move(widened);
  return out;
}

}  // namespace expose
