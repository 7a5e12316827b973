// A consumer of the rule database (CMake expose::db, meson 'expose-db'): mines the fixture, adds it
// twice as two runs of one site in a new SQLite file and checks that the second run knows the rule.
//   db [FILE.db]     (default: db-consumer.db in the current directory)
#include <expose/store/rule_store.hpp>

#include <cstdio>
#include <filesystem>

#include "fixture.hpp"

int main(int argc, char** argv) {
  const std::string path = argc > 1 ? argv[1] : "db-consumer.db";
  try {
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
    const auto result = expose::mine(consumer::packets(), consumer::spec());
    bool ok = consumer::check("core", result);
    expose::store::rule_store db(path);
    const auto rules = expose::store::observe(result);
    const auto first = db.add_run("site", {.name = "one"}, rules);
    const auto second = db.add_run("site", {.name = "two"}, rules);
    const auto d = db.diff("site", "two");
    std::printf("expose %s db: rules=%zu new=%zu known=%d persistent=%zu\n", expose::version, rules.size(), d.new_rules.size(),
                second.at(0).known ? 1 : 0, d.persistent.size());
    ok = ok && first.size() == consumer::expected_rules && !first.at(0).known && second.at(0).known && d.new_rules.empty() &&
         d.persistent.size() == consumer::expected_rules && db.integrity_check() == "ok";
    ok = ok && consumer::check_version();
    std::puts(ok ? "db consumer: ok" : "db consumer: FAILED");
    return ok ? 0 : 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "db consumer: %s\n", e.what());
    return 1;
  }
}
