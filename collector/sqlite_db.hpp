// Thin RAII wrappers over the SQLite C API: a connection and a prepared
// statement. Errors at open/prepare throw (start-up); step errors return codes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

struct sqlite3;
struct sqlite3_stmt;

namespace p2pmon::collector {

class Statement {
 public:
  Statement(sqlite3* db, std::string_view sql);
  ~Statement();
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  Statement(Statement&& o) noexcept;

  Statement& bind(int index, std::int64_t v);
  Statement& bind(int index, int v) { return bind(index, static_cast<std::int64_t>(v)); }
  Statement& bind(int index, double v);
  Statement& bind(int index, std::string_view v);  // copied by SQLite (SQLITE_TRANSIENT)
  // Not copied (SQLITE_STATIC): `v` must stay valid until reset() or the
  // next bind of `index`. For the ingest hot path, where it saves a malloc
  // and a copy per text column.
  Statement& bindRef(int index, std::string_view v);
  Statement& bindNull(int index);

  // Returns true while there is a row; throws std::runtime_error on error.
  bool step();
  void reset();  // reset and clear bindings, ready for the next use

  std::int64_t int64(int col) const;
  double real(int col) const;
  std::string text(int col) const;
  std::string_view textView(int col) const;  // valid until the next step() or reset()
  bool isNull(int col) const;

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
};

class Database {
 public:
  // Opens (creating) `path`; `readOnly` connections never take the write lock.
  Database(const std::string& path, bool readOnly);
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  void exec(std::string_view sql);  // throws std::runtime_error with the SQLite message
  Statement prepare(std::string_view sql) { return Statement(db_, sql); }
  std::int64_t lastInsertId() const;
  int changes() const;
  sqlite3* raw() { return db_; }

 private:
  sqlite3* db_ = nullptr;
};

// Rolls back unless commit() was called.
class Transaction {
 public:
  explicit Transaction(Database& db);
  ~Transaction();
  void commit();

 private:
  Database& db_;
  bool done_ = false;
};

}  // namespace p2pmon::collector
