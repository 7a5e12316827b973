#include "expose/synth/truth_json.hpp"

#include <set>
#include <sstream>

#include "doctest.hpp"
#include "expose/accuracy.hpp"
#include "expose/flow_table.hpp"
#include "expose/synth/demo_truth.hpp"
#include "expose/synth/generator.hpp"

using namespace expose;
using namespace std::chrono_literals;

TEST_CASE("synth.truth_json.round_trip") {
  const auto t = synth::generator{.seed = 4, .duration = 3600s, .hosts = 200}.truth();
  std::stringstream s;
  synth::write_json(s, t);
  const auto back = synth::read_truth_json(s);
  CHECK(back == t);
}

TEST_CASE("synth.truth_json.fields") {
  const auto j = nlohmann::json::parse(synth::to_json(synth::generator{.seed = 2, .duration = 600s, .hosts = 10}.truth()).dump());
  CHECK(j["tool"] == "expose-synth");
  CHECK(j["seed"] == 2);
  CHECK(j["hosts"] == 10);
  CHECK(j["start"] == 1767600000.0);
  CHECK(j["end"] == 1767600600.0);
  const auto& p = j["patterns"][0];
  CHECK(p["name"] == "dns-before-web");
  CHECK(p["background"] == false);
  CHECK(p["per"] == "client");
  CHECK(p["members"][0] == nlohmann::json{{"role", "name lookup"}, {"proto", "udp"}, {"src", "$C"}, {"sport", "*"},
                                          {"dst", "10.0.0.53"}, {"dport", "53"}, {"many", false},
                                          {"text", "$C.* : 10.0.0.53.53 : udp"}});
  // Its members come in order: the lookup first, by a drawn delay (no fixed one).
  CHECK(p["order"] == nlohmann::json{{"first", "name lookup"}, {"delay_range_ms", {6.0, 120.0}}});
  CHECK_FALSE(j["patterns"][3].contains("order"));  // ntp-lockstep: either client first
  // A fixed delay is written, and read back.
  const auto fixed = synth::generator{.seed = 2, .duration = 600s, .hosts = 10, .delays = {.dns_web = 20}}.truth();
  CHECK(synth::to_json(fixed)["patterns"][0]["order"]["delay_ms"] == 20.0);
  std::stringstream s;
  synth::write_json(s, fixed);
  const auto back = synth::read_truth_json(s);
  CHECK(back.patterns[0].leader == 0);
  CHECK(back.patterns[0].delay_ms == 20.0);
  CHECK(back == fixed);
}

TEST_CASE("synth.truth_json.errors_name_the_field") {
  std::istringstream not_json("{");
  CHECK_THROWS_WITH_AS((void)synth::read_truth_json(not_json), doctest::Contains("not JSON"), bad_argument);
  std::istringstream no_patterns(R"({"seed": 1})");
  CHECK_THROWS_WITH_AS((void)synth::read_truth_json(no_patterns), doctest::Contains("\"patterns\""), bad_argument);
  std::istringstream bad_port(
      R"({"patterns": [{"name": "x", "members": [{"proto": "tcp", "src": "*", "sport": "*", "dst": "10.0.0.1", "dport": "http"}]}]})");
  CHECK_THROWS_WITH_AS((void)synth::read_truth_json(bad_port), doctest::Contains("pattern 'x': member field dport 'http'"), bad_argument);
  std::istringstream bad_order(
      R"({"patterns": [{"name": "x", "members": [{"role": "a", "proto": "tcp"}], "order": {"first": "b"}}]})");
  CHECK_THROWS_WITH_AS((void)synth::read_truth_json(bad_order), doctest::Contains("pattern 'x': order.first 'b' names none of its members"),
                       bad_argument);
}

TEST_CASE("synth.truth.member_fields_parse") {
  synth::truth_member m;
  char var = 0;
  CHECK(synth::set_member_field(m, field::src_ip, "10.1.0.0/16", var));
  CHECK(m.src_prefix == 16);
  CHECK(synth::set_member_field(m, field::dst_port, "6881-6889", var));
  CHECK(m.flow.key.dport == 6881);
  CHECK(m.dport_last == 6889);
  CHECK(synth::set_member_field(m, field::dst_ip, "$P", var));
  CHECK(var == 'P');
  CHECK(m.flow.at(field::dst_ip) == slot::var);
  CHECK(synth::set_member_field(m, field::proto, "17", var));
  CHECK(m.flow.key.proto == proto::udp);
  CHECK_FALSE(synth::set_member_field(m, field::src_port, "$C", var));
  CHECK_FALSE(synth::set_member_field(m, field::src_ip, "10.1.0.0/33", var));
  CHECK_FALSE(synth::set_member_field(m, field::dst_port, "9-1", var));
  CHECK_FALSE(synth::set_member_field(m, field::dst_port, "65536", var));
  CHECK_FALSE(synth::set_member_field(m, field::proto, "sctp", var));
}

TEST_CASE("synth.demo_truth.covers_every_demo_flow") {
  const synth::demo d{.seed = 1, .duration = 120s};
  const auto t = synth::demo_truth(d);
  flow_table table;
  for (const auto& p : d.packets()) table.find_or_insert(p);
  std::size_t unaccounted = 0;
  std::set<std::string> seen;
  for (const auto& k : table.flows()) {
    bool any = false;
    for (const auto& p : t.patterns)
      for (const auto& m : p.members)
        if (detail::meets(exact(k), m)) any = true, seen.insert(p.name);
    if (!any) ++unaccounted;
  }
  CHECK(unaccounted == 0);
  CHECK(seen.size() == t.patterns.size());
  CHECK(t.find("ntp-lockstep")->members[0].flow.text() == synth::demo::truth::ntp_a);
  CHECK(t.find("mdns-advert")->members[2].flow.text() == synth::demo::truth::mdns[2]);
}
