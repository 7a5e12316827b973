#include "expose/accuracy.hpp"

#include <sstream>

#include "doctest.hpp"
#include "fixtures.hpp"
#include "expose/accuracy_json.hpp"
#include "expose/synth/generator.hpp"

using namespace expose;
using expose_test::ip;

namespace {

// A flow pattern from the paper's notation with fields split: "*" any, "$A" a variable.
flow_pattern side(const char* proto, const char* src, const char* sport, const char* dst, const char* dport) {
  flow_pattern p;
  std::array<char, field_count> vars{};
  REQUIRE(set_rule_field(p, vars, field::proto, proto));
  REQUIRE(set_rule_field(p, vars, field::src_ip, src));
  REQUIRE(set_rule_field(p, vars, field::src_port, sport));
  REQUIRE(set_rule_field(p, vars, field::dst_ip, dst));
  REQUIRE(set_rule_field(p, vars, field::dst_port, dport));
  return p;
}

mined_rule mrule(flow_pattern lhs, flow_pattern rhs, const char* kind = "<=>") { return {lhs, rhs, kind, "", {}, {}}; }

synth::truth_member member(const char* proto, const char* src, const char* sport, const char* dst, const char* dport,
                           bool many = false) {
  synth::truth_member m;
  char var = 0;
  REQUIRE(synth::set_member_field(m, field::proto, proto, var));
  REQUIRE(synth::set_member_field(m, field::src_ip, src, var));
  REQUIRE(synth::set_member_field(m, field::src_port, sport, var));
  REQUIRE(synth::set_member_field(m, field::dst_ip, dst, var));
  REQUIRE(synth::set_member_field(m, field::dst_port, dport, var));
  m.many = many;
  return m;
}

synth::truth_pattern pattern(const char* name, std::vector<synth::truth_member> members, bool background = false) {
  synth::truth_pattern p;
  p.name = name;
  p.members = std::move(members);
  p.background = background;
  return p;
}

// Two planted patterns (per-client name lookups before web fetches; two lock-step NTP clients),
// one heavy flow and the noise.
synth::ground_truth crafted_truth() {
  synth::ground_truth t;
  t.patterns.push_back(pattern("dns-before-web", {member("udp", "$C", "*", "10.0.0.53", "53"), member("tcp", "$C", "*", "10.0.0.80", "80")}));
  t.patterns.push_back(pattern("ntp-lockstep", {member("udp", "10.0.3.21", "123", "10.0.0.123", "123"),
                                                member("udp", "10.0.3.22", "123", "10.0.0.123", "123")}));
  t.patterns.push_back(pattern("heavy", {member("tcp", "10.2.0.1", "40000", "203.0.113.1", "443")}, true));
  t.patterns.push_back(pattern("noise", {member("tcp", "10.1.0.0/16", "*", "198.18.0.0/15", "*")}, true));
  return t;
}

flow_pattern ntp_a() { return side("udp", "10.0.3.21", "123", "10.0.0.123", "123"); }
flow_pattern ntp_b() { return side("udp", "10.0.3.22", "123", "10.0.0.123", "123"); }

}  // namespace

TEST_CASE("accuracy.crafted_case") {
  const std::vector<mined_rule> rules = {
      mrule(ntp_a(), ntp_b()),  // true
      mrule(side("tcp", "10.1.0.9", "50123", "198.18.3.4", "443"), side("tcp", "10.1.0.7", "50999", "198.19.0.1", "80")),  // noise
      mrule(side("tcp", "10.2.0.1", "40000", "203.0.113.1", "443"), ntp_a()),  // touches the heavy flow
      mrule(side("udp", "$A", "*", "10.0.0.53", "53"), side("udp", "10.1.0.5", "*", "10.0.0.53", "53"), "=>"),  // its own generalization
  };
  const auto r = score_accuracy(rules, crafted_truth());
  CHECK(r.planted == 2);
  CHECK(r.found == 1);
  CHECK(r.recall == 0.5);
  CHECK(r.rules == 4);
  CHECK(r.true_rules == 1);
  CHECK(r.precision == 0.25);
  CHECK(r.rules_per_found_pattern == 1.0);
  REQUIRE(r.patterns.size() == 2);
  CHECK(r.patterns[0].name == "dns-before-web");
  CHECK_FALSE(r.patterns[0].found);
  CHECK(r.patterns[1].name == "ntp-lockstep");
  CHECK(r.patterns[1].found);
  CHECK(r.patterns[1].rules == 1);
  CHECK(r.patterns[1].rule_indices == std::vector<std::size_t>{0});
  const auto wrong = r.false_rules();
  REQUIRE(wrong.size() == 3);
  CHECK(wrong[0].index == 1);
  CHECK(wrong[0].why == verdict::background);  // both sides are noise flows
  CHECK(wrong[0].patterns == std::vector<std::string>{"noise"});
  CHECK(wrong[1].index == 2);
  CHECK(wrong[1].why == verdict::background);
  CHECK(wrong[1].patterns == std::vector<std::string>{"heavy"});
  CHECK(wrong[2].index == 3);
  CHECK(wrong[2].why == verdict::generalization);
  CHECK(wrong[2].text == "$A.* : 10.0.0.53.53 : udp => 10.1.0.5.* : 10.0.0.53.53 : udp");
}

TEST_CASE("accuracy.no_rules") {
  const auto r = score_accuracy({}, crafted_truth());
  CHECK(r.recall == 0);
  CHECK(r.precision == 1);
  CHECK(r.rules_per_found_pattern == 0);
}

TEST_CASE("accuracy.verdicts") {
  const auto t = crafted_truth();
  auto why = [&](const mined_rule& r) { return judge(r, t).why; };
  const auto dns = [](const char* host) { return side("udp", host, "*", "10.0.0.53", "53"); };
  const auto web = [](const char* host) { return side("tcp", host, "*", "10.0.0.80", "80"); };
  // Generic per-client rule, and its instance for one client: true.
  CHECK(why(mrule(web("$A"), dns("$A"), "=>")) == verdict::true_rule);
  CHECK(why(mrule(web("10.1.0.5"), dns("10.1.0.5"))) == verdict::true_rule);
  CHECK(why(mrule(side("tcp", "10.1.0.5", "50001", "10.0.0.80", "80"), side("udp", "10.1.0.5", "50000", "10.0.0.53", "53"))) ==
        verdict::true_rule);
  // Two clients' flows meeting by chance: one pattern, two instances.
  CHECK(why(mrule(web("10.1.0.5"), dns("10.1.0.9"))) == verdict::other_instances);
  CHECK(judge(mrule(web("10.1.0.5"), dns("10.1.0.9")), t).detail == "two different hosts of 'dns-before-web'");
  CHECK(judge(mrule(side("tcp", "10.1.0.5", "50001", "10.0.0.80", "80"), side("tcp", "10.1.0.9", "50002", "10.0.0.80", "80")), t).detail ==
        "two flows of one shape ('$C.* : 10.0.0.80.80 : tcp') of 'dns-before-web'");
  // A side from each planted pattern.
  CHECK(why(mrule(ntp_a(), dns("$A"))) == verdict::cross_pattern);
  // A side that meets nothing planted.
  CHECK(why(mrule(ntp_a(), side("udp", "10.5.5.5", "*", "10.0.0.9", "514"))) == verdict::noise);
  // Both directions of one connection; a flow with itself.
  CHECK(why(mrule(side("tcp", "10.0.0.1", "5000", "10.0.0.2", "80"), side("tcp", "10.0.0.2", "80", "10.0.0.1", "5000"))) ==
        verdict::same_connection);
  CHECK(why(mrule(ntp_a(), ntp_a())) == verdict::generalization);
  // So generic that it takes in the heavy flow.
  CHECK(why(mrule(side("tcp", "*", "*", "*", "443"), ntp_a())) == verdict::background);
}

TEST_CASE("accuracy.wider_side_with_a_rest_is_true") {
  // The paper's ftp rule: the data connections (the rest of `IP1.* : Mirror.*`) come with the control connection.
  synth::ground_truth t;
  t.patterns.push_back(pattern("ftp", {member("tcp", "$C", "*", "10.0.0.21", "21"), member("tcp", "$C", "*", "10.0.0.21", "50000-50999")}));
  const auto control = side("tcp", "$A", "*", "10.0.0.21", "21");
  CHECK(judge(mrule(side("tcp", "$A", "*", "10.0.0.21", "*"), control, "=>"), t).why == verdict::true_rule);
  CHECK(judge(mrule(side("tcp", "$A", "*", "10.0.0.21", "50123"), control, "=>"), t).why == verdict::true_rule);
  // A control connection "implies" every control connection: nothing but generalization.
  CHECK(judge(mrule(control, side("tcp", "10.1.0.5", "*", "10.0.0.21", "21"), "=>"), t).why == verdict::generalization);
  // Outside the passive range: no planted flow.
  CHECK(judge(mrule(side("tcp", "$A", "*", "10.0.0.21", "20"), control, "=>"), t).why == verdict::noise);
}

TEST_CASE("accuracy.many_member_and_ranges") {
  synth::ground_truth t;
  t.patterns.push_back(pattern("p2p-1", {member("tcp", "10.0.6.1", "*", "$P", "6881-6889", true)}));
  REQUIRE(t.patterns[0].multi_flow());
  const auto to = [](const char* peer, const char* port) { return side("tcp", "10.0.6.1", "*", peer, port); };
  CHECK(judge(mrule(to("100.64.1.2", "6881"), to("100.64.1.2", "6885")), t).why == verdict::true_rule);
  CHECK(judge(mrule(to("100.64.1.2", "6881"), to("100.70.0.9", "6885")), t).why == verdict::other_instances);
  CHECK(judge(mrule(to("100.64.1.2", "6881"), to("100.64.1.2", "6890")), t).why == verdict::noise);
  CHECK(detail::in_prefix(ip("198.19.255.1"), ip("198.18.0.0"), 15));
  CHECK_FALSE(detail::in_prefix(ip("198.20.0.1"), ip("198.18.0.0"), 15));
  CHECK(detail::in_prefix(ip("2001:db8::1"), ip("2001:db8::"), 32));
  CHECK_FALSE(detail::in_prefix(ip("2001:db9::1"), ip("2001:db8::"), 32));
}

TEST_CASE("accuracy.rules_from_expose_mine_json") {
  std::istringstream in(R"({"tool": "expose", "rules": [
    {"lhs": {"proto": "udp", "src": "10.0.3.21", "sport": "123", "dst": "10.0.0.123", "dport": "123"},
     "rhs": {"proto": "udp", "src": "10.0.3.22", "sport": "123", "dst": "10.0.0.123", "dport": "123"},
     "kind": "<=>", "text": "10.0.3.21.123 : 10.0.0.123.123 : udp <=> 10.0.3.22.123 : 10.0.0.123.123 : udp"},
    {"lhs": {"proto": "tcp", "src": "$B", "sport": "*", "dst": "10.0.0.80", "dport": "80"},
     "rhs": {"proto": "udp", "src": "$B", "sport": "*", "dst": "10.0.0.53", "dport": "53"}, "kind": "=>"}]})");
  const auto rules = read_rules_json(in);
  REQUIRE(rules.size() == 2);
  CHECK(rules[0].lhs == ntp_a());
  CHECK(rules[0].kind == "<=>");
  CHECK(rules[1].lhs.at(field::src_ip) == slot::var);
  CHECK(rules[1].lhs_vars[0] == 'B');
  CHECK(rules[1].rhs.at(field::src_port) == slot::any);
  CHECK(rules[1].display() == "$B.* : 10.0.0.80.80 : tcp => $B.* : 10.0.0.53.53 : udp");
  const auto r = score_accuracy(rules, crafted_truth());
  CHECK(r.found == 2);
  CHECK(r.precision == 1.0);
  const auto j = to_json(r);
  CHECK(j["recall"] == 1.0);
  CHECK(j["false_rules"].empty());
  CHECK(j["patterns"][0]["rule_indices"] == nlohmann::json{1});
}

TEST_CASE("accuracy.rules_json_errors_name_the_rule") {
  std::istringstream not_json("rules");
  CHECK_THROWS_WITH_AS((void)read_rules_json(not_json), doctest::Contains("not JSON"), bad_argument);
  std::istringstream no_rules(R"({"tool": "expose"})");
  CHECK_THROWS_WITH_AS((void)read_rules_json(no_rules), doctest::Contains("no \"rules\" array"), bad_argument);
  std::istringstream bad(R"({"rules": [{"lhs": {"proto": "tcp", "src": "10.0.0.1", "sport": "*", "dst": "x", "dport": "80"},
                                        "rhs": {"proto": "tcp", "src": "*", "sport": "*", "dst": "*", "dport": "*"}}]})");
  CHECK_THROWS_WITH_AS((void)read_rules_json(bad), doctest::Contains("rule 0: lhs.dst 'x'"), bad_argument);
  std::istringstream range(R"({"rules": [{"lhs": {"proto": "tcp", "src": "*", "sport": "*", "dst": "*", "dport": "1-2"},
                                          "rhs": {"proto": "tcp", "src": "*", "sport": "*", "dst": "*", "dport": "*"}}]})");
  CHECK_THROWS_WITH_AS((void)read_rules_json(range), doctest::Contains("rule 0: lhs.dport '1-2'"), bad_argument);
}

TEST_CASE("accuracy.generator_truth_judges_the_paper_rules") {
  // The paper's rules, written over the generator's site, are true; cross-pattern pairs are not.
  const auto t = synth::generator{.hosts = 100}.truth();
  auto why = [&](flow_pattern a, flow_pattern b) { return judge(mrule(a, b), t).why; };
  CHECK(why(side("tcp", "*", "*", "10.0.0.1", "22"), side("tcp", "*", "*", "10.0.0.2", "22")) == verdict::true_rule);
  CHECK(why(side("tcp", "10.0.0.25", "*", "10.0.2.25", "25"), side("tcp", "10.0.0.25", "*", "10.0.2.26", "25")) == verdict::true_rule);
  CHECK(why(side("udp", "0.0.0.0", "68", "255.255.255.255", "67"), side("udp", "10.0.0.67", "67", "255.255.255.255", "68")) ==
        verdict::true_rule);
  CHECK(why(side("udp", "$A", "137", "10.0.0.137", "137"), side("udp", "$A", "*", "224.0.0.252", "5355")) == verdict::true_rule);
  CHECK(why(side("icmp", "10.0.5.5", "0", "198.51.100.1", "0"), side("icmp", "10.0.5.5", "0", "198.51.100.2", "0")) == verdict::true_rule);
  CHECK(why(side("udp", "10.0.4.40", "5353", "10.0.4.41", "5353"), side("udp", "10.0.4.40", "5353", "10.0.4.42", "5353")) ==
        verdict::true_rule);
  CHECK(why(side("tcp", "10.0.6.1", "51000", "100.64.3.4", "6881"), side("tcp", "10.0.6.1", "51003", "100.64.3.4", "6882")) ==
        verdict::true_rule);
  CHECK(why(side("tcp", "10.0.6.1", "51000", "100.64.3.4", "6881"), side("tcp", "10.0.6.2", "51003", "100.64.3.4", "6882")) ==
        verdict::cross_pattern);
  CHECK(why(side("udp", "10.0.3.21", "123", "10.0.0.123", "123"), side("tcp", "10.2.0.1", "40000", "203.0.113.1", "443")) ==
        verdict::background);
}

namespace {

// The crafted truth as the generated part of a mix with two background captures.
synth::ground_truth mixed_truth() {
  auto t = crafted_truth();
  t.sources.push_back({.name = "generated", .addresses = {ip("10.1.0.1"), ip("10.0.0.53"), ip("10.0.0.80")}, .shared = {ip("224.0.0.251")}});
  t.sources.push_back({.name = "a.pcap", .addresses = {ip("172.16.0.1"), ip("172.16.0.2")}, .shared = {ip("224.0.0.251")}});
  t.sources.push_back({.name = "b.pcap", .addresses = {ip("172.17.0.1")}});
  return t;
}

}  // namespace

TEST_CASE("accuracy.alike_rules_are_not_scored_but_counted_apart") {
  // In a mixed trace: a true rule, and three rules marked alike to another (expose-mine's
  // "alike_of"): one true, one noise, one within a background capture (not judged). Only the
  // first is scored; the precision with alike rules counts the two judged ones.
  const auto t = mixed_truth();
  const auto lookup = side("udp", "10.1.0.1", "*", "10.0.0.53", "53");
  std::vector<mined_rule> rules = {
      mrule(lookup, side("tcp", "10.1.0.1", "*", "10.0.0.80", "80")),                                   // true
      mrule(lookup, side("tcp", "10.1.0.1", "*", "10.0.0.80", "80")),                                   // alike, true
      mrule(lookup, side("udp", "*", "*", "224.0.0.251", "5353")),                                      // alike, noise
      mrule(side("tcp", "172.16.0.1", "*", "172.16.0.2", "80"), side("tcp", "172.16.0.1", "*", "172.16.0.2", "443")),  // alike, in-capture
  };
  for (std::size_t i = 1; i < rules.size(); ++i) rules[i].alike = true;
  const auto r = score_accuracy(rules, t);
  CHECK(r.rules == 1);
  CHECK(r.alike == 3);
  CHECK(r.alike_judged == 2);
  CHECK(r.alike_true == 1);
  CHECK(r.precision == 1.0);
  CHECK(r.precision_with_alike == doctest::Approx(2.0 / 3.0));
  CHECK(r.judged.size() == 1);
}

TEST_CASE("accuracy.cross_source_judgement") {
  const auto t = mixed_truth();
  const auto a_web = side("tcp", "172.16.0.1", "*", "172.16.0.2", "80");
  const std::vector<mined_rule> rules = {
      mrule(side("udp", "10.1.0.1", "*", "10.0.0.53", "53"), side("tcp", "10.1.0.1", "*", "10.0.0.80", "80")),  // 0 true
      mrule(a_web, side("udp", "172.17.0.1", "*", "224.0.0.251", "5353")),                                     // 1 a with b
      mrule(a_web, side("tcp", "172.16.0.1", "*", "172.16.0.2", "443")),                                       // 2 within a
      mrule(side("tcp", "*", "*", "172.16.0.2", "80"), side("udp", "*", "*", "*", "53")),                      // 3 generic side: within a
      mrule(side("tcp", "$A", "*", "172.16.0.2", "80"), side("udp", "$A", "*", "10.0.0.53", "53"), "=>"),     // 4 a with generated
      mrule(side("tcp", "$A", "*", "172.16.0.2", "80"), side("udp", "$A", "*", "*", "53"), "=>"),             // 5 a variable: within a
      mrule(side("udp", "10.1.0.1", "*", "10.0.0.53", "53"), side("udp", "*", "*", "224.0.0.251", "5353")),    // 6 noise
      mrule(side("2", "$A", "0", "224.0.0.22", "0"), side("udp", "$A", "*", "*", "53"), "=>"),                 // 7 unattributed
  };
  const auto r = score_accuracy(rules, t);
  std::vector<verdict> why;
  for (const auto& j : r.judged) why.push_back(j.why);
  CHECK(why == std::vector<verdict>{verdict::true_rule, verdict::cross_source, verdict::in_capture, verdict::in_capture,
                                    verdict::cross_source, verdict::in_capture, verdict::noise, verdict::unattributed});
  CHECK(r.judged[1].detail == "'a.pcap' with 'b.pcap'");
  CHECK(r.judged[4].detail == "'a.pcap' with 'generated'");
  CHECK(r.judged[4].sources == std::vector<std::string>{"a.pcap", "generated"});
  CHECK(r.judged[3].sources == std::vector<std::string>{"a.pcap"});
  CHECK(r.judged[7].sources.empty());
  CHECK(r.rules == 8);
  CHECK(r.true_rules == 1);
  CHECK(r.cross_source == 2);
  CHECK(r.in_capture == 3);
  CHECK(r.unattributed == 1);
  CHECK(r.planted_judged == 4);
  CHECK(r.precision == 0.25);
  CHECK(r.source_precision == 0.75);
  REQUIRE(r.sources.size() == 3);
  CHECK(r.sources[0].name == "generated");
  CHECK(r.sources[0].rules == 2);
  CHECK(r.sources[0].true_rules == 1);
  CHECK(r.sources[0].cross_source == 1);
  CHECK(r.sources[1].rules == 3);
  CHECK(r.sources[1].cross_source == 2);
  CHECK(r.sources[2].rules == 0);
  CHECK(r.sources[2].cross_source == 1);
  CHECK(r.sources[2].addresses == 1);
  const auto wrong = r.false_rules();
  REQUIRE(wrong.size() == 3);
  CHECK(wrong[0].index == 1);
  CHECK(wrong[1].index == 4);
  CHECK(wrong[2].index == 6);

  const auto j = nlohmann::json::parse(to_json(r).dump());
  CHECK(j["precision"] == 0.25);
  CHECK(j["rules"] == 8);
  CHECK(j["cross_source"] == 2);
  CHECK(j["in_capture"] == 3);
  CHECK(j["unattributed"] == 1);
  CHECK(j["planted_judged"] == 4);
  CHECK(j["source_precision"] == 0.75);
  CHECK(j["sources"][1] == nlohmann::json{{"name", "a.pcap"}, {"addresses", 2}, {"rules", 3}, {"true_rules", 0}, {"cross_source", 2}});
  CHECK(j["false_rules"][0]["verdict"] == "cross-source");
  CHECK(j["false_rules"][0]["sources"] == nlohmann::json::array({"a.pcap", "b.pcap"}));
  // Without sources the report has none of the mixed-trace fields.
  const auto plain = nlohmann::json::parse(to_json(score_accuracy(rules, crafted_truth())).dump());
  CHECK_FALSE(plain.contains("sources"));
  CHECK_FALSE(plain.contains("cross_source"));
  CHECK(plain["precision"] == 0.125);
}

namespace {

// A mix whose generated part plants IMAP with IMAPS per client and a P2P host's connections to one
// peer, with the heavy flow and the noise; two background captures, a.pcap sharing a multicast address.
synth::ground_truth widened_truth(bool with_sources) {
  synth::ground_truth t;
  t.patterns.push_back(pattern("imap-imaps", {member("tcp", "$C", "*", "10.0.0.143", "143"), member("tcp", "$C", "*", "10.0.0.143", "993")}));
  t.patterns.push_back(pattern("p2p-1", {member("tcp", "10.0.6.1", "*", "$P", "6881-6889", true)}));
  t.patterns.push_back(pattern("heavy", {member("tcp", "10.2.0.1", "40000", "203.0.113.1", "443")}, true));
  t.patterns.push_back(pattern("noise", {member("tcp", "10.1.0.0/16", "*", "198.18.0.0/15", "*")}, true));
  if (!with_sources) return t;
  t.sources.push_back({.name = "generated",
                       .addresses = {ip("10.0.0.143"), ip("10.1.0.1"), ip("10.0.6.1"), ip("10.2.0.1"), ip("203.0.113.1")},
                       .shared = {ip("224.0.0.251")}});
  t.sources.push_back({.name = "a.pcap", .addresses = {ip("172.16.0.1"), ip("172.16.0.2")}, .shared = {ip("224.0.0.251")}});
  t.sources.push_back({.name = "b.pcap", .addresses = {ip("172.17.0.1")}});
  return t;
}

std::vector<mined_rule> widened_rules() {
  return {
      mrule(side("tcp", "$A", "*", "*", "143"), side("tcp", "$A", "*", "*", "993")),               // 0 imap-imaps widened: true
      mrule(side("tcp", "*", "*", "$A", "6881"), side("tcp", "*", "*", "$A", "6885")),             // 1 p2p-1 widened: true
      mrule(side("tcp", "$A", "*", "10.0.0.143", "143"), side("tcp", "$A", "*", "*", "993")),      // 2 names a generated host
      mrule(side("tcp", "*", "*", "*", "143"), side("tcp", "*", "*", "*", "993")),                 // 3 no host variable: could cross
      mrule(side("tcp", "$A", "*", "*", "6881"), side("tcp", "$A", "*", "*", "6885")),             // 4 a variable where p2p-1 has none
      mrule(side("tcp", "$A", "*", "*", "8080"), side("tcp", "$A", "*", "*", "23")),               // 5 a capture's scanner
      mrule(side("udp", "$A", "*", "224.0.0.251", "5353"), side("tcp", "$A", "*", "*", "8080")),   // 6 a.pcap shares 224.0.0.251
      mrule(side("udp", "$A", "*", "224.0.0.99", "5353"), side("tcp", "$A", "*", "*", "8080")),    // 7 no capture uses 224.0.0.99
      mrule(side("tcp", "10.1.0.1", "*", "*", "8080"), side("tcp", "10.1.0.1", "*", "*", "23")),   // 8 a generated host's noise
      mrule(side("tcp", "$A", "*", "*", "143"), side("tcp", "$A", "*", "10.0.0.143", "993")),      // 9 names a generated host
  };
}

}  // namespace

TEST_CASE("accuracy.widened_planted_rule_in_a_mix") {
  // A planted rule widened to '*' because a capture has flows of its shape is true for its pattern
  // when a host variable keeps it within one source; counted apart as widened.
  const auto rules = widened_rules();
  const auto r = score_accuracy(rules, widened_truth(true));
  std::vector<verdict> why;
  for (const auto& j : r.judged) why.push_back(j.why);
  CHECK(why == std::vector<verdict>{verdict::true_rule, verdict::true_rule, verdict::background, verdict::background, verdict::background,
                                    verdict::unattributed, verdict::unattributed, verdict::background, verdict::background,
                                    verdict::background});
  CHECK(r.judged[0].widened);
  CHECK(r.judged[0].patterns == std::vector<std::string>{"imap-imaps"});
  CHECK(r.judged[0].detail ==
        "widens 'imap-imaps' (dst 10.0.0.143 became * on both sides); its host variable binds one host per instance: it crosses no source");
  CHECK(r.judged[1].widened);
  CHECK(r.judged[1].patterns == std::vector<std::string>{"p2p-1"});
  CHECK(r.judged[1].detail ==
        "widens 'p2p-1' (src 10.0.6.1 became * on both sides); its host variable binds one host per instance: it crosses no source");
  for (std::size_t i = 2; i < rules.size(); ++i) CHECK_FALSE(r.judged[i].widened);
  CHECK(r.judged[2].sources == std::vector<std::string>{"generated"});
  CHECK(r.judged[2].detail == "touches background 'noise'");
  CHECK(r.judged[5].detail ==
        "names no host and meets no planted flow: its flows could be a background capture's (it also covers generated 'noise')");
  CHECK(r.rules == 10);
  CHECK(r.true_rules == 2);
  CHECK(r.widened == 2);
  CHECK(r.unattributed == 2);
  CHECK(r.in_capture == 0);
  CHECK(r.planted_judged == 8);
  CHECK(r.precision == 0.25);
  CHECK(r.found == 2);
  CHECK(r.recall == 1.0);
  REQUIRE(r.patterns.size() == 2);
  CHECK(r.patterns[0].widened == 1);
  CHECK(r.patterns[0].rule_indices == std::vector<std::size_t>{0});
  CHECK(r.patterns[1].widened == 1);
  const auto j = nlohmann::json::parse(to_json(r).dump());
  CHECK(j["widened"] == 2);
  CHECK(j["unattributed"] == 2);
  CHECK(j["patterns"][0]["widened"] == 1);
  REQUIRE(j["widened_rules"].size() == 2);
  CHECK(j["widened_rules"][0]["index"] == 0);
  CHECK(j["widened_rules"][0]["patterns"] == nlohmann::json::array({"imap-imaps"}));
  CHECK(j["widened_rules"][1]["text"] == "*.* : $A.6881 : tcp <=> *.* : $A.6885 : tcp");
  CHECK(j["false_rules"].size() == 6);
}

TEST_CASE("accuracy.widened_and_capture_rules_need_sources") {
  // Without sources (a generated trace alone) the same rules touch the noise: background, as before.
  const auto rules = widened_rules();
  const auto r = score_accuracy(rules, widened_truth(false));
  for (const auto& j : r.judged) {
    CAPTURE(j.text);
    CHECK(j.why == verdict::background);
    CHECK_FALSE(j.widened);
  }
  CHECK(r.true_rules == 0);
  CHECK(r.widened == 0);
  CHECK(r.unattributed == 0);
  CHECK(r.found == 0);
  CHECK(r.precision == 0);
  const auto j = nlohmann::json::parse(to_json(r).dump());
  CHECK_FALSE(j.contains("widened"));
  CHECK_FALSE(j.contains("widened_rules"));
  CHECK_FALSE(j["patterns"][0].contains("widened"));
}

TEST_CASE("accuracy.delays_of_ordered_patterns") {
  // The lookup comes 20 ms before the web connection (planted fixed); the NTP clients have no order.
  auto t = crafted_truth();
  t.patterns[0].leader = 0;
  t.patterns[0].delay_ms = 20;
  t.patterns[0].delay_range_ms = {6, 120};
  const auto lookup = side("udp", "$A", "*", "10.0.0.53", "53");
  const auto web = side("tcp", "$A", "*", "10.0.0.80", "80");
  const auto timed = [](mined_rule r, double ms, const char* leads) {
    r.delay_ms = ms;
    r.delay_samples = 30;
    r.leads = leads;
    return r;
  };
  const auto first = [&](std::vector<mined_rule> rules) {
    const auto rep = score_accuracy(rules, t);
    REQUIRE(rep.patterns.size() == 2);
    CHECK_FALSE(rep.patterns[1].ordered);
    return rep.patterns[0];
  };
  // Written lookup first, 20.5 ms: order and delay right; the measured rule is the first that
  // pairs the first member with another (the untimed one before it is skipped).
  auto p = first({mrule(lookup, web), timed(mrule(lookup, web), 20.5, "lhs")});
  CHECK(p.ordered);
  CHECK(p.first.empty());  // the crafted members have no roles
  CHECK(p.timed);
  CHECK(p.delay_rule == 1);
  CHECK(p.measured_delay_ms == 20.5);
  CHECK(p.order_right);
  CHECK(p.delay_right());
  // A => written web first: the lookup leads from the right, -20.5 ms from the left.
  p = first({timed(mrule(web, lookup, "=>"), -20.5, "rhs")});
  CHECK(p.measured_delay_ms == 20.5);
  CHECK(p.order_right);
  // Together: no order; 25 ms: more than 2 ms off the planted 20 ms.
  p = first({timed(mrule(lookup, web), 1.0, "together")});
  CHECK_FALSE(p.order_right);
  CHECK_FALSE(p.delay_right());
  p = first({timed(mrule(lookup, web), 25, "lhs")});
  CHECK(p.order_right);
  CHECK_FALSE(p.delay_right());
  // Drawn delays: right when the median lies in the range.
  t.patterns[0].delay_ms = -1;
  CHECK(first({timed(mrule(lookup, web), 60, "lhs")}).delay_right());
  CHECK_FALSE(first({timed(mrule(lookup, web), 130, "lhs")}).delay_right());
  // No rule with delays: not timed.
  CHECK_FALSE(first({mrule(lookup, web)}).timed);
}
