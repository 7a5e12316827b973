#pragma once
// The JSON report of DESIGN.md section 5 (component expose::json, with nlohmann/json). Other programs
// read it: field names and meanings are a contract; fields may be added, never renamed or dropped.

#include <cassert>
#include <cmath>
#include <cstddef>
#include <functional>
#include <nlohmann/json.hpp>
#include <ostream>
#include <ranges>
#include <string>
#include <string_view>

#include "expose/dependencies.hpp"
#include "expose/io/deps.hpp"
#include "expose/io/text.hpp"
#include "expose/mine_result.hpp"
#include "expose/version.hpp"

namespace expose::io {

[[nodiscard]] inline nlohmann::ordered_json flow_json(const flow_pattern& p) {
  return {{"proto", p.field_text(field::proto)},
          {"src", p.field_text(field::src_ip)},
          {"sport", p.field_text(field::src_port)},
          {"dst", p.field_text(field::dst_ip)},
          {"dport", p.field_text(field::dst_port)}};
}

namespace detail {

/// The report's fields before the rules: tool, version, input.
[[nodiscard]] inline nlohmann::ordered_json report_head(const mine_result& r) {
  using json = nlohmann::ordered_json;
  auto seconds = [](std::int64_t ns) { return static_cast<double>(ns) / 1e9; };
  json skipped = json::object();
  for (const auto& [why, n] : r.input.skipped) skipped[why] = n;
  json by_protocol = json::object();
  for (const auto& [proto, n] : r.flows_by_protocol) by_protocol[proto_name(proto)] = n;
  json out = {{"tool", "expose"},
              {"version", version},
              {"input",
               {{"packets", r.input.packets},
                {"decoded", r.input.decoded},
                {"skipped", skipped},
                {"flows", r.flows},
                {"windows", r.windows},
                {"window_seconds", r.window_seconds},
                {"start", seconds(r.input.start_ns)},
                {"end", seconds(r.input.end_ns)},
                {"items", r.items.size()},
                {"activity_entries", r.activity_entries},
                {"damaged", r.input.damaged},
                {"warnings", r.input.warnings},
                {"evicted_flows", r.limits.evicted_flows},
                {"refused_packets", r.limits.refused},
                {"flows_by_protocol", by_protocol}}}};
  return out;
}

/// One rule's object.
[[nodiscard]] inline nlohmann::ordered_json rule_json(const mine_result& r, const rule& x) {
  using json = nlohmann::ordered_json;
  json one = {{"lhs", flow_json(r.items[x.lhs])},
              {"rhs", flow_json(r.items[x.rhs])},
              {"kind", kind_text(x.kind)},
              {"score", x.score},
              {"reverse_score", x.reverse_score},
              {"support", x.counts.n_xy},
              {"lhs_count", x.counts.n_x},
              {"rhs_count", x.counts.n_y},
              {"samples", x.counts.n},
              {"confidence", x.confidence()},
              {"text", rule_text(r, x)},
              {"order", order_text(x.order)},
              {"lag_windows", x.lag}};
  if (x.delay.samples == 0) one["delay"] = nullptr;
  else
    one["delay"] = {{"median_ms", x.delay.median_ms}, {"p25_ms", x.delay.p25_ms}, {"p75_ms", x.delay.p75_ms}, {"samples", x.delay.samples},
                    {"hosts", x.delay.hosts}};
  one["leads"] = leads_text(x.leads);
  if (x.alike_of != rule::not_alike) one["alike_of"] = x.alike_of;
  if (x.alike != 0) one["alike"] = x.alike;
  if (x.same_shape_of != rule::not_alike) one["same_shape_of"] = x.same_shape_of;
  if (x.same_shape != 0) {
    one["same_shape"] = x.same_shape;
    one["same_shape_host"] = x.same_shape_host.to_string();
  }
  return one;
}

/// The report's fields after the rules: clusters, dependencies, and with `names` the hosts.
[[nodiscard]] inline nlohmann::ordered_json report_tail(const mine_result& r, const host_names* names) {
  using json = nlohmann::ordered_json;
  json out = json::object();
  json clusters = json::array();
  for (std::size_t c = 0; c < r.clusters.size(); ++c) {
    json flows = json::array();
    for (auto item : r.clusters[c].items) flows.push_back(r.items[item].text());
    const auto& cl = r.clusters[c];
    json entry = {{"id", c},
                  {"flows", std::move(flows)},
                  {"rules", cl.rules},
                  {"density", cl.density},
                  {"summary", cl.summary},
                  {"parts", cl.parts}};
    // The pattern block: its best rules, when it was active, how, and how often.
    std::vector<std::size_t> best;  // listed ones (not folded into another), as the text shows them
    for (auto i : cl.rules)
      if (!r.rules[i].folded() && best.size() < 3) best.push_back(i);
    entry["top_rules"] = best;
    entry["host_count"] = clusters::hosts_of(cl, r.items);
    if (cl.windows_active != 0) {
      entry["first_seen"] = static_cast<double>(cl.first_window) * r.window_seconds;
      entry["last_seen"] = static_cast<double>(cl.last_window + 1) * r.window_seconds;
      entry["windows_active"] = cl.windows_active;
      entry["activity_per_minute"] = cl.per_minute;
      entry["period_s"] = cl.period_seconds > 0 ? json(cl.period_seconds) : json(nullptr);
    }
    clusters.push_back(std::move(entry));
  }
  out["clusters"] = std::move(clusters);
  // The rules rolled up into service dependencies (dependencies.hpp).
  json deps = json::array();
  for (const auto& d : dependencies_of(r)) {
    json entry = {{"first", service_text(d.first)}, {"then", service_text(d.then)}, {"ordered", d.ordered},
                  {"rules", d.rules},           {"hosts", d.hosts},           {"rule_indices", d.rule_indices}};
    if (d.ordered && d.delay.samples != 0)
      entry["delay"] = {{"median_ms", d.delay.median_ms}, {"p25_ms", d.delay.p25_ms}, {"p75_ms", d.delay.p75_ms}, {"samples", d.delay.samples}};
    else
      entry["delay"] = nullptr;
    deps.push_back(std::move(entry));
  }
  out["dependencies"] = std::move(deps);
  if (names != nullptr) {
    auto table = json::array();
    for (const auto& h : clusters::hosts_named(r.items, std::views::iota(std::size_t{0}, r.items.size()))) {
      const auto& list = names->of(h);
      if (list.empty()) continue;
      auto entry = json::array();
      for (const auto& e : list) entry.push_back({{"name", e.name}, {"source", std::string(source_name(e.source))}});
      table.push_back({{"address", h.to_string()}, {"names", std::move(entry)}});
    }
    out["hosts"] = std::move(table);
  }
  return out;
}

/// `text` (one value as dump(indent) writes it at the top) as it stands one level down: every line
/// after the first indented by `by` more spaces (a JSON string holds no raw line break).
inline void write_indented(std::ostream& out, std::string_view text, std::size_t by) {
  const std::string pad(by, ' ');
  for (std::size_t at = 0;;) {
    const auto nl = text.find('\n', at);
    if (nl == std::string_view::npos) {
      out << text.substr(at);
      return;
    }
    out << text.substr(at, nl + 1 - at) << pad;
    at = nl + 1;
  }
}

/// The whole report as one document (with `names`, the hosts too).
[[nodiscard]] inline nlohmann::ordered_json report(const mine_result& r, const host_names* names) {
  auto out = report_head(r);
  auto rules = nlohmann::ordered_json::array();
  for (const rule& x : r.rules) rules.push_back(rule_json(r, x));
  out["rules"] = std::move(rules);
  auto tail = report_tail(r, names);  // kept: items() views it
  for (auto& [key, value] : tail.items()) out[key] = std::move(value);
  return out;
}
}  // namespace detail

[[nodiscard]] inline nlohmann::ordered_json to_json(const mine_result& r) { return detail::report(r, nullptr); }

/// As above, plus `hosts`: every single host the items name that has a name, in byte order, with
/// its names and where each came from (`{"address", "names": [{"name", "source"}]}`; sources:
/// inventory, dhcp, netbios, mdns, llmnr, dns). Names never change the rules.
[[nodiscard]] inline nlohmann::ordered_json to_json(const mine_result& r, const host_names& names) { return detail::report(r, &names); }

/// What a tool adds to the report: fields at the end of rule i's object (`rule(i, object)`), and
/// fields after every other (`after`, an object whose keys the report does not have).
struct json_additions {
  std::function<void(std::size_t, nlohmann::ordered_json&)> rule;
  nlohmann::ordered_json after = nlohmann::ordered_json::object();
};

/// The report (with `names`, to_json(r, names); else to_json(r)), with `add`'s fields, written as
/// its dump(indent) writes it (indent < 0: on one line), byte for byte, but the rules made and
/// written one at a time: a document of every rule took 2.3 GB and 12 s for the 378,865 rules of
/// a 1 MB real capture (nfpuzzle_evidence04), where the rest of the report is small. A string that
/// is not UTF-8 (a name from an inventory in another encoding, a path) has its bad bytes replaced
/// by U+FFFD, where dump throws: what is written is never cut short.
inline void write_json(std::ostream& out, const mine_result& r, const host_names* names, int indent = 2, const json_additions& add = {}) {
  using json = nlohmann::ordered_json;
  assert(add.after.is_object());
  const auto dump = [](const json& v, int at) { return v.dump(at, ' ', false, json::error_handler_t::replace); };
  const bool lines = indent >= 0;
  const auto step = static_cast<std::size_t>(lines ? indent : 0);
  const std::string_view colon = lines ? ": " : ":";
  bool first = true;
  const auto field = [&](const std::string& key) {
    out << (first ? "" : ",") << (lines ? "\n" : "") << std::string(step, ' ') << dump(json(key), -1) << colon;
    first = false;
  };
  const auto value = [&](const json& v, std::size_t depth) { detail::write_indented(out, dump(v, indent), step * depth); };
  out << "{";
  const json head = detail::report_head(r);  // kept: items() views it
  for (const auto& [key, v] : head.items()) {
    field(key);
    value(v, 1);
  }
  field("rules");
  if (r.rules.empty()) {
    out << "[]";
  } else {
    out << "[";
    for (std::size_t i = 0; i < r.rules.size(); ++i) {
      json one = detail::rule_json(r, r.rules[i]);
      if (add.rule) add.rule(i, one);
      out << (i == 0 ? "" : ",") << (lines ? "\n" : "") << std::string(2 * step, ' ');
      value(one, 2);
    }
    out << (lines ? "\n" : "") << std::string(step, ' ') << "]";
  }
  const json tail = detail::report_tail(r, names);
  for (const json* part : {&tail, &add.after})
    for (const auto& [key, v] : part->items()) {
      field(key);
      value(v, 1);
    }
  out << (lines ? "\n" : "") << "}";
}

inline void write_json(std::ostream& out, const mine_result& r) {
  write_json(out, r, nullptr);
  out << "\n";
}

}  // namespace expose::io
