#include "expose/store/sqlite.hpp"

#include <filesystem>
#include <string>

#include "doctest.hpp"
#include "store/fresh_database.hpp"

using namespace expose;

TEST_CASE("store.sqlite.statements_bind_and_read") {
  store::connection db(fresh("sqlite-basic.db").string());
  db.exec("CREATE TABLE t(i INTEGER, r REAL, s TEXT)");
  auto ins = db.prepare("INSERT INTO t VALUES(?1, ?2, ?3)");
  ins.bind_all(std::int64_t{-7}, 2.5, std::string("a'b")).run();
  ins.bind_all(std::uint64_t{1} << 40, 0.0, "x").run();
  auto sel = db.prepare("SELECT i, r, s FROM t ORDER BY i");
  REQUIRE(sel.step());
  CHECK(sel.int64(0) == -7);
  CHECK(sel.real(1) == 2.5);
  CHECK(sel.text(2) == "a'b");
  REQUIRE(sel.step());
  CHECK(sel.int64(0) == (std::int64_t{1} << 40));
  CHECK_FALSE(sel.step());
  CHECK(db.scalar("SELECT count(*) FROM t") == 2);
}

TEST_CASE("store.sqlite.transaction_rolls_back_unless_committed") {
  store::connection db(fresh("sqlite-tx.db").string());
  db.exec("CREATE TABLE t(i INTEGER)");
  {
    store::transaction t(db);
    db.exec("INSERT INTO t VALUES(1)");
  }
  CHECK(db.scalar("SELECT count(*) FROM t") == 0);
  {
    store::transaction t(db);
    db.exec("INSERT INTO t VALUES(1)");
    t.commit();
  }
  CHECK(db.scalar("SELECT count(*) FROM t") == 1);
}

TEST_CASE("store.sqlite.errors_name_the_file_and_the_cause") {
  const auto path = fresh("sqlite-err.db").string();
  store::connection db(path);
  const std::string syntax = "database '" + path + "': near \"SELEKT\": syntax error";
  CHECK_THROWS_WITH_AS(db.exec("SELEKT 1"), doctest::Contains(syntax.c_str()), store::sqlite_error);
  CHECK_THROWS_WITH_AS((void)db.prepare("SELECT * FROM nowhere"), doctest::Contains("no such table: nowhere"), store::sqlite_error);
  CHECK_THROWS_WITH_AS(store::connection("/nonexistent/dir/x.db"), doctest::Contains("cannot open database '/nonexistent/dir/x.db'"),
                       store::sqlite_error);
  CHECK_THROWS_AS(store::connection(fresh("never-made.db").string(), false), store::sqlite_error);
}

TEST_CASE("store.sqlite.read_only_connections_write_nothing") {
  const auto path = fresh("sqlite-ro%?#.db").string();
  {
    store::connection db(path);
    db.exec("CREATE TABLE t(x INTEGER); INSERT INTO t VALUES (7)");
  }
  CHECK(store::file_uri("/a b/c%d?e#f.db") == "file:///a b/c%25d%3Fe%23f.db");
  CHECK(store::file_uri("//tmp/x.db") == "file:////tmp/x.db");  // read as the host 'tmp' before
  CHECK(store::file_uri("x.db") == "file:x.db");
  for (const auto as : {store::open_as::read, store::open_as::read_unchanging}) {
    store::connection db(path, false, std::chrono::seconds{1}, as);  // the name's %, ? and # are the file's, not a URI's
    CHECK(db.scalar("SELECT x FROM t") == 7);
    CHECK_THROWS_WITH_AS(db.exec("INSERT INTO t VALUES (8)"), doctest::Contains("attempt to write a readonly database"), store::sqlite_error);
  }
}
