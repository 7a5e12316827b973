#pragma once
// The JSON report of DESIGN.md section 5 (component expose::json, with nlohmann/json). Other programs
// read it: field names and meanings are a contract; fields may be added, never renamed or dropped.

#include <cmath>
#include <nlohmann/json.hpp>
#include <ostream>
#include <ranges>
#include <string>

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

[[nodiscard]] inline nlohmann::ordered_json to_json(const mine_result& r) {
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
  json rules = json::array();
  for (const rule& x : r.rules) {
    rules.push_back({{"lhs", flow_json(r.items[x.lhs])},
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
                     {"lag_windows", x.lag}});
    if (x.delay.samples == 0) rules.back()["delay"] = nullptr;
    else
      rules.back()["delay"] = {{"median_ms", x.delay.median_ms}, {"p25_ms", x.delay.p25_ms}, {"p75_ms", x.delay.p75_ms}, {"samples", x.delay.samples},
                               {"hosts", x.delay.hosts}};
    rules.back()["leads"] = leads_text(x.leads);
    if (x.alike_of != rule::not_alike) rules.back()["alike_of"] = x.alike_of;
    if (x.alike != 0) rules.back()["alike"] = x.alike;
    if (x.same_shape_of != rule::not_alike) rules.back()["same_shape_of"] = x.same_shape_of;
    if (x.same_shape != 0) {
      rules.back()["same_shape"] = x.same_shape;
      rules.back()["same_shape_host"] = x.same_shape_host.to_string();
    }
  }
  out["rules"] = std::move(rules);
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
  return out;
}

/// As above, plus `hosts`: every single host the items name that has a name, in byte order, with
/// its names and where each came from (`{"address", "names": [{"name", "source"}]}`; sources:
/// inventory, dhcp, netbios, mdns, llmnr, dns). Names never change the rules.
[[nodiscard]] inline nlohmann::ordered_json to_json(const mine_result& r, const host_names& names) {
  auto out = to_json(r);
  auto table = nlohmann::ordered_json::array();
  for (const auto& h : clusters::hosts_named(r.items, std::views::iota(std::size_t{0}, r.items.size()))) {
    const auto& list = names.of(h);
    if (list.empty()) continue;
    auto entry = nlohmann::ordered_json::array();
    for (const auto& e : list) entry.push_back({{"name", e.name}, {"source", std::string(source_name(e.source))}});
    table.push_back({{"address", h.to_string()}, {"names", std::move(entry)}});
  }
  out["hosts"] = std::move(table);
  return out;
}

inline void write_json(std::ostream& out, const mine_result& r) { out << to_json(r).dump(2) << "\n"; }

}  // namespace expose::io
