#include "filing/SqliteStatements.h"

#include <Poco/Data/SQLite/SQLiteException.h>
#include <Poco/Data/SQLite/Utility.h>
#include <sqlite3.h>

#include <utility>

namespace ambita::filing {
namespace {

[[noreturn]] void throwFor(sqlite3* db, int rc, const std::string& context) {
  // The extended code's primary part picks Poco's exception class, as Poco::Data does.
  Poco::Data::SQLite::Utility::throwException(db, rc & 0xff, context);
  // throwException returns only for codes that are no error, which are never passed here.
  throw Poco::Data::SQLite::SQLiteException("SQLite result " + std::to_string(rc) + context);
}

}  // namespace

SqliteStatements::SqliteStatements(sqlite3* db, std::size_t capacity)
    : db_(db), capacity_(capacity == 0 ? 1 : capacity) {}

SqliteStatements::~SqliteStatements() {
  clear();
}

void SqliteStatements::clear() {
  bySql_.clear();
  for (auto& entry : entries_) sqlite3_finalize(entry.statement);
  entries_.clear();
}

sqlite3_stmt* SqliteStatements::compile(std::string_view sql) {
  sqlite3_stmt* statement = nullptr;
  const int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                                    SQLITE_PREPARE_PERSISTENT, &statement, nullptr);
  if (rc != SQLITE_OK) {
    sqlite3_finalize(statement);
    throwFor(db_, rc, std::string(" (SQL: ") + std::string(sql) + ")");
  }
  return statement;
}

void SqliteStatements::evictLeastRecentlyUsed() {
  for (auto it = entries_.end(); it != entries_.begin();) {
    --it;
    if (it->inUse) continue;
    bySql_.erase(it->sql);
    sqlite3_finalize(it->statement);
    entries_.erase(it);
    return;
  }
}

SqliteStatements::Use SqliteStatements::prepare(std::string_view sql) {
  if (auto found = bySql_.find(sql); found != bySql_.end()) {
    auto entry = found->second;
    if (entry->inUse) return Use(db_, compile(sql), nullptr);
    entries_.splice(entries_.begin(), entries_, entry);
    entry->inUse = true;
    return Use(db_, entry->statement, &*entry);
  }
  sqlite3_stmt* statement = compile(sql);
  if (entries_.size() >= capacity_) evictLeastRecentlyUsed();
  if (entries_.size() >= capacity_) return Use(db_, statement, nullptr);  // every one in use
  entries_.push_front(Entry{std::string(sql), statement, true});
  auto entry = entries_.begin();
  bySql_.emplace(entry->sql, entry);
  return Use(db_, statement, &*entry);
}

// --- Use

SqliteStatements::Use::Use(sqlite3* db, sqlite3_stmt* statement, SqliteStatements::Entry* entry)
    : db_(db), statement_(statement), entry_(entry) {}

SqliteStatements::Use::Use(Use&& other) noexcept
    : db_(other.db_),
      statement_(std::exchange(other.statement_, nullptr)),
      entry_(std::exchange(other.entry_, nullptr)) {}

SqliteStatements::Use::~Use() {
  if (statement_ == nullptr) return;
  if (entry_ == nullptr) {
    sqlite3_finalize(statement_);
    return;
  }
  // reset() repeats the last step's error, which the step already reported: ignored here.
  sqlite3_reset(statement_);
  sqlite3_clear_bindings(statement_);
  entry_->inUse = false;
}

void SqliteStatements::Use::check(int rc) const {
  if (rc != SQLITE_OK) throwFor(db_, rc, std::string(" (SQL: ") + sqlite3_sql(statement_) + ")");
}

SqliteStatements::Use& SqliteStatements::Use::bind(int index, std::int64_t value) {
  check(sqlite3_bind_int64(statement_, index, value));
  return *this;
}

SqliteStatements::Use& SqliteStatements::Use::bind(int index, std::string_view value) {
  check(sqlite3_bind_text64(statement_, index, value.data(), value.size(), SQLITE_TRANSIENT,
                            SQLITE_UTF8));
  return *this;
}

bool SqliteStatements::Use::step() {
  const int rc = sqlite3_step(statement_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  check(rc);
  return false;
}

void SqliteStatements::Use::run() {
  while (step()) {
  }
}

std::string SqliteStatements::Use::text(int column) const {
  const auto* bytes = sqlite3_column_text(statement_, column);
  if (bytes == nullptr) return {};
  return std::string(reinterpret_cast<const char*>(bytes),
                     static_cast<std::size_t>(sqlite3_column_bytes(statement_, column)));
}

std::int64_t SqliteStatements::Use::integer(int column) const {
  return sqlite3_column_int64(statement_, column);
}

// --- inbox merge in one statement (issue 15, branch pushack)

std::int64_t SqliteStatements::changes() const {
  return sqlite3_changes64(db_);
}

std::int64_t SqliteStatements::lastInsertRowid() const {
  return sqlite3_last_insert_rowid(db_);
}

}  // namespace ambita::filing
