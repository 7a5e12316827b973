#pragma once
// The ground truth as JSON (component expose::json, with nlohmann/json), both ways:
//
//   {"tool": "expose-synth", "version": "0.1.0", "generator": "expose::synth::generator",
//    "seed": 1, "start": 1767600000.0, "end": 1767600600.0, "hosts": 50, "noise_per_second": 5.0,
//    "heavy_flows": 8,
//    "patterns": [{"name": "dns-before-web", "paper_rule": "$C.* : Web.80 => $C.* : DNS.53",
//                  "description": "...", "background": false, "per": "client", "instances": 50,
//                  "rate_per_hour": 30.0,
//                  "members": [{"role": "name lookup", "proto": "udp", "src": "$C", "sport": "*",
//                               "dst": "10.0.0.53", "dport": "53", "many": false,
//                               "text": "$C.* : 10.0.0.53.53 : udp"}, ...]}, ...]}
//
// Member fields are strings as in expose-mine's rules: a value, "*", or a host variable "$C"; a
// kept address may carry a prefix ("10.1.0.0/16") and a kept port a range ("6881-6889").
//
// A trace mixed with background captures adds "sources" (absent otherwise), the generated part first:
//    "sources": [{"name": "generated", "file": "", "start": 1767600000.0, "end": 1767600599.9,
//                 "shift_ns": 0, "packets": 1200, "addresses": ["10.1.0.1", ...], "shared": ["255.255.255.255"]},
//                {"name": "a.pcap", "file": "traces/a.pcap", "start": ..., "end": ..., "shift_ns": -3000000000,
//                 "packets": 659, "v4_range": "172.16.0.0/16", "v6_range": "fd00:0:1::/48",
//                 "left_out": {"non-ip": 39}, "addresses": ["172.16.0.1", ...],
//                 "mapping": [["192.168.1.5", "172.16.0.1"], ...], "shared": ["224.0.0.251"]}]

#include <algorithm>
#include <cmath>
#include <istream>
#include <map>
#include <optional>
#include <nlohmann/json.hpp>
#include <ostream>
#include <string>

#include "expose/error.hpp"
#include "expose/synth/truth.hpp"
#include "expose/version.hpp"

namespace expose::synth {

[[nodiscard]] inline nlohmann::ordered_json to_json(const truth_member& m, char var) {
  return {{"role", m.role},
          {"proto", member_field_text(m, field::proto, var)},
          {"src", member_field_text(m, field::src_ip, var)},
          {"sport", member_field_text(m, field::src_port, var)},
          {"dst", member_field_text(m, field::dst_ip, var)},
          {"dport", member_field_text(m, field::dst_port, var)},
          {"many", m.many},
          {"text", member_text(m, var)}};
}

[[nodiscard]] inline nlohmann::ordered_json to_json(const ground_truth& t) {
  using json = nlohmann::ordered_json;
  json patterns = json::array();
  for (const auto& p : t.patterns) {
    json members = json::array();
    for (const auto& m : p.members) members.push_back(to_json(m, p.var));
    patterns.push_back({{"name", p.name},
                        {"paper_rule", p.paper_rule},
                        {"description", p.description},
                        {"background", p.background},
                        {"per", p.per},
                        {"instances", p.instances},
                        {"rate_per_hour", p.rate_per_hour},
                        {"members", std::move(members)}});
    if (p.ordered()) {
      json order = {{"first", p.members[static_cast<std::size_t>(p.leader)].role}};
      if (p.delay_ms >= 0) order["delay_ms"] = p.delay_ms;
      order["delay_range_ms"] = {p.delay_range_ms[0], p.delay_range_ms[1]};
      patterns.back()["order"] = std::move(order);
    }
  }
  auto seconds = [](std::int64_t ns) { return static_cast<double>(ns) / 1e9; };
  json out = {{"tool", "expose-synth"},
          {"version", version},
          {"generator", t.generator},
          {"seed", t.seed},
          {"start", seconds(t.start_ns)},
          {"end", seconds(t.end_ns)},
          {"hosts", t.hosts},
          {"noise_per_second", t.noise_per_second},
          {"heavy_flows", t.heavy_flows},
          {"patterns", std::move(patterns)}};
  if (t.sources.empty()) return out;
  auto texts = [](const std::vector<ip_address>& as) {
    json a = json::array();
    for (const auto& x : as) a.push_back(x.to_string());
    return a;
  };
  json sources = json::array();
  for (const auto& src : t.sources) {
    json js = {{"name", src.name},
               {"file", src.file},
               {"start", seconds(src.start_ns)},
               {"end", seconds(src.end_ns)},
               {"shift_ns", src.shift_ns},
               {"packets", src.packets}};
    if (!src.v4_range.empty()) js["v4_range"] = src.v4_range;
    if (!src.v6_range.empty()) js["v6_range"] = src.v6_range;
    if (!src.left_out.empty()) js["left_out"] = src.left_out;
    js["addresses"] = texts(src.addresses);
    if (!src.mapping.empty()) {
      json m = json::array();
      for (const auto& [from, to] : src.mapping) m.push_back({from.to_string(), to.to_string()});
      js["mapping"] = std::move(m);
    }
    js["shared"] = texts(src.shared);
    sources.push_back(std::move(js));
  }
  out["sources"] = std::move(sources);
  return out;
}

inline void write_json(std::ostream& out, const ground_truth& t) { out << to_json(t).dump(2) << "\n"; }

/// Reads a ground truth back; throws bad_argument naming the pattern and field that is wrong.
[[nodiscard]] inline ground_truth truth_from_json(const nlohmann::json& j) {
  auto fail = [](const std::string& what) -> ground_truth { throw bad_argument("ground truth: " + what); };
  if (!j.is_object() || !j.contains("patterns") || !j["patterns"].is_array())
    return fail("not a ground-truth object (no \"patterns\" array)");
  auto ns = [](const nlohmann::json& v) { return static_cast<std::int64_t>(std::llround(v.get<double>() * 1e9)); };
  ground_truth t;
  try {
    t.generator = j.value("generator", std::string{});
    t.seed = j.value("seed", std::uint64_t{0});
    if (j.contains("start")) t.start_ns = ns(j["start"]);
    if (j.contains("end")) t.end_ns = ns(j["end"]);
    t.hosts = j.value("hosts", std::uint32_t{0});
    t.noise_per_second = j.value("noise_per_second", 0.0);
    t.heavy_flows = j.value("heavy_flows", std::uint32_t{0});
    for (const auto& jp : j["patterns"]) {
      truth_pattern p;
      p.name = jp.at("name").get<std::string>();
      p.paper_rule = jp.value("paper_rule", std::string{});
      p.description = jp.value("description", std::string{});
      p.background = jp.value("background", false);
      p.per = jp.value("per", std::string{"site"});
      p.instances = jp.value("instances", std::uint64_t{1});
      p.rate_per_hour = jp.value("rate_per_hour", 0.0);
      for (const auto& jm : jp.at("members")) {
        truth_member m;
        m.role = jm.value("role", std::string{});
        m.many = jm.value("many", false);
        static constexpr std::pair<const char*, field> fields[] = {{"proto", field::proto},
                                                                   {"src", field::src_ip},
                                                                   {"sport", field::src_port},
                                                                   {"dst", field::dst_ip},
                                                                   {"dport", field::dst_port}};
        for (const auto& [name, f] : fields) {
          const std::string text = jm.value(name, std::string{"*"});
          if (!set_member_field(m, f, text, p.var))
            return fail("pattern '" + p.name + "': member field " + name + " '" + text + "' is not a value, \"*\" or a host variable");
        }
        p.members.push_back(std::move(m));
      }
      if (jp.contains("order") && jp["order"].is_object()) {
        const auto& o = jp["order"];
        const auto first = o.value("first", std::string{});
        const auto lead = std::find_if(p.members.begin(), p.members.end(), [&](const truth_member& m) { return m.role == first; });
        if (lead == p.members.end()) return fail("pattern '" + p.name + "': order.first '" + first + "' names none of its members");
        p.leader = static_cast<int>(lead - p.members.begin());
        p.delay_ms = o.value("delay_ms", -1.0);
        if (o.contains("delay_range_ms") && o["delay_range_ms"].is_array() && o["delay_range_ms"].size() == 2)
          p.delay_range_ms = {o["delay_range_ms"][0].get<double>(), o["delay_range_ms"][1].get<double>()};
      }
      t.patterns.push_back(std::move(p));
    }
    if (j.contains("sources")) {
      if (!j["sources"].is_array()) return fail("\"sources\" is not an array");
      auto address = [&](const nlohmann::json& v, const std::string& where) {
        const auto a = v.is_string() ? ip_address::parse(v.get<std::string>()) : std::nullopt;
        if (!a) throw bad_argument("ground truth: " + where + ": " + v.dump() + " is not an IP address");
        return *a;
      };
      for (const auto& js : j["sources"]) {
        truth_source src;
        src.name = js.at("name").get<std::string>();
        const std::string where = "source '" + src.name + "'";
        src.file = js.value("file", std::string{});
        if (js.contains("start")) src.start_ns = ns(js["start"]);
        if (js.contains("end")) src.end_ns = ns(js["end"]);
        src.shift_ns = js.value("shift_ns", std::int64_t{0});
        src.packets = js.value("packets", std::uint64_t{0});
        src.v4_range = js.value("v4_range", std::string{});
        src.v6_range = js.value("v6_range", std::string{});
        if (js.contains("left_out")) src.left_out = js["left_out"].get<std::map<std::string, std::uint64_t>>();
        for (const auto& a : js.value("addresses", nlohmann::json::array())) src.addresses.push_back(address(a, where + " addresses"));
        for (const auto& m : js.value("mapping", nlohmann::json::array())) {
          if (!m.is_array() || m.size() != 2) return fail(where + ": a mapping entry is not [original, mapped]: " + m.dump());
          src.mapping.emplace_back(address(m[0], where + " mapping"), address(m[1], where + " mapping"));
        }
        for (const auto& a : js.value("shared", nlohmann::json::array())) src.shared.push_back(address(a, where + " shared"));
        t.sources.push_back(std::move(src));
      }
    }
  } catch (const nlohmann::json::exception& e) {
    return fail(std::string("malformed: ") + e.what());
  }
  return t;
}

/// Reads a ground truth from a stream of JSON text; throws bad_argument when it is not one.
[[nodiscard]] inline ground_truth read_truth_json(std::istream& in) {
  nlohmann::json j;
  try {
    in >> j;
  } catch (const nlohmann::json::exception& e) {
    throw bad_argument(std::string("ground truth: not JSON: ") + e.what());
  }
  return truth_from_json(j);
}

}  // namespace expose::synth
