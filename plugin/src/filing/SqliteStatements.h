#pragma once
/// Prepared SQLite statements kept for reuse on one connection (issue 15, scale).
///
/// Poco::Data compiles every `session << "..."` anew and moves each value through its binders
/// and Poco::Any / Dynamic::Var: at scale that was a fifth of dms-host's CPU. The statements a
/// filing run repeats per file and per order go through this cache instead, on the handle of
/// the store's own Poco session (Poco::Data::SQLite::Utility::dbHandle), so they share its
/// transactions.
///
/// Threading: a cache belongs to one connection and is used only under that connection's lock
/// (SqliteStateStore's mutex); it has no lock of its own.
///
/// Errors throw what Poco::Data's SQLite connector throws for the same result code
/// (Poco::Data::SQLite::Utility::throwException), so the store's callers see no difference.

#include <cstddef>
#include <cstdint>
#include <list>
#include <string>
#include <string_view>
#include <unordered_map>

struct sqlite3;
struct sqlite3_stmt;

namespace ambita::filing {

class SqliteStatements {
 public:
  /// How many statements one connection keeps: more than the store has distinct statements on
  /// its hot paths, so that none is evicted in a filing run.
  static constexpr std::size_t kDefaultCapacity = 64;

  class Use;

  /// `db` must outlive the cache (finalize before closing it: the destructor does).
  explicit SqliteStatements(sqlite3* db, std::size_t capacity = kDefaultCapacity);
  ~SqliteStatements();
  SqliteStatements(const SqliteStatements&) = delete;
  SqliteStatements& operator=(const SqliteStatements&) = delete;

  /// The statement for `sql`, compiled on first use, ready to bind (no bindings, reset). When
  /// the cache is full the least recently used statement is finalized. If the same SQL is
  /// already in use (a nested use), a statement of its own is compiled for this use and
  /// finalized after it. Throws if SQLite cannot compile `sql`.
  Use prepare(std::string_view sql);

  /// Statements kept now (at most the capacity).
  std::size_t size() const { return entries_.size(); }
  std::size_t capacity() const { return capacity_; }

  /// Finalizes every statement kept (none may be in use).
  void clear();

  // --- inbox merge in one statement (issue 15, branch pushack)
  /// Rows the last finished INSERT, UPDATE or DELETE on the connection changed.
  std::int64_t changes() const;
  /// The rowid of the last row inserted on the connection.
  std::int64_t lastInsertRowid() const;

 private:
  struct Entry {
    std::string sql;
    sqlite3_stmt* statement = nullptr;
    bool inUse = false;
  };
  sqlite3_stmt* compile(std::string_view sql);
  void evictLeastRecentlyUsed();

  sqlite3* db_;
  std::size_t capacity_;
  /// Most recently used first.
  std::list<Entry> entries_;
  std::unordered_map<std::string_view, std::list<Entry>::iterator> bySql_;
};

/// One execution of a statement: bind (1-based, as SQLite numbers parameters), step, read the
/// columns of the current row. At the end of its scope the statement is reset and its bindings
/// cleared, so a read never keeps a transaction open and the next use starts clean, even after
/// an exception.
class SqliteStatements::Use {
 public:
  ~Use();
  Use(Use&& other) noexcept;
  Use& operator=(Use&&) = delete;
  Use(const Use&) = delete;
  Use& operator=(const Use&) = delete;

  Use& bind(int index, std::int64_t value);
  Use& bind(int index, int value) { return bind(index, static_cast<std::int64_t>(value)); }
  /// SQLite copies the text: `value` need not outlive the use.
  Use& bind(int index, std::string_view value);

  /// Binds `values` to parameters 1, 2, ... in order.
  template <class... Values>
  Use& bindAll(const Values&... values) {
    int index = 0;
    (bind(++index, values), ...);
    return *this;
  }

  /// Advances to the next row: true when one is there, false when the statement is done.
  bool step();
  /// Runs a statement that returns no rows (or whose rows are not wanted) to its end.
  void run();

  /// Columns of the current row (0-based); NULL reads as "" / 0.
  std::string text(int column) const;
  std::int64_t integer(int column) const;

 private:
  friend class SqliteStatements;
  Use(sqlite3* db, sqlite3_stmt* statement, SqliteStatements::Entry* entry);
  void check(int rc) const;

  sqlite3* db_;
  sqlite3_stmt* statement_;
  /// The cache's entry, marked in use; null for a statement of this use alone.
  SqliteStatements::Entry* entry_;
};

}  // namespace ambita::filing
