#pragma once
// The database of known rules (paper section 5, DESIGN.md section 1.6; component expose::db, SQLite).
// Per site, the rules of every run: score, support and counts as each run reported them, so that a
// new run can be matched against what the site has seen before — which rules are new, which
// vanished since the previous run, which keep coming back, since when and in how many runs.
//
//   store::rule_store db("rules.db");
//   auto status = db.add_run("campus", {.name = "2026-01-05", .start = ...}, store::observe(result));
//   auto d = db.diff("campus", "2026-01-05");  // d.new_rules, d.gone, d.persistent
//
// A rule's identity is its canonical text (store/rule_key.hpp). Runs of a site are ordered by the
// start of their trace, then by when they were added; "earlier", "previous" and "seen so far" follow
// that order, so a run added late (a backfill) is diffed against the runs before it in time.
//
// Nothing is lost: every write is one transaction (BEGIN IMMEDIATE: the writer takes the lock at
// once, waiting up to the busy timeout), the file is in WAL mode so readers never block the writer,
// and a process killed in the middle of an add leaves either the whole run or none of it.
//
// The schema is versioned with PRAGMA user_version and migrated on open, one function per step
// (`migrations`), each step in its own transaction; a file from a newer expose is refused.

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <iterator>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "expose/error.hpp"
#include "expose/store/related.hpp"
#include "expose/store/rule_key.hpp"
#include "expose/store/sqlite.hpp"

namespace expose::store {

/// What a run is: its name, and what the report says about its input.
struct run_info {
  std::string name;
  double start = 0;  ///< first packet of the trace, seconds since the Unix epoch (orders the runs)
  double end = 0;
  std::uint64_t packets = 0;
  std::uint64_t flows = 0;
  std::uint64_t windows = 0;
  double window_seconds = 0;
};

/// A run as the store lists it.
struct run_summary {
  std::int64_t id = 0;
  std::string name;
  double start = 0, end = 0;
  double added_at = 0;  ///< wall clock of the add, seconds since the Unix epoch
  std::uint64_t packets = 0, flows = 0, windows = 0;
  double window_seconds = 0;
  std::uint64_t rules = 0;      ///< rules the run reported
  std::uint64_t new_rules = 0;  ///< of them, not seen in any earlier run of the site
};

struct site_summary {
  std::string name;
  std::vector<run_summary> runs;  ///< in run order
  std::uint64_t distinct_rules = 0;
};

/// A rule of a run with its history at the site, up to and including the run asked about.
struct known_rule {
  observed_rule rule;            ///< as the run that saw it last reported it
  std::uint64_t runs_seen = 0;   ///< runs of the site that reported it
  std::string first_run, last_run;
  double first_seen = 0, last_seen = 0;  ///< trace start of those runs
  /// In a diff's new and gone lists: the rules of the other run (the previous one for a new rule,
  /// this one for a gone rule) that cover it (`within`) or that it covers (`split`), the same
  /// pattern reported in another form (store/related.hpp): the first three of each, most
  /// significant first, and how many.
  std::vector<rule_key> within{}, split{};
  std::size_t within_count = 0, split_count = 0;
};

/// What a run changed at its site: rules not seen in any earlier run, rules of the previous run
/// it lacks, and rules seen before and again now. Each list is most significant first.
struct run_diff {
  std::string site;
  run_summary run;
  std::optional<run_summary> previous;
  std::vector<known_rule> new_rules, gone, persistent;
  bool related_complete = true;  ///< every new and gone rule was looked up in the other run (related_rules' budget)
};

/// Per rule of an added run, in the order given: seen in an earlier run of the site, and by how many runs so far.
struct rule_status {
  bool known = false;
  std::uint64_t runs_seen = 0;
  std::string first_run;
  double first_seen = 0;
};

struct add_options {
  bool replace = false;  ///< a run of that name at the site is replaced (else: an error)
  /// Test hook: called inside the transaction once half the rules are written.
  std::function<void()> midway{};
};

struct store_options {
  std::chrono::milliseconds busy_timeout{std::chrono::seconds{30}};
  bool create = true;  ///< create the file, or the schema in an empty one, when there is none (else: an error)
  /// Only read (list, diff, check): no data is written, not the journal mode, and the schema only
  /// when it is older (brought up to date as when writing); a database in a read-only folder is
  /// read too, when it has no -wal file that may hold changes.
  bool read_only = false;
};

/// The schema, one step per version. Version 1: sites, runs, rules, observations. Version 2: the
/// runs' input figures (packets, flows, windows, window width), each observation's order and lag,
/// and an index giving a site's runs in order.
namespace migrations {
inline void to_1(connection& db) {
  db.exec(R"sql(
    CREATE TABLE sites(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
    CREATE TABLE runs(id INTEGER PRIMARY KEY,
                      site_id INTEGER NOT NULL REFERENCES sites(id) ON DELETE CASCADE,
                      name TEXT NOT NULL, started REAL NOT NULL, ended REAL NOT NULL, added_at REAL NOT NULL,
                      UNIQUE(site_id, name));
    CREATE TABLE rules(id INTEGER PRIMARY KEY, text TEXT NOT NULL UNIQUE, kind TEXT NOT NULL,
                       lhs_proto TEXT NOT NULL, lhs_src TEXT NOT NULL, lhs_sport TEXT NOT NULL, lhs_dst TEXT NOT NULL, lhs_dport TEXT NOT NULL,
                       rhs_proto TEXT NOT NULL, rhs_src TEXT NOT NULL, rhs_sport TEXT NOT NULL, rhs_dst TEXT NOT NULL, rhs_dport TEXT NOT NULL);
    CREATE TABLE observations(run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
                              rule_id INTEGER NOT NULL REFERENCES rules(id),
                              flipped INTEGER NOT NULL, score REAL NOT NULL, reverse_score REAL NOT NULL,
                              support INTEGER NOT NULL, lhs_count INTEGER NOT NULL, rhs_count INTEGER NOT NULL,
                              samples INTEGER NOT NULL,
                              PRIMARY KEY(run_id, rule_id)) WITHOUT ROWID;
    CREATE INDEX observations_by_rule ON observations(rule_id, run_id);
  )sql");
}
inline void to_2(connection& db) {
  db.exec(R"sql(
    ALTER TABLE runs ADD COLUMN packets INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE runs ADD COLUMN flows INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE runs ADD COLUMN windows INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE runs ADD COLUMN window_seconds REAL NOT NULL DEFAULT 0;
    ALTER TABLE observations ADD COLUMN rule_order TEXT NOT NULL DEFAULT 'together';
    ALTER TABLE observations ADD COLUMN lag_windows INTEGER NOT NULL DEFAULT 0;
    CREATE INDEX runs_in_order ON runs(site_id, started, id);
  )sql");
}
}  // namespace migrations

/// The schema version this header writes.
inline constexpr int schema_version = 2;

/// Brings a database to `schema_version`, one step per transaction; refuses a newer file.
inline void migrate(connection& db) {
  using step = void (*)(connection&);
  static constexpr step steps[] = {migrations::to_1, migrations::to_2};
  static_assert(std::size(steps) == schema_version);
  // Up to date: nothing to write, and no write lock taken (a reader must not wait for a writer).
  if (db.scalar("PRAGMA user_version") == schema_version) return;
  for (;;) {
    transaction t(db);  // the version is read under the write lock: two processes never both migrate
    const auto v = db.scalar("PRAGMA user_version");
    if (v > schema_version)
      throw error("database '" + db.path() + "' has schema version " + std::to_string(v) + ", newer than this expose's " +
                  std::to_string(schema_version) + ": use a newer expose");
    if (v < 0) throw error("database '" + db.path() + "' has a negative schema version: not an expose rule database");
    if (v == schema_version) return;  // nothing to write: the transaction rolls back
    if (v == 0 && db.scalar("SELECT count(*) FROM sqlite_schema") != 0)
      throw error("database '" + db.path() + "' holds tables but no expose schema version: not an expose rule database");
    steps[v](db);
    db.exec("PRAGMA user_version = " + std::to_string(v + 1));
    t.commit();
  }
}

class rule_store {
 public:
  explicit rule_store(const std::string& path, const store_options& opt = {}) : db_(open(path, opt)) {
    // Not creating: an empty file (no schema, no table) is not given one. `expose-db list` on a
    // 0-byte file wrote a schema into it.
    if ((!opt.create || opt.read_only) && db_.scalar("PRAGMA user_version") == 0 && db_.scalar("SELECT count(*) FROM sqlite_schema") == 0)
      throw bad_argument("database '" + path + "' is empty: it holds no rule database yet (add a run first: it creates the database)");
    if (opt.read_only) {
      const auto v = db_.scalar("PRAGMA user_version");
      if (v > schema_version)
        throw error("database '" + path + "' has schema version " + std::to_string(v) + ", newer than this expose's " +
                    std::to_string(schema_version) + ": use a newer expose");
      if (v <= 0) throw error("database '" + path + "' holds tables but no expose schema version: not an expose rule database");
      if (v == schema_version) return;
      // an older schema is brought up to date where the file can be written, as before
      try {
        db_ = connection(path, false, opt.busy_timeout);
        migrate(db_);
      } catch (const sqlite_error&) {
        throw error("database '" + path + "' has schema version " + std::to_string(v) + " and cannot be written here to bring it to " +
                    std::to_string(schema_version) + " (add a run to it where it can: expose-db add, or expose-mine --db)");
      }
    }
    // The schema first: another program's SQLite file is refused before anything in it changes.
    migrate(db_);
    // WAL: readers do not block the writer, and a commit is one append. Switching needs a moment
    // alone with the file, so a busy answer is retried for as long as the busy timeout.
    const auto until = std::chrono::steady_clock::now() + opt.busy_timeout;
    for (;;) {
      try {
        statement s(db_, "PRAGMA journal_mode = WAL");
        s.step();
        break;
      } catch (const sqlite_error& e) {
        if ((e.code() != SQLITE_BUSY && e.code() != SQLITE_LOCKED) || std::chrono::steady_clock::now() > until) throw;
        std::this_thread::sleep_for(std::chrono::milliseconds{20});
      }
    }
    db_.exec("PRAGMA synchronous = NORMAL");  // durable at each checkpoint, never corrupt (WAL)
  }

  /// The connection `opt` asks for. To read, the file is opened as a writer where it and its folder
  /// can be written (SQLite then removes its -wal and -shm files on close, as for any writer, and
  /// merges a -wal left by a writer that was killed into the file; no data is written), else as
  /// unchanging where there is no -wal, else read-only. Reading a WAL database needs its shared-memory file, which SQLite
  /// cannot make in a read-only folder ("unable to open database file"): such a database is read as
  /// unchanging, unless a -wal file beside it may hold changes not yet in it (then that is said).
  static connection open(const std::string& path, const store_options& opt) {
    if (!opt.read_only) return connection(path, opt.create, opt.busy_timeout);
    const auto probe = [](connection c) {
      [[maybe_unused]] const auto v = c.scalar("PRAGMA user_version");  // the first read opens the WAL
      return c;
    };
    const auto cannot_write = [](const sqlite_error& e) {
      return e.code() == SQLITE_CANTOPEN || e.code() == SQLITE_READONLY || e.code() == SQLITE_PERM;
    };
    std::error_code ec;
    const auto wal = std::filesystem::file_size(path + "-wal", ec);
    const bool no_wal = ec || wal == 0;
    try {
      connection c(path, false, opt.busy_timeout);
      // A file that cannot be written (mode 444) is opened read-only all the same, and its first
      // read would leave -wal and -shm files behind (read-only, in the way of a later writer):
      // without a -wal to read, it is read as unchanging.
      if (sqlite3_db_readonly(c.handle(), "main") != 1 || !no_wal) return probe(std::move(c));
    } catch (const sqlite_error& e) {
      if (!cannot_write(e)) throw;
    }
    if (no_wal) return connection(path, false, opt.busy_timeout, open_as::read_unchanging);
    try {
      return probe(connection(path, false, opt.busy_timeout, open_as::read));
    } catch (const sqlite_error& e) {
      if (e.code() != SQLITE_CANTOPEN) throw;
    }
    throw error("database '" + path + "' cannot be read here: '" + path + "-wal' beside it may hold changes not yet in it, " +
                "which SQLite reads through a shared-memory file it cannot make in this folder: copy both files to a folder " +
                "that can be written, or read it where it was written");
  }

  /// Records a run of `site` (created when new) with its rules, in one transaction. Returns, per
  /// rule in the order given, whether an earlier run of the site saw it and how many runs have.
  std::vector<rule_status> add_run(const std::string& site, const run_info& run, std::span<const observed_rule> rules,
                                   const add_options& opt = {}) {
    if (site.empty()) throw bad_argument("the site name is empty");
    if (run.name.empty()) throw bad_argument("the run name is empty");
    transaction t(db_);
    db_.prepare("INSERT INTO sites(name) VALUES(?1) ON CONFLICT(name) DO NOTHING").bind_all(site).run();
    const std::int64_t site_id = site_of(site).value();
    if (auto old = run_id(site_id, run.name)) {
      if (!opt.replace)
        throw bad_argument("run '" + run.name + "' is already in the database for site '" + site +
                           "' (forget it first: expose-db forget; replace it: expose-db add --replace; or name this run otherwise)");
      // The run keeps its row (its id and when it was first added): among runs with the same
      // trace start it keeps its place, where a new row would come after them.
      db_.prepare("DELETE FROM observations WHERE run_id = ?1").bind_all(*old).run();
      collect_garbage();
      db_.prepare("UPDATE runs SET started = ?2, ended = ?3, packets = ?4, flows = ?5, windows = ?6, window_seconds = ?7 WHERE id = ?1")
          .bind_all(*old, run.start, run.end, run.packets, run.flows, run.windows, run.window_seconds)
          .run();
    } else {
      const double now = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
      db_.prepare("INSERT INTO runs(site_id, name, started, ended, added_at, packets, flows, windows, window_seconds) "
                  "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)")
          .bind_all(site_id, run.name, run.start, run.end, now, run.packets, run.flows, run.windows, run.window_seconds)
          .run();
    }
    const std::int64_t rid = run_id(site_id, run.name).value();
    statement add_rule(db_,
                       "INSERT INTO rules(text, kind, lhs_proto, lhs_src, lhs_sport, lhs_dst, lhs_dport, "
                       "rhs_proto, rhs_src, rhs_sport, rhs_dst, rhs_dport) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12) "
                       "ON CONFLICT(text) DO NOTHING");
    statement find_rule(db_, "SELECT id FROM rules WHERE text = ?1");
    statement add_obs(db_,
                      "INSERT INTO observations(run_id, rule_id, flipped, score, reverse_score, support, lhs_count, rhs_count, "
                      "samples, rule_order, lag_windows) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) "
                      "ON CONFLICT(run_id, rule_id) DO NOTHING");
    std::vector<std::int64_t> ids;
    ids.reserve(rules.size());
    for (std::size_t i = 0; i < rules.size(); ++i) {
      const observed_rule& o = rules[i];
      const auto text = o.key.text();
      const auto& l = o.key.lhs;
      const auto& r = o.key.rhs;
      add_rule.bind_all(text, o.key.kind, l.proto, l.src, l.sport, l.dst, l.dport, r.proto, r.src, r.sport, r.dst, r.dport).run();
      find_rule.bind_all(text);
      if (!find_rule.step()) db_.fail("rule '" + text + "' vanished while being added", SQLITE_INTERNAL);
      ids.push_back(find_rule.int64(0));
      find_rule.reset();
      // A report never holds one rule twice; if it does, the first (most significant) counts.
      add_obs.bind_all(rid, ids.back(), o.key.flipped, o.score, o.reverse_score, o.support, o.lhs_count, o.rhs_count, o.samples,
                       o.order, o.lag_windows)
          .run();
      if (opt.midway && i + 1 == (rules.size() + 1) / 2) opt.midway();
    }
    if (opt.midway && rules.empty()) opt.midway();
    const auto runs = ordered_runs(site_id);
    const auto hist = history(site_id, runs, position(runs, rid));
    t.commit();
    std::vector<rule_status> out;
    out.reserve(rules.size());
    for (const auto id : ids) {
      const auto& h = hist.at(id);
      out.push_back({h.runs_seen > 1, h.runs_seen, runs[h.first].name, runs[h.first].start});
    }
    return out;
  }

  /// What run `run` of `site` changed: new, gone (since the previous run) and persistent rules.
  [[nodiscard]] run_diff diff(const std::string& site, const std::string& run) {
    const auto site_id = site_of(site);
    if (!site_id) throw bad_argument("no site '" + site + "' in the database" + known_sites());
    const auto runs = ordered_runs(*site_id);
    const auto rid = run_id(*site_id, run);
    if (!rid) throw bad_argument("no run '" + run + "' for site '" + site + "' in the database" + known_runs(runs));
    const std::size_t at = position(runs, *rid);
    run_diff d;
    d.site = site;
    d.run = runs[at];
    if (at > 0) d.previous = runs[at - 1];
    const auto hist = history(*site_id, runs, at);
    auto current = observations(runs[at].id);
    std::map<std::int64_t, char> in_current;
    for (auto& [id, o] : current) {
      in_current[id] = 1;
      const auto& h = hist.at(id);
      known_rule k{std::move(o), h.runs_seen, runs[h.first].name, runs[h.last].name, runs[h.first].start, runs[h.last].start};
      (h.runs_seen > 1 ? d.persistent : d.new_rules).push_back(std::move(k));
    }
    // The previous run's rules and this run's, each by score, then text (as the lists): what the
    // new and the gone rules are looked up among.
    struct ranked {
      double score;
      std::string text;
      rule_key key;
    };
    std::vector<ranked> before, now;
    if (d.previous) {
      for (auto& [id, o] : observations(d.previous->id)) {
        before.push_back({o.score, o.key.text(), o.key});
        if (in_current.count(id)) continue;
        const auto& h = hist.at(id);
        d.gone.push_back({std::move(o), h.runs_seen, runs[h.first].name, runs[h.last].name, runs[h.first].start, runs[h.last].start});
      }
    }
    const auto known_by_score = [](const known_rule& a, const known_rule& b) {
      return ranked_before(a.rule.score, [&] { return a.rule.key.text(); }, b.rule.score, [&] { return b.rule.key.text(); });
    };
    std::ranges::sort(d.new_rules, known_by_score);
    std::ranges::sort(d.gone, known_by_score);
    std::ranges::sort(d.persistent, known_by_score);
    if (d.previous) {
      // A new rule within or split from one of the previous run's, a gone one within or split into
      // one of this run's: the pattern reported in another form.
      for (const auto* l : {&d.new_rules, &d.persistent})
        for (const auto& k : *l) now.push_back({k.rule.score, k.rule.key.text(), k.rule.key});
      const auto ranked_order = [](const ranked& a, const ranked& b) {
        return ranked_before(a.score, [&] { return a.text; }, b.score, [&] { return b.text; });
      };
      std::ranges::sort(before, ranked_order);
      std::ranges::sort(now, ranked_order);
      const auto relate = [&](std::vector<known_rule>& rules, const std::vector<ranked>& other) {
        std::vector<const rule_key*> of, among;
        for (const auto& k : rules) of.push_back(&k.rule.key);
        for (const auto& o : other) among.push_back(&o.key);
        const auto found = related_rules(of, among);
        d.related_complete = d.related_complete && found.complete;
        for (std::size_t i = 0; i < rules.size(); ++i) {
          const auto& f = found.found[i];
          for (const auto j : f.within) rules[i].within.push_back(other[j].key);
          for (const auto j : f.split) rules[i].split.push_back(other[j].key);
          rules[i].within_count = f.within_count;
          rules[i].split_count = f.split_count;
        }
      };
      relate(d.new_rules, before);
      relate(d.gone, now);
    }
    return d;
  }

  /// Every site (by name) with its runs in order, their rule counts and how many rules each added.
  [[nodiscard]] std::vector<site_summary> list(const std::string& only_site = {}) {
    std::vector<site_summary> out;
    statement sites(db_, "SELECT id, name FROM sites WHERE ?1 = '' OR name = ?1 ORDER BY name");
    sites.bind_all(only_site);
    std::vector<std::pair<std::int64_t, std::string>> found;
    while (sites.step()) found.emplace_back(sites.int64(0), sites.text(1));
    if (!only_site.empty() && found.empty()) throw bad_argument("no site '" + only_site + "' in the database" + known_sites());
    for (const auto& [id, name] : found) {
      site_summary s{name, ordered_runs(id), 0};
      const auto added = firsts(id);
      for (const auto& kv : added) s.distinct_rules += kv.second;
      out.push_back(std::move(s));
    }
    return out;
  }

  /// Forgets one run of a site (and the rules no run holds any more); false when there is no such run.
  bool forget_run(const std::string& site, const std::string& run) {
    transaction t(db_);
    const auto site_id = site_of(site);
    const auto rid = site_id ? run_id(*site_id, run) : std::nullopt;
    if (!rid) return false;
    db_.prepare("DELETE FROM runs WHERE id = ?1").bind_all(*rid).run();
    collect_garbage();
    t.commit();
    return true;
  }

  /// Forgets a site with all its runs; false when there is no such site.
  bool forget_site(const std::string& site) {
    transaction t(db_);
    const auto site_id = site_of(site);
    if (!site_id) return false;
    db_.prepare("DELETE FROM sites WHERE id = ?1").bind_all(*site_id).run();
    collect_garbage();
    t.commit();
    return true;
  }

  /// SQLite's own check of the file: "ok", or what is wrong. `quick`: SQLite's quick check, which
  /// reads every page but does not match the indexes against their tables (0.8 s for a database of
  /// 109 MB on this project's machine, 2 s for the whole check).
  [[nodiscard]] std::string integrity_check(bool quick = false) {
    statement s(db_, quick ? "PRAGMA quick_check" : "PRAGMA integrity_check");
    std::string out;
    while (s.step()) out += (out.empty() ? "" : "\n") + s.text(0);
    return out;
  }

  /// Whether the database holds a site named `site`.
  [[nodiscard]] bool has_site(const std::string& site) { return site_of(site).has_value(); }

  /// Whether `site` has a run named `run` (add_run refuses to add it again unless told to replace it).
  [[nodiscard]] bool has_run(const std::string& site, const std::string& run) {
    const auto id = site_of(site);
    return id && run_id(*id, run).has_value();
  }

  [[nodiscard]] connection& db() noexcept { return db_; }

 private:
  /// Every list of a diff most significant first: by score, then by text (made only on a tie).
  template <class TextA, class TextB>
  static bool ranked_before(double score_a, const TextA& text_a, double score_b, const TextB& text_b) {
    return score_a != score_b ? score_a > score_b : text_a() < text_b();
  }

  struct seen {
    std::uint64_t runs_seen = 0;
    std::size_t first = 0, last = 0;  // positions in the run order
  };

  std::optional<std::int64_t> site_of(const std::string& name) {
    statement s(db_, "SELECT id FROM sites WHERE name = ?1");
    s.bind_all(name);
    if (!s.step()) return std::nullopt;
    return s.int64(0);
  }
  std::optional<std::int64_t> run_id(std::int64_t site_id, const std::string& name) {
    statement s(db_, "SELECT id FROM runs WHERE site_id = ?1 AND name = ?2");
    s.bind_all(site_id, name);
    if (!s.step()) return std::nullopt;
    return s.int64(0);
  }
  /// Per run of a site: how many rules it was the first run to report.
  std::map<std::int64_t, std::uint64_t> firsts(std::int64_t site_id) {
    statement s(db_,
                "SELECT run_id, count(*) FROM (SELECT o.run_id, row_number() OVER (PARTITION BY o.rule_id "
                "ORDER BY r.started, r.id) AS k FROM observations o JOIN runs r ON r.id = o.run_id WHERE r.site_id = ?1) "
                "WHERE k = 1 GROUP BY run_id");
    s.bind_all(site_id);
    std::map<std::int64_t, std::uint64_t> out;
    while (s.step()) out[s.int64(0)] = static_cast<std::uint64_t>(s.int64(1));
    return out;
  }
  /// A site's runs in run order, with their rule counts and how many rules each was first to report.
  std::vector<run_summary> ordered_runs(std::int64_t site_id) {
    statement s(db_,
                "SELECT r.id, r.name, r.started, r.ended, r.added_at, r.packets, r.flows, r.windows, r.window_seconds, "
                "(SELECT count(*) FROM observations o WHERE o.run_id = r.id) FROM runs r WHERE r.site_id = ?1 ORDER BY r.started, r.id");
    s.bind_all(site_id);
    std::vector<run_summary> out;
    const auto u = [&](int c) { return static_cast<std::uint64_t>(s.int64(c)); };
    while (s.step())
      out.push_back({s.int64(0), s.text(1), s.real(2), s.real(3), s.real(4), u(5), u(6), u(7), s.real(8), u(9), 0});
    const auto added = firsts(site_id);
    for (auto& r : out) r.new_rules = added.count(r.id) ? added.at(r.id) : 0;
    return out;
  }
  static std::size_t position(const std::vector<run_summary>& runs, std::int64_t id) {
    for (std::size_t i = 0; i < runs.size(); ++i)
      if (runs[i].id == id) return i;
    throw error("run " + std::to_string(id) + " is not among its site's runs");
  }
  /// For every rule of the runs up to position `upto`: in how many of them, first and last.
  std::map<std::int64_t, seen> history(std::int64_t site_id, const std::vector<run_summary>& runs, std::size_t upto) {
    std::map<std::int64_t, std::size_t> pos;
    for (std::size_t i = 0; i <= upto; ++i) pos[runs[i].id] = i;
    statement s(db_,
                "SELECT o.rule_id, o.run_id FROM observations o JOIN runs r ON r.id = o.run_id "
                "WHERE r.site_id = ?1 AND (r.started < ?2 OR (r.started = ?2 AND r.id <= ?3))");
    s.bind_all(site_id, runs[upto].start, runs[upto].id);
    std::map<std::int64_t, seen> out;
    while (s.step()) {
      const auto it = pos.find(s.int64(1));
      if (it == pos.end()) continue;
      auto [h, fresh] = out.try_emplace(s.int64(0), seen{0, it->second, it->second});
      ++h->second.runs_seen;
      h->second.first = std::min(h->second.first, it->second);
      h->second.last = std::max(h->second.last, it->second);
    }
    return out;
  }
  std::vector<std::pair<std::int64_t, observed_rule>> observations(std::int64_t run) {
    statement s(db_,
                "SELECT r.id, r.kind, r.lhs_proto, r.lhs_src, r.lhs_sport, r.lhs_dst, r.lhs_dport, r.rhs_proto, r.rhs_src, "
                "r.rhs_sport, r.rhs_dst, r.rhs_dport, o.flipped, o.score, o.reverse_score, o.support, o.lhs_count, o.rhs_count, "
                "o.samples, o.rule_order, o.lag_windows FROM observations o JOIN rules r ON r.id = o.rule_id WHERE o.run_id = ?1");
    s.bind_all(run);
    std::vector<std::pair<std::int64_t, observed_rule>> out;
    const auto u = [&](int c) { return static_cast<std::uint64_t>(s.int64(c)); };
    while (s.step()) {
      observed_rule o;
      o.key.kind = s.text(1);
      o.key.lhs = {s.text(2), s.text(3), s.text(4), s.text(5), s.text(6)};
      o.key.rhs = {s.text(7), s.text(8), s.text(9), s.text(10), s.text(11)};
      o.key.flipped = s.int64(12) != 0;
      o.score = s.real(13);
      o.reverse_score = s.real(14);
      o.support = u(15);
      o.lhs_count = u(16);
      o.rhs_count = u(17);
      o.samples = u(18);
      o.order = s.text(19);
      o.lag_windows = static_cast<std::uint32_t>(s.int64(20));
      out.emplace_back(s.int64(0), std::move(o));
    }
    return out;
  }
  void collect_garbage() {
    db_.exec("DELETE FROM rules WHERE NOT EXISTS (SELECT 1 FROM observations o WHERE o.rule_id = rules.id)");
  }
  std::string known_sites() {
    statement s(db_, "SELECT name FROM sites ORDER BY name");
    std::string names;
    while (s.step()) names += (names.empty() ? "" : ", ") + s.text(0);
    return names.empty() ? " (it holds no site yet)" : " (sites: " + names + ")";
  }

 public:
  /// " (runs: a, b)", or empty: what a message about a missing run adds.
  static std::string known_runs(const std::vector<run_summary>& runs) {
    std::string names;
    for (const auto& r : runs) names += (names.empty() ? "" : ", ") + r.name;
    return names.empty() ? "" : " (runs: " + names + ")";
  }

 private:
  connection db_;
};

}  // namespace expose::store
