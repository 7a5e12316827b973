#pragma once
// A small RAII wrapper over the SQLite C API (component expose::db): a connection, prepared
// statements with typed binds and columns, and transactions that roll back unless committed.
// Errors throw expose::store::sqlite_error naming the database file and SQLite's message.

#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <climits>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "expose/error.hpp"

namespace expose::store {

/// An SQLite call failed: the message names the database file and what SQLite said.
class sqlite_error : public error {
 public:
  sqlite_error(const std::string& what, int code) : error(what), code_(code) {}
  [[nodiscard]] int code() const noexcept { return code_; }  ///< SQLite's primary result code

 private:
  int code_;
};

class statement;

/// What a file's first bytes say of it as an SQLite database (the file format's header): not one,
/// one, or one cut short (its header counts more pages than the file holds: a copy or a write that
/// stopped midway).
struct file_shape {
  bool sqlite = false;
  std::uint64_t bytes = 0;     ///< the file's size
  std::uint64_t expected = 0;  ///< pages x page size, when the header's page count is valid (else 0)
  [[nodiscard]] bool cut_short() const noexcept { return sqlite && expected > bytes; }
  [[nodiscard]] static file_shape of(const std::string& path) {
    file_shape out;
    std::unique_ptr<std::FILE, int (*)(std::FILE*)> f(std::fopen(path.c_str(), "rb"), &std::fclose);
    if (!f) return out;
    unsigned char h[100] = {};
    const std::size_t got = std::fread(h, 1, sizeof h, f.get());
    if (std::fseek(f.get(), 0, SEEK_END) == 0) out.bytes = static_cast<std::uint64_t>(std::max(0L, std::ftell(f.get())));
    out.sqlite = got >= 16 && std::memcmp(h, "SQLite format 3", 16) == 0;
    if (!out.sqlite || got < 100) return out;
    const auto be32 = [&](int at) { return std::uint32_t{h[at]} << 24 | std::uint32_t{h[at + 1]} << 16 | std::uint32_t{h[at + 2]} << 8 | h[at + 3]; };
    const std::uint32_t page = h[16] == 0 && h[17] == 1 ? 65536u : (std::uint32_t{h[16]} << 8 | h[17]);
    // The page count at byte 28 holds when the change counter (24) equals version-valid-for (92).
    if (be32(24) == be32(92) && page >= 512) out.expected = std::uint64_t{be32(28)} * page;
    return out;
  }
};

/// How a connection opens its file: to write; to read; or to read a file nothing can change (a
/// read-only folder, where SQLite cannot make the shared-memory file a WAL database needs, and
/// which holds no unwritten WAL: SQLite's `immutable`, which takes no lock and reads no WAL).
enum class open_as { write, read, read_unchanging };

/// A path as an SQLite URI (`file:` and the path, `%`, `?` and `#` escaped; an absolute path after
/// an empty authority, `file:///`, so that `//host/x` stays a path).
[[nodiscard]] inline std::string file_uri(std::string_view path) {
  std::string uri = path.starts_with('/') ? "file://" : "file:";
  for (const char c : path) {
    if (c == '%' || c == '?' || c == '#') {
      static constexpr char hex[] = "0123456789ABCDEF";
      uri += '%';
      uri += hex[static_cast<unsigned char>(c) >> 4];
      uri += hex[static_cast<unsigned char>(c) & 15];
    } else {
      uri += c;
    }
  }
  return uri;
}

/// One open database file. Not copyable; one connection per thread.
class connection {
 public:
  /// Opens (creating when `create` and writing) the file, with foreign keys on and `busy` as busy timeout.
  explicit connection(const std::string& path, bool create = true, std::chrono::milliseconds busy = std::chrono::seconds{30},
                      open_as as = open_as::write)
      : path_(path) {
    sqlite3* db = nullptr;
    const int flags = (as == open_as::write ? SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0) : SQLITE_OPEN_READONLY) |
                      (as == open_as::read_unchanging ? SQLITE_OPEN_URI : 0) | SQLITE_OPEN_NOMUTEX;
    const std::string name = as == open_as::read_unchanging ? file_uri(path) + "?immutable=1" : path;
    const int rc = sqlite3_open_v2(name.c_str(), &db, flags, nullptr);
    db_.reset(db);  // closed even when opening failed
    if (rc != SQLITE_OK)
      throw sqlite_error("cannot open database '" + path + "': " + (db ? sqlite3_errmsg(db) : sqlite3_errstr(rc)), rc);
    sqlite3_extended_result_codes(db, 1);
    // SQLite takes milliseconds as an int: a longer wait (over 596 hours) is waited as the longest it takes.
    sqlite3_busy_timeout(db, static_cast<int>(std::clamp<std::chrono::milliseconds::rep>(busy.count(), 0, INT_MAX)));
    exec("PRAGMA foreign_keys = ON");
  }

  /// Runs one or more statements that return no rows.
  void exec(std::string_view sql) {
    char* msg = nullptr;
    const int rc = sqlite3_exec(db_.get(), std::string(sql).c_str(), nullptr, nullptr, &msg);
    if (rc != SQLITE_OK) {
      std::string why = msg ? msg : sqlite3_errstr(rc);
      sqlite3_free(msg);
      fail(why, rc);
    }
  }

  [[nodiscard]] statement prepare(std::string_view sql);

  /// The integer an SQL statement returns in its first row and column (e.g. a PRAGMA).
  [[nodiscard]] std::int64_t scalar(std::string_view sql);

  [[nodiscard]] std::int64_t last_insert_rowid() const { return sqlite3_last_insert_rowid(db_.get()); }
  [[nodiscard]] int changes() const { return sqlite3_changes(db_.get()); }
  [[nodiscard]] const std::string& path() const noexcept { return path_; }
  [[nodiscard]] sqlite3* handle() const noexcept { return db_.get(); }

  [[noreturn]] void fail(const std::string& why, int rc) const {
    const int primary = rc & 0xff;
    std::string hint;
    if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED) hint = " (another process held the database longer than the busy timeout)";
    else if (primary == SQLITE_NOTADB || primary == SQLITE_CORRUPT) {
      const auto shape = file_shape::of(path_);
      hint = !shape.sqlite      ? " (not an SQLite database: not an expose rule database)"
             : shape.cut_short() ? " (the file is cut short: " + std::to_string(shape.bytes) + " of its " + std::to_string(shape.expected) +
                                      " bytes; an earlier copy of the file is the way back)"
                                : " (damaged; an earlier copy of the file is the way back)";
    }
    else if (primary == SQLITE_READONLY || primary == SQLITE_CANTOPEN || primary == SQLITE_PERM) hint = " (check the file's and its folder's permissions)";
    throw sqlite_error("database '" + path_ + "': " + why + hint, primary);
  }

 private:
  struct closer {
    void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
  };
  std::string path_;
  std::unique_ptr<sqlite3, closer> db_;
};

/// A prepared statement: bind parameters (1-based), step through rows, read columns (0-based).
class statement {
 public:
  statement(connection& db, std::string_view sql) : db_(&db) {
    sqlite3_stmt* s = nullptr;
    const int rc = sqlite3_prepare_v2(db.handle(), sql.data(), static_cast<int>(sql.size()), &s, nullptr);
    stmt_.reset(s);
    if (rc != SQLITE_OK)  // a mistake in the SQL says where; a file that is not a database just says so
      db.fail(std::string(sqlite3_errmsg(db.handle())) + ((rc & 0xff) == SQLITE_ERROR ? " in: " + std::string(sql) : ""), rc);
  }

  statement& bind(int i, std::int64_t v) { return check(sqlite3_bind_int64(stmt_.get(), i, v)); }
  statement& bind(int i, std::uint64_t v) { return bind(i, static_cast<std::int64_t>(v)); }
  statement& bind(int i, std::uint32_t v) { return bind(i, static_cast<std::int64_t>(v)); }
  statement& bind(int i, int v) { return bind(i, static_cast<std::int64_t>(v)); }
  statement& bind(int i, bool v) { return bind(i, static_cast<std::int64_t>(v ? 1 : 0)); }
  statement& bind(int i, double v) { return check(sqlite3_bind_double(stmt_.get(), i, v)); }
  statement& bind(int i, std::string_view v) {
    return check(sqlite3_bind_text(stmt_.get(), i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT));
  }
  statement& bind(int i, const std::string& v) { return bind(i, std::string_view(v)); }
  statement& bind(int i, const char* v) { return bind(i, std::string_view(v)); }
  statement& bind_null(int i) { return check(sqlite3_bind_null(stmt_.get(), i)); }

  /// Binds every argument in order, from parameter 1.
  template <class... Args>
  statement& bind_all(const Args&... args) {
    int i = 0;
    (bind(++i, args), ...);
    return *this;
  }

  /// Moves to the next row: true while there is one.
  bool step() {
    const int rc = sqlite3_step(stmt_.get());
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    db_->fail(sqlite3_errmsg(db_->handle()), rc);
  }
  /// Runs a statement that returns no rows, then resets it for reuse.
  void run() {
    while (step()) {
    }
    reset();
  }
  void reset() {
    sqlite3_reset(stmt_.get());
    sqlite3_clear_bindings(stmt_.get());
  }

  [[nodiscard]] std::int64_t int64(int col) const { return sqlite3_column_int64(stmt_.get(), col); }
  [[nodiscard]] double real(int col) const { return sqlite3_column_double(stmt_.get(), col); }
  [[nodiscard]] bool is_null(int col) const { return sqlite3_column_type(stmt_.get(), col) == SQLITE_NULL; }
  [[nodiscard]] std::string text(int col) const {
    const auto* p = sqlite3_column_text(stmt_.get(), col);
    return p ? std::string(reinterpret_cast<const char*>(p), static_cast<std::size_t>(sqlite3_column_bytes(stmt_.get(), col))) : std::string{};
  }

 private:
  statement& check(int rc) {
    if (rc != SQLITE_OK) db_->fail(sqlite3_errmsg(db_->handle()), rc);
    return *this;
  }
  struct finalizer {
    void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
  };
  connection* db_;
  std::unique_ptr<sqlite3_stmt, finalizer> stmt_;
};

inline statement connection::prepare(std::string_view sql) { return statement(*this, sql); }

inline std::int64_t connection::scalar(std::string_view sql) {
  statement s(*this, sql);
  return s.step() ? s.int64(0) : 0;
}

/// A write transaction: BEGIN IMMEDIATE (the write lock is taken at once, waiting up to the busy
/// timeout, so two writers never deadlock), rolled back by the destructor unless committed.
class transaction {
 public:
  explicit transaction(connection& db) : db_(&db) { db.exec("BEGIN IMMEDIATE"); }
  transaction(const transaction&) = delete;
  transaction& operator=(const transaction&) = delete;
  void commit() {
    db_->exec("COMMIT");
    db_ = nullptr;
  }
  ~transaction() {
    if (db_) sqlite3_exec(db_->handle(), "ROLLBACK", nullptr, nullptr, nullptr);
  }

 private:
  connection* db_;
};

}  // namespace expose::store
