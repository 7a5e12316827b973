#include "expose/io/json.hpp"

#include <limits>
#include <numeric>
#include <sstream>

#include "doctest.hpp"
#include "expose/io/text.hpp"
#include "expose/pipeline.hpp"
#include "expose/synth/demo.hpp"

using namespace expose;
using namespace std::chrono_literals;

TEST_CASE("io.json.fields_of_design_section_5") {
  const auto r = mine(synth::demo{.seed = 1}.packets(), pipeline<>{});
  std::ostringstream s;
  io::write_json(s, r);
  const auto j = nlohmann::json::parse(s.str());
  CHECK(j["tool"] == "expose");
  CHECK(j["version"] == "0.1.0");
  const auto& in = j["input"];
  CHECK(in["packets"] == 30158);
  CHECK(in["decoded"] == 30158);
  CHECK(in["skipped"].is_object());
  CHECK(in["skipped"].empty());
  CHECK(in["flows"] == 1213);
  CHECK(in["flows_by_protocol"] == nlohmann::json{{"tcp", 1208}, {"udp", 5}});
  CHECK(in["windows"] == 600);
  CHECK(in["window_seconds"] == 1.0);
  CHECK(in["start"].get<double>() == doctest::Approx(1767600000.0));
  CHECK(in["end"].get<double>() > 1767600599.0);
  REQUIRE(j["rules"].size() == 5);
  const auto& r0 = j["rules"][0];
  CHECK(r0["lhs"] == nlohmann::json{{"proto", "udp"}, {"src", "10.0.0.21"}, {"sport", "123"}, {"dst", "10.0.0.1"}, {"dport", "123"}});
  CHECK(r0["rhs"]["src"] == "10.0.0.22");
  CHECK(r0["kind"] == "<=>");
  CHECK(r0["score"].get<double>() == doctest::Approx(scores::jmeasure::score({136, 136, 136, 600})));
  CHECK(r0["reverse_score"].get<double>() == doctest::Approx(r0["score"].get<double>()));
  CHECK(r0["support"] == 136);
  CHECK(r0["lhs_count"] == 136);
  CHECK(r0["rhs_count"] == 136);
  CHECK(r0["samples"] == 600);
  CHECK(r0["confidence"] == 1.0);
  CHECK(r0["text"] == "10.0.0.21.123 : 10.0.0.1.123 : udp <=> 10.0.0.22.123 : 10.0.0.1.123 : udp");
  REQUIRE(j["clusters"].size() == 3);
  CHECK(j["clusters"][0]["id"] == 0);
  CHECK(j["clusters"][0]["parts"] == 1);
  CHECK(j["clusters"][0]["flows"] == nlohmann::json{"10.0.0.21.123 : 10.0.0.1.123 : udp", "10.0.0.22.123 : 10.0.0.1.123 : udp"});
  CHECK(j["clusters"][0]["rules"] == nlohmann::json{0});
  CHECK(j["clusters"][2]["rules"] == nlohmann::json{2, 3, 4});
  // Every rule is in the array; the two alike to the mDNS rule say which one, and it counts them.
  CHECK_FALSE(r0.contains("alike_of"));
  CHECK_FALSE(r0.contains("alike"));
  CHECK(j["rules"][2]["alike"] == 2);
  CHECK(j["rules"][3]["alike_of"] == 2);
  CHECK(j["rules"][4]["alike_of"] == 2);
}

TEST_CASE("io.json.field_order_is_stable") {
  const auto r = mine(synth::demo{.seed = 1, .duration = 120s}.packets(), pipeline<>{});
  const std::string text = io::to_json(r).dump();
  CHECK(text.rfind("{\"tool\":\"expose\",\"version\":\"0.1.0\",\"input\":{\"packets\":", 0) == 0);
  CHECK(text.find("\"rules\":[") < text.find("\"clusters\":["));
}

TEST_CASE("io.json.skipped_reasons_and_wildcards") {
  mine_result r;
  r.input.packets = 3;
  r.input.skipped["non-ip"] = 2;
  flow_pattern p{{}, {slot::any, slot::any, slot::kept, slot::kept, slot::kept}};
  p.key.dst = ip_address::v4(0x0a000001u);
  p.key.dport = 22;
  p.key.proto = proto::tcp;
  r.items.push_back(p);
  const auto j = io::to_json(r);
  CHECK(j["input"]["skipped"]["non-ip"] == 2);
  CHECK(io::flow_json(r.items[0]) == nlohmann::ordered_json{{"proto", "tcp"}, {"src", "*"}, {"sport", "*"}, {"dst", "10.0.0.1"}, {"dport", "22"}});
}

TEST_CASE("io.json.pattern_blocks") {
  const auto r = mine(synth::demo{.seed = 1}.packets(), pipeline<>{});
  const auto j = io::to_json(r);
  REQUIRE(j.at("clusters").size() == 3);
  const auto& c = j.at("clusters").at(0);
  // The existing fields stay; the pattern block adds when, how often and its best rules.
  CHECK(c.at("rules") == nlohmann::json::array({0}));
  CHECK(c.at("top_rules") == nlohmann::json::array({0}));
  CHECK(c.at("host_count") == 3);
  CHECK(c.at("first_seen").get<double>() == 1767600000.0);
  CHECK(c.at("last_seen").get<double>() == 1767600597.0);
  CHECK(c.at("windows_active") == 136);
  const auto minutes = c.at("activity_per_minute").get<std::vector<std::uint32_t>>();
  CHECK(minutes.size() == 10);
  CHECK(std::accumulate(minutes.begin(), minutes.end(), 0u) == 136);
  CHECK(c.at("period_s").is_null());
  // its rules 3 and 4 are alike to rule 2: not among its best, which are the listed ones
  CHECK(j.at("clusters").at(2).at("rules") == nlohmann::json::array({2, 3, 4}));
  CHECK(j.at("clusters").at(2).at("top_rules") == nlohmann::json::array({2}));
  // The rules rolled up into service dependencies: the IM client's MSN session, then its AOL one.
  const auto& deps = j.at("dependencies");
  REQUIRE(deps.size() == 2);
  CHECK(deps[0].at("first") == "64.4.0.1.1863 : tcp");
  CHECK(deps[0].at("then") == "64.12.0.1.5190 : tcp");
  CHECK(deps[0].at("ordered") == true);
  CHECK(deps[0].at("delay").at("median_ms").get<double>() == doctest::Approx(34).epsilon(0.01));
  CHECK(deps[1].at("ordered") == false);
  CHECK(deps[1].at("delay").is_null());
}

TEST_CASE("io.json.rules_the_same_for_other_hosts") {
  auto r = mine(synth::demo{.seed = 1}.packets(), pipeline<>{});
  REQUIRE(r.rules.size() == 5);
  r.rules[1].same_shape_of = 0;  // as mark_same_shape would mark them
  r.rules[0].same_shape = 1;
  r.rules[0].same_shape_host = ip_address::v4(0x0a000009);
  const auto j = io::to_json(r);
  const auto& rules = j.at("rules");
  CHECK(rules.at(0).at("same_shape") == 1);
  CHECK(rules.at(0).at("same_shape_host") == "10.0.0.9");
  CHECK_FALSE(rules.at(0).contains("same_shape_of"));
  CHECK(rules.at(1).at("same_shape_of") == 0);
  CHECK_FALSE(rules.at(1).contains("alike_of"));
  CHECK(rules.at(3).at("alike_of") == 2);
  CHECK_FALSE(rules.at(3).contains("same_shape_of"));
  std::ostringstream text;
  io::write_text(text, r);
  CHECK(text.str().find("from 2 rules (+2 alike, +1 for other hosts)") != std::string::npos);
  CHECK(text.str().find("[+1 the same for other hosts than 10.0.0.9]\n") != std::string::npos);
}

TEST_CASE("io.json.written_rule_by_rule_as_the_document_dumps") {
  // write_json makes and writes the rules one at a time; its bytes are the whole document's dump,
  // indented or on one line, with host names, with a tool's additions, and with no rule at all.
  const auto r = mine(synth::demo{.seed = 1}.packets(), pipeline<>{});
  REQUIRE(r.rules.size() == 5);
  REQUIRE_FALSE(r.clusters.empty());
  const auto written = [&](const host_names* names, int indent, const io::json_additions& add = {}) {
    std::ostringstream s;
    io::write_json(s, r, names, indent, add);
    return s.str();
  };
  CHECK(written(nullptr, 2) == io::to_json(r).dump(2));
  CHECK(written(nullptr, -1) == io::to_json(r).dump());
  CHECK(written(nullptr, 4) == io::to_json(r).dump(4));
  host_names names;
  names.add(*ip_address::parse("10.0.0.21"), "ntp-a.example", name_source::dns);
  names.add(*ip_address::parse("10.0.0.1"), "time \"one\"\nserver", name_source::dhcp);  // escaped, not a line of its own
  CHECK(written(&names, 2) == io::to_json(r, names).dump(2));
  CHECK(written(&names, 2).find("\"hosts\": [") != std::string::npos);
  // A tool's fields: at the end of each rule given, and after everything else.
  io::json_additions add;
  add.rule = [](std::size_t i, nlohmann::ordered_json& one) {
    if (i % 2 == 0) one["known"] = i == 0;
  };
  add.after["db"] = {{"file", "rules.db"}, {"run", "monday"}};
  auto j = io::to_json(r);
  for (std::size_t i = 0; i < r.rules.size(); i += 2) j["rules"][i]["known"] = i == 0;
  j["db"] = {{"file", "rules.db"}, {"run", "monday"}};
  CHECK(written(nullptr, 2, add) == j.dump(2));
  CHECK(written(nullptr, -1, add) == j.dump());
  // Every optional field of a rule, and values the document writes its own way: a delay and none,
  // alike and same-shape marks, scores that are not finite (null), 0, negative and huge numbers;
  // a tool's fields on those rules, one of them an object.
  mine_result marked = r;
  marked.rules[0].alike_of = 3;
  marked.rules[1].alike = 2;
  marked.rules[1].same_shape_of = 0;
  marked.rules[2].same_shape = 4;
  marked.rules[2].same_shape_host = *ip_address::parse("2001:db8::7");
  marked.rules[3].delay = {};
  marked.rules[4].delay = {-0.0, -1.25e-7, 3.5e300, 1, 0};
  marked.rules[0].score = std::numeric_limits<double>::quiet_NaN();
  marked.rules[1].reverse_score = std::numeric_limits<double>::infinity();
  marked.rules[2].score = 1e22;
  marked.rules[3].lag = 7;
  io::json_additions more;
  more.rule = [](std::size_t i, nlohmann::ordered_json& fields) {
    fields["runs_seen"] = i;
    if (i == 1) fields["first"] = {{"run", "sunday \"a\""}, {"at", 1.5}};
  };
  auto m = io::to_json(marked);
  for (std::size_t i = 0; i < marked.rules.size(); ++i) {
    m["rules"][i]["runs_seen"] = i;
    if (i == 1) m["rules"][i]["first"] = {{"run", "sunday \"a\""}, {"at", 1.5}};
  }
  for (const int indent : {-1, 0, 2, 3}) {
    std::ostringstream s;
    io::write_json(s, marked, nullptr, indent, more);
    CAPTURE(indent);
    CHECK(s.str() == m.dump(indent));
  }
  CHECK(m.dump(2).find("\"alike_of\": 3") != std::string::npos);
  CHECK(m.dump(2).find("\"score\": null") != std::string::npos);
  CHECK(m.dump(2).find("\"delay\": null") != std::string::npos);
  // No rule: an empty array, as the document has it.
  mine_result none = r;
  none.rules.clear();
  none.clusters.clear();
  std::ostringstream s;
  io::write_json(s, none);
  CHECK(s.str() == io::to_json(none).dump(2) + "\n");
  CHECK(s.str().find("\"rules\": [],") != std::string::npos);
  // A name that is not UTF-8 (an inventory in Latin-1): the document's dump throws, the report is
  // written whole with the bad byte replaced (U+FFFD).
  host_names latin1;
  latin1.add(*ip_address::parse("10.0.0.21"), "M\xfcller-PC", name_source::inventory);
  CHECK_THROWS_AS((void)io::to_json(r, latin1).dump(2), nlohmann::json::type_error);
  const std::string replaced = written(&latin1, 2);
  CHECK(replaced.find("\"M\xef\xbf\xbdller-PC\"") != std::string::npos);
  CHECK(replaced.ends_with("\n}"));
  CHECK(nlohmann::json::parse(replaced)["rules"].size() == 5);
}
