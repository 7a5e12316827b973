#include "expose/store/rule_store.hpp"

#include <filesystem>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "doctest.hpp"
#include "store/fresh_database.hpp"

using namespace expose;

namespace {

store::observed_rule seen_rule(const std::string& a, const std::string& b, double score, const char* kind = "<=>") {
  store::observed_rule o;
  o.key = store::canonical({"udp", a, "*", "10.0.0.1", "53"}, kind, {"tcp", b, "*", "10.0.0.2", "80"});
  o.score = score;
  o.reverse_score = score / 2;
  o.support = 10;
  o.lhs_count = 12;
  o.rhs_count = 11;
  o.samples = 600;
  return o;
}

store::run_info day(const std::string& name, double start) { return {name, start, start + 600, 1000, 10, 600, 1.0}; }
}  // namespace

TEST_CASE("store.rule_store.new_gone_persistent_day_over_day") {
  store::rule_store db(fresh("days.db").string());
  const std::vector<store::observed_rule> d1{seen_rule("10.1.0.1", "10.1.0.1", 0.5), seen_rule("10.1.0.2", "10.1.0.2", 0.4)};
  const std::vector<store::observed_rule> d2{seen_rule("10.1.0.2", "10.1.0.2", 0.45), seen_rule("10.1.0.3", "10.1.0.3", 0.3)};
  const auto s1 = db.add_run("campus", day("mon", 1000), d1);
  REQUIRE(s1.size() == 2);
  CHECK_FALSE(s1[0].known);
  CHECK(s1[0].runs_seen == 1);
  const auto s2 = db.add_run("campus", day("tue", 2000), d2);
  CHECK(s2[0].known);
  CHECK(s2[0].runs_seen == 2);
  CHECK(s2[0].first_run == "mon");
  CHECK_FALSE(s2[1].known);

  const auto d = db.diff("campus", "tue");
  REQUIRE(d.previous);
  CHECK(d.previous->name == "mon");
  REQUIRE(d.new_rules.size() == 1);
  REQUIRE(d.gone.size() == 1);
  REQUIRE(d.persistent.size() == 1);
  CHECK(d.new_rules[0].rule.key.text() == d2[1].key.text());
  CHECK(d.gone[0].rule.key.text() == d1[0].key.text());
  CHECK(d.gone[0].last_run == "mon");
  CHECK(d.persistent[0].runs_seen == 2);
  CHECK(d.persistent[0].first_run == "mon");
  CHECK(d.persistent[0].last_run == "tue");
  CHECK(d.persistent[0].rule.score == 0.45);  // as tue reported it
  CHECK(d.persistent[0].rule.reported_text() == d2[0].reported_text());

  const auto first = db.diff("campus", "mon");
  CHECK_FALSE(first.previous);
  CHECK(first.new_rules.size() == 2);
  CHECK(first.gone.empty());

  const auto sites = db.list();
  REQUIRE(sites.size() == 1);
  CHECK(sites[0].distinct_rules == 3);
  REQUIRE(sites[0].runs.size() == 2);
  CHECK(sites[0].runs[0].rules == 2);
  CHECK(sites[0].runs[0].new_rules == 2);
  CHECK(sites[0].runs[1].new_rules == 1);
  CHECK(sites[0].runs[1].packets == 1000);
  CHECK(db.integrity_check() == "ok");
}

TEST_CASE("store.rule_store.a_pattern_in_another_form_is_said_beside_new_and_gone") {
  // mon reports the rule over any client port; tue reports two narrower ones instead (the
  // broader one was left out as explained): gone and new, each with the other run's form.
  store::rule_store db(fresh("forms.db").string());
  const auto wide = seen_rule("10.1.0.1", "10.1.0.1", 0.5);
  auto narrow = [](const char* port, double score) {
    store::observed_rule o = seen_rule("10.1.0.1", "10.1.0.1", score);
    o.key = store::canonical({"udp", "10.1.0.1", port, "10.0.0.1", "53"}, "<=>", {"tcp", "10.1.0.1", "*", "10.0.0.2", "80"});
    return o;
  };
  const auto other = seen_rule("10.1.0.9", "10.1.0.9", 0.2);
  db.add_run("campus", day("mon", 1000), std::vector{wide});
  db.add_run("campus", day("tue", 2000), std::vector{narrow("4000", 0.55), narrow("4001", 0.6), other});
  const auto d = db.diff("campus", "tue");
  CHECK(d.related_complete);
  REQUIRE(d.gone.size() == 1);
  CHECK(d.gone[0].split_count == 2);
  REQUIRE(d.gone[0].split.size() == 2);
  CHECK(d.gone[0].split[0].text() == narrow("4001", 0).key.text());  // most significant first (not by text)
  CHECK(d.gone[0].within_count == 0);
  REQUIRE(d.new_rules.size() == 3);
  CHECK(d.new_rules[0].within_count == 1);
  REQUIRE(d.new_rules[0].within.size() == 1);
  CHECK(d.new_rules[0].within[0].text() == wide.key.text());
  CHECK(d.new_rules[1].within_count == 1);
  CHECK(d.new_rules[2].rule.key.text() == other.key.text());
  CHECK(d.new_rules[2].within_count + d.new_rules[2].split_count == 0);  // truly new
}

TEST_CASE("store.rule_store.runs_are_ordered_by_trace_time_and_sites_are_apart") {
  store::rule_store db(fresh("order.db").string());
  db.add_run("a", day("later", 5000), std::vector{seen_rule("10.1.0.1", "10.1.0.1", 0.5)});
  db.add_run("a", day("earlier", 1000), std::vector{seen_rule("10.1.0.1", "10.1.0.1", 0.5), seen_rule("10.1.0.9", "10.1.0.9", 0.2)});
  const auto st = db.add_run("b", day("x", 9000), std::vector{seen_rule("10.1.0.1", "10.1.0.1", 0.5)});
  CHECK_FALSE(st[0].known);  // another site's rule is not known here
  const auto d = db.diff("a", "later");
  REQUIRE(d.previous);
  CHECK(d.previous->name == "earlier");
  CHECK(d.persistent.size() == 1);
  CHECK(d.gone.size() == 1);
  CHECK(db.diff("a", "earlier").new_rules.size() == 2);  // a backfill is diffed against what came before it
}

TEST_CASE("store.rule_store.a_replaced_run_keeps_its_place") {
  // Three runs of one trace start, ordered by when they were added: replacing the first keeps it
  // first (a new row came after the others, and the next run's diff called it the site's first).
  store::rule_store db(fresh("replace.db").string());
  db.add_run("a", day("mon", 1000), std::vector{seen_rule("10.1.0.1", "10.1.0.1", 0.5)});
  db.add_run("a", day("tue", 1000), std::vector{seen_rule("10.1.0.1", "10.1.0.1", 0.5)});
  db.add_run("a", day("mon", 1000), std::vector{seen_rule("10.1.0.9", "10.1.0.9", 0.4)}, {.replace = true});
  const auto sites = db.list("a");
  REQUIRE(sites.size() == 1);
  REQUIRE(sites[0].runs.size() == 2);
  CHECK(sites[0].runs[0].name == "mon");
  CHECK(sites[0].runs[1].name == "tue");
  const auto d = db.diff("a", "tue");
  REQUIRE(d.previous);
  CHECK(d.previous->name == "mon");
  CHECK(d.new_rules.size() == 1);  // mon holds only its new rule now
  CHECK(d.gone.size() == 1);
}

TEST_CASE("store.rule_store.errors_name_the_site_and_the_run") {
  store::rule_store db(fresh("errors.db").string());
  db.add_run("campus", day("mon", 1000), std::vector{seen_rule("10.1.0.1", "10.1.0.1", 0.5)});
  CHECK_THROWS_WITH_AS(db.add_run("campus", day("mon", 1000), std::vector{seen_rule("10.1.0.1", "10.1.0.1", 0.5)}),
                       "run 'mon' is already in the database for site 'campus' (forget it first: expose-db forget; replace it: expose-db add "
                       "--replace; or name this run otherwise)", bad_argument);
  CHECK(db.has_run("campus", "mon"));
  CHECK_FALSE(db.has_run("campus", "tue"));
  CHECK_FALSE(db.has_run("lab", "mon"));
  CHECK_THROWS_WITH_AS((void)db.diff("lab", "mon"), "no site 'lab' in the database (sites: campus)", bad_argument);
  CHECK_THROWS_WITH_AS((void)db.diff("campus", "sun"), "no run 'sun' for site 'campus' in the database (runs: mon)", bad_argument);
  CHECK_THROWS_WITH_AS(db.add_run("", day("x", 1), {}), "the site name is empty", bad_argument);
  // replace: the run's rules are the new ones
  db.add_run("campus", day("mon", 1000), std::vector{seen_rule("10.1.0.7", "10.1.0.7", 0.5)}, {.replace = true});
  CHECK(db.diff("campus", "mon").new_rules.at(0).rule.key.lhs.src == "10.1.0.7");
  CHECK(db.db().scalar("SELECT count(*) FROM rules") == 1);  // the replaced rule is gone with its run
}

TEST_CASE("store.rule_store.forget_a_run_and_a_site") {
  store::rule_store db(fresh("forget.db").string());
  db.add_run("campus", day("mon", 1000), std::vector{seen_rule("10.1.0.1", "10.1.0.1", 0.5)});
  db.add_run("campus", day("tue", 2000), std::vector{seen_rule("10.1.0.2", "10.1.0.2", 0.5)});
  db.add_run("lab", day("mon", 1000), std::vector{seen_rule("10.1.0.1", "10.1.0.1", 0.5)});
  CHECK(db.forget_run("campus", "mon"));
  CHECK_FALSE(db.forget_run("campus", "mon"));
  CHECK(db.db().scalar("SELECT count(*) FROM rules") == 2);  // 10.1.0.1 still held by lab
  CHECK(db.diff("campus", "tue").new_rules.size() == 1);
  CHECK(db.forget_site("lab"));
  CHECK_FALSE(db.forget_site("lab"));
  CHECK(db.db().scalar("SELECT count(*) FROM rules") == 1);
  CHECK(db.db().scalar("SELECT count(*) FROM observations") == 1);
  CHECK(db.list().size() == 1);
}

TEST_CASE("store.rule_store.an_add_is_all_or_nothing") {
  const auto path = fresh("atomic.db").string();
  store::rule_store db(path);
  std::vector<store::observed_rule> rules;
  for (int i = 0; i < 10; ++i) rules.push_back(seen_rule("10.1.0." + std::to_string(i), "10.2.0.1", 0.1 * i));
  store::add_options opt;
  opt.midway = [] { throw std::runtime_error("killed midway"); };
  CHECK_THROWS_WITH(db.add_run("campus", day("mon", 1000), rules, opt), "killed midway");
  CHECK(db.db().scalar("SELECT count(*) FROM runs") == 0);
  CHECK(db.db().scalar("SELECT count(*) FROM rules") == 0);
  CHECK(db.db().scalar("SELECT count(*) FROM sites") == 0);
  CHECK(db.add_run("campus", day("mon", 1000), rules).size() == 10);
}

TEST_CASE("store.rule_store.concurrent_writers_both_land") {
  const auto path = fresh("concurrent.db").string();
  { store::rule_store init(path); }
  std::vector<std::thread> writers;
  for (int w = 0; w < 4; ++w)
    writers.emplace_back([&, w] {
      store::rule_store db(path);  // a connection of its own, as another process would have
      std::vector<store::observed_rule> rules;
      for (int i = 0; i < 200; ++i) rules.push_back(seen_rule("10.1." + std::to_string(w) + "." + std::to_string(i), "10.2.0.1", 0.3));
      for (int r = 0; r < 5; ++r) db.add_run("campus", day("w" + std::to_string(w) + "r" + std::to_string(r), 1000.0 * r + w), rules);
    });
  for (auto& t : writers) t.join();
  store::rule_store db(path);
  CHECK(db.db().scalar("SELECT count(*) FROM runs") == 20);
  CHECK(db.db().scalar("SELECT count(*) FROM rules") == 800);
  CHECK(db.db().scalar("SELECT count(*) FROM observations") == 4000);
  CHECK(db.integrity_check() == "ok");
}

TEST_CASE("store.rule_store.migrates_a_version_1_database") {
  const auto path = fresh("v1.db").string();
  {
    // A file as the first schema left it: no input figures on runs, no order or lag on observations.
    store::connection old(path);
    store::migrations::to_1(old);
    old.exec("PRAGMA user_version = 1");
    old.exec(R"sql(
      INSERT INTO sites(id, name) VALUES(1, 'campus');
      INSERT INTO runs(id, site_id, name, started, ended, added_at) VALUES(1, 1, 'mon', 1000, 1600, 5);
      INSERT INTO rules(id, text, kind, lhs_proto, lhs_src, lhs_sport, lhs_dst, lhs_dport, rhs_proto, rhs_src, rhs_sport, rhs_dst, rhs_dport)
        VALUES(1, '10.1.0.1.* : 10.0.0.1.53 : udp <=> 10.1.0.1.* : 10.0.0.2.80 : tcp', '<=>',
               'udp', '10.1.0.1', '*', '10.0.0.1', '53', 'tcp', '10.1.0.1', '*', '10.0.0.2', '80');
      INSERT INTO observations(run_id, rule_id, flipped, score, reverse_score, support, lhs_count, rhs_count, samples)
        VALUES(1, 1, 0, 0.5, 0.25, 10, 12, 11, 600);
    )sql");
  }
  store::rule_store db(path);
  CHECK(db.db().scalar("PRAGMA user_version") == store::schema_version);
  CHECK(db.db().scalar("SELECT count(*) FROM sqlite_schema WHERE name = 'runs_in_order'") == 1);
  const auto st = db.add_run("campus", day("tue", 2000), std::vector{seen_rule("10.1.0.1", "10.1.0.1", 0.5)});
  CHECK(st.at(0).known);
  CHECK(st.at(0).first_run == "mon");
  const auto d = db.diff("campus", "tue");
  REQUIRE(d.previous);
  CHECK(d.previous->packets == 0);  // what version 1 did not record
  CHECK(d.persistent.size() == 1);
  const auto mon = db.diff("campus", "mon");
  CHECK(mon.new_rules.at(0).rule.order == "together");
  CHECK(mon.new_rules.at(0).rule.score == 0.5);
}

TEST_CASE("store.rule_store.refuses_newer_and_foreign_databases") {
  const auto newer = fresh("newer.db").string();
  {
    store::connection c(newer);
    c.exec("PRAGMA user_version = 99");
  }
  CHECK_THROWS_WITH_AS(store::rule_store{newer}, doctest::Contains("has schema version 99, newer than this expose's 2"), error);
  const auto foreign = fresh("foreign.db").string();
  {
    store::connection c(foreign);
    c.exec("CREATE TABLE accounts(x)");
  }
  CHECK_THROWS_WITH_AS(store::rule_store{foreign}, doctest::Contains("holds tables but no expose schema version"), error);
  {  // refused before anything in it changed: it is not switched to WAL
    store::connection c(foreign);
    store::statement mode(c, "PRAGMA journal_mode");
    REQUIRE(mode.step());
    CHECK(mode.text(0) == "delete");
  }
  CHECK_THROWS_AS(store::rule_store(fresh("missing.db").string(), {.create = false}), store::sqlite_error);
  // Read only (list, diff, check): another program's file is refused as when writing; an older
  // schema is brought up to date (the file can be written here), and then read.
  CHECK_THROWS_WITH_AS(store::rule_store(foreign, {.create = false, .read_only = true}),
                       doctest::Contains("holds tables but no expose schema version"), error);
  const auto old = fresh("version-1.db").string();
  {
    store::connection c(old);
    store::migrations::to_1(c);
    c.exec("PRAGMA user_version = 1");
  }
  CHECK(store::rule_store(old, {.create = false, .read_only = true}).list("").empty());
  CHECK(store::connection(old).scalar("PRAGMA user_version") == 2);
}
