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
  CHECK_THROWS_WITH_AS(store::read_report(json::parse(R"({"tool": "expose"})"), "x.json"),
                       "'x.json': not an expose-mine JSON report (no \"rules\" array; make one with expose-mine --format json)", bad_argument);
  const auto side = json{{"proto", "tcp"}, {"src", "1.2.3.4"}, {"sport", "*"}, {"dst", "5.6.7.8"}, {"dport", "80"}};
  auto bad = json{{"rules", json::array({json{{"lhs", side}, {"rhs", side}, {"kind", "<=>"}, {"score", 0.5}, {"support", 3}},
                                         json{{"lhs", side}, {"kind", "<=>"}}})}};
  CHECK_THROWS_WITH_AS(store::read_report(bad, "x.json"), "'x.json': rule 2: \"rhs\" is missing", bad_argument);
  bad["rules"][1]["rhs"] = side;
  bad["rules"][1]["rhs"].erase("dport");
  CHECK_THROWS_WITH_AS(store::read_report(bad, "x.json"), "'x.json': rule 2: \"rhs.dport\" is missing or not a string", bad_argument);
  bad["rules"][1]["rhs"] = side;
  CHECK_THROWS_WITH_AS(store::read_report(bad, "x.json"), "'x.json': rule 2: \"score\" is missing or not a number", bad_argument);
  bad["rules"][1]["kind"] = "->";
  CHECK_THROWS_WITH_AS(store::read_report(bad, "x.json"), "'x.json': rule 2: kind '->' is neither => nor <=>", bad_argument);
}
