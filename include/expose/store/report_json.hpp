#pragma once
// The rule store and JSON (component expose::json, nlohmann/json; no SQLite): reads the rules of an
// `expose-mine --format json` report as a rule store takes them, and writes a stored rule back as a
// rule object of DESIGN.md section 5 (the same fields, plus what the store knows of it).

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <unordered_set>
#include <vector>

#include "expose/error.hpp"
#include "expose/store/rule_key.hpp"

namespace expose::store {

/// A report's input figures and rules, in the report's order.
struct report_rules {
  double start = 0, end = 0;
  std::uint64_t packets = 0, flows = 0, windows = 0;
  double window_seconds = 0;
  std::vector<observed_rule> rules;
  /// Rules the report held more than once (the same identity: before 2026-12-06 expose-mine could
  /// write one text twice), left out: the first, most significant, is kept.
  std::size_t repeated = 0;
};

/// Reads an expose-mine JSON report; `name` (the file) goes into the error messages, which say
/// which rule and which field is wrong. Counts must be whole numbers of 0 or more (within range),
/// the input's times finite: a value a hand edit or another program wrote wrong is refused, not
/// stored wrapped round.
[[nodiscard]] inline report_rules read_report(const nlohmann::json& j, const std::string& name) {
  if (!j.is_object() || !j.contains("rules") || !j["rules"].is_array())
    throw bad_argument("'" + name + "': not an expose-mine JSON report (no \"rules\" array; make one with expose-mine --format json)");
  report_rules out;
  const auto number = [&](const nlohmann::json& obj, const char* key, const std::string& where) -> const nlohmann::json& {
    if (!obj.contains(key) || !obj[key].is_number())
      throw bad_argument("'" + name + "': " + where + ": \"" + key + "\" is missing or not a number");
    return obj[key];
  };
  // A count, where the object has it (else `v` stays): a whole number from 0 to the largest `v` holds.
  const auto count = [&](const nlohmann::json& obj, const char* key, const std::string& where, auto& v) {
    using T = std::remove_reference_t<decltype(v)>;
    if (!obj.contains(key) || obj[key].is_null()) return;
    const auto& x = obj[key];
    const bool whole = x.is_number_unsigned() || (x.is_number_integer() && x.get<std::int64_t>() >= 0);  // as parsed, or as built in C++
    if (!whole || x.get<std::uint64_t>() > std::numeric_limits<T>::max())
      throw bad_argument("'" + name + "': " + where + ": \"" + key + "\" is " + x.dump() + ", not a whole number from 0 to " +
                         std::to_string(std::numeric_limits<T>::max()));
    v = x.get<T>();
  };
  if (j.contains("input") && j["input"].is_object()) {
    const auto& in = j["input"];
    const auto time = [&](const char* key, double& v) {
      if (!in.contains(key) || in[key].is_null()) return;
      if (!in[key].is_number() || !std::isfinite(in[key].get<double>()) || std::abs(in[key].get<double>()) > 1e11)
        throw bad_argument("'" + name + "': input: \"" + key + "\" is " + in[key].dump() + ", not a time in seconds since 1970");
      v = in[key].get<double>();
    };
    time("start", out.start);
    time("end", out.end);
    count(in, "packets", "input", out.packets);
    count(in, "flows", "input", out.flows);
    count(in, "windows", "input", out.windows);
    if (in.contains("window_seconds") && in["window_seconds"].is_number()) out.window_seconds = in["window_seconds"].get<double>();
  }
  std::unordered_set<std::string> seen;  // the rules' identities
  const auto& rules = j["rules"];
  out.rules.reserve(rules.size());
  for (std::size_t i = 0; i < rules.size(); ++i) {
    const auto& r = rules[i];
    const std::string where = "rule " + std::to_string(i + 1);
    if (!r.is_object()) throw bad_argument("'" + name + "': " + where + " is not an object");
    const auto read_side = [&](const char* which) {
      if (!r.contains(which) || !r[which].is_object()) throw bad_argument("'" + name + "': " + where + ": \"" + which + "\" is missing");
      const auto& f = r[which];
      const auto field = [&](const char* key) {
        if (!f.contains(key) || !f[key].is_string())
          throw bad_argument("'" + name + "': " + where + ": \"" + which + "." + key + "\" is missing or not a string");
        return f[key].get<std::string>();
      };
      return side{field("proto"), field("src"), field("sport"), field("dst"), field("dport")};
    };
    if (!r.contains("kind") || !r["kind"].is_string()) throw bad_argument("'" + name + "': " + where + ": \"kind\" is missing");
    const auto kind = r["kind"].get<std::string>();
    if (kind != "=>" && kind != "<=>") throw bad_argument("'" + name + "': " + where + ": kind '" + kind + "' is neither => nor <=>");
    observed_rule o;
    o.key = canonical(read_side("lhs"), kind, read_side("rhs"));
    o.score = number(r, "score", where).get<double>();
    o.reverse_score = r.contains("reverse_score") && r["reverse_score"].is_number() ? r["reverse_score"].get<double>() : o.score;
    number(r, "support", where);
    count(r, "support", where, o.support);
    count(r, "lhs_count", where, o.lhs_count);
    count(r, "rhs_count", where, o.rhs_count);
    count(r, "samples", where, o.samples);
    if (r.contains("order") && r["order"].is_string()) o.order = r["order"].get<std::string>();
    count(r, "lag_windows", where, o.lag_windows);
    if (!seen.insert(o.key.text()).second) {
      ++out.repeated;
      continue;
    }
    out.rules.push_back(std::move(o));
  }
  return out;
}

/// A stored rule as a rule object of DESIGN.md section 5, sides in the order its run reported them.
[[nodiscard]] inline nlohmann::ordered_json rule_json(const observed_rule& o) {
  const auto flow = [](const side& s) {
    return nlohmann::ordered_json{{"proto", s.proto}, {"src", s.src}, {"sport", s.sport}, {"dst", s.dst}, {"dport", s.dport}};
  };
  return {{"lhs", flow(o.reported_lhs())},
          {"rhs", flow(o.reported_rhs())},
          {"kind", o.key.kind},
          {"score", o.score},
          {"reverse_score", o.reverse_score},
          {"support", o.support},
          {"lhs_count", o.lhs_count},
          {"rhs_count", o.rhs_count},
          {"samples", o.samples},
          {"confidence", o.confidence()},
          {"text", o.reported_text()},
          {"order", o.order},
          {"lag_windows", o.lag_windows},
          {"canonical", o.key.text()}};
}

}  // namespace expose::store
