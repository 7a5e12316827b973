#include "expose/store/report_json.hpp"

#include "doctest.hpp"
#include "expose/pipeline.hpp"
#include "expose/io/json.hpp"
#include "expose/synth/demo.hpp"

using namespace expose;

TEST_CASE("store.report_json.reads_what_expose_mine_writes") {
  const auto r = mine(synth::demo{.seed = 1}.packets(), pipeline<>{});
  const nlohmann::json j = nlohmann::json::parse(io::to_json(r).dump());
  const auto rep = store::read_report(j, "demo.json");
  CHECK(rep.packets == 30158);
  CHECK(rep.flows == 1213);
  CHECK(rep.windows == 600);
  CHECK(rep.start == doctest::Approx(1767600000.0));
  REQUIRE(rep.rules.size() == 5);
  const auto direct = store::observe(r);
  for (std::size_t i = 0; i < 5; ++i) {
    CHECK(rep.rules[i].key.text() == direct[i].key.text());
    CHECK(rep.rules[i].key.flipped == direct[i].key.flipped);
    CHECK(rep.rules[i].support == direct[i].support);
    // Written back: the rule object of the report, plus its canonical text.
    auto back = store::rule_json(rep.rules[i]);
    CHECK(back["text"] == j["rules"][i]["text"]);
    CHECK(nlohmann::json::parse(back["lhs"].dump()) == j["rules"][i]["lhs"]);  // ordered vs. sorted keys
    CHECK(back["confidence"] == j["rules"][i]["confidence"]);
    CHECK(back["canonical"] == rep.rules[i].key.text());
  }
}

TEST_CASE("store.report_json.errors_say_which_rule_and_field") {
  using nlohmann::json;
  CHECK_THROWS_WITH_AS((void)store::read_report(json::parse(R"({"tool": "expose"})"), "x.json"),
                       "'x.json': not an expose-mine JSON report (no \"rules\" array; make one with expose-mine --format json)", bad_argument);
  const auto side = json{{"proto", "tcp"}, {"src", "1.2.3.4"}, {"sport", "*"}, {"dst", "5.6.7.8"}, {"dport", "80"}};
  auto bad = json{{"rules", json::array({json{{"lhs", side}, {"rhs", side}, {"kind", "<=>"}, {"score", 0.5}, {"support", 3}},
                                         json{{"lhs", side}, {"kind", "<=>"}}})}};
  CHECK_THROWS_WITH_AS((void)store::read_report(bad, "x.json"), "'x.json': rule 2: \"rhs\" is missing", bad_argument);
  bad["rules"][1]["rhs"] = side;
  bad["rules"][1]["rhs"].erase("dport");
  CHECK_THROWS_WITH_AS((void)store::read_report(bad, "x.json"), "'x.json': rule 2: \"rhs.dport\" is missing or not a string", bad_argument);
  bad["rules"][1]["rhs"] = side;
  CHECK_THROWS_WITH_AS((void)store::read_report(bad, "x.json"), "'x.json': rule 2: \"score\" is missing or not a number", bad_argument);
  bad["rules"][1]["kind"] = "->";
  CHECK_THROWS_WITH_AS((void)store::read_report(bad, "x.json"), "'x.json': rule 2: kind '->' is neither => nor <=>", bad_argument);
}

TEST_CASE("store.report_json.counts_and_times_out_of_range_are_refused") {
  using nlohmann::json;
  const auto side = json{{"proto", "tcp"}, {"src", "1.2.3.4"}, {"sport", "*"}, {"dst", "5.6.7.8"}, {"dport", "80"}};
  const auto rule = json{{"lhs", side}, {"rhs", side}, {"kind", "=>"}, {"score", 0.5}, {"support", 3}};
  const auto with = [&](const char* key, const json& value) {
    auto r = rule;
    r[key] = value;
    return json{{"rules", json::array({r})}};
  };
  // Stored wrapped round before: -5 read as 18446744073709551611, 5e9 windows of lag as 705032704.
  CHECK_THROWS_WITH_AS((void)store::read_report(with("support", -5), "x.json"),
                       "'x.json': rule 1: \"support\" is -5, not a whole number from 0 to 18446744073709551615", bad_argument);
  CHECK_THROWS_WITH_AS((void)store::read_report(with("lhs_count", 1.5), "x.json"),
                       "'x.json': rule 1: \"lhs_count\" is 1.5, not a whole number from 0 to 18446744073709551615", bad_argument);
  CHECK_THROWS_WITH_AS((void)store::read_report(with("lag_windows", 5000000000ULL), "x.json"),
                       "'x.json': rule 1: \"lag_windows\" is 5000000000, not a whole number from 0 to 4294967295", bad_argument);
  CHECK_THROWS_WITH_AS((void)store::read_report(with("samples", "600"), "x.json"),
                       "'x.json': rule 1: \"samples\" is \"600\", not a whole number from 0 to 18446744073709551615", bad_argument);
  auto input = json{{"rules", json::array({rule})}, {"input", {{"start", 1e300}}}};
  CHECK_THROWS_WITH_AS((void)store::read_report(input, "x.json"), "'x.json': input: \"start\" is 1e+300, not a time in seconds since 1970", bad_argument);
  input["input"] = {{"start", 1000.5}, {"packets", -3}};
  CHECK_THROWS_WITH_AS((void)store::read_report(input, "x.json"),
                       "'x.json': input: \"packets\" is -3, not a whole number from 0 to 18446744073709551615", bad_argument);
  input["input"] = {{"start", 1000.5}, {"packets", 7}};
  const auto ok = store::read_report(input, "x.json");
  CHECK(ok.start == 1000.5);
  CHECK(ok.packets == 7);
  CHECK(ok.rules.size() == 1);
}

TEST_CASE("store.report_json.a_rule_given_twice_is_read_once") {
  using nlohmann::json;
  const auto a = json{{"proto", "tcp"}, {"src", "1.2.3.4"}, {"sport", "*"}, {"dst", "5.6.7.8"}, {"dport", "80"}};
  const auto b = json{{"proto", "udp"}, {"src", "1.2.3.4"}, {"sport", "*"}, {"dst", "5.6.7.9"}, {"dport", "53"}};
  // The same <=> turned, with other counts (an expose-mine before 2026-12-06 could write one text
  // twice), and a => that is another rule.
  const auto j = json{{"rules", json::array({json{{"lhs", a}, {"rhs", b}, {"kind", "<=>"}, {"score", 0.5}, {"support", 3}},
                                              json{{"lhs", b}, {"rhs", a}, {"kind", "<=>"}, {"score", 0.4}, {"support", 9}},
                                              json{{"lhs", a}, {"rhs", b}, {"kind", "=>"}, {"score", 0.3}, {"support", 2}}})}};
  const auto rep = store::read_report(j, "x.json");
  CHECK(rep.repeated == 1);
  REQUIRE(rep.rules.size() == 2);
  CHECK(rep.rules[0].support == 3);
  CHECK(rep.rules[1].key.kind == "=>");
}
