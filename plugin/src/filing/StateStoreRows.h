#pragma once
/// What the SQL state stores (SqliteStateStore, PostgresStateStore) share: the column lists of
/// their tables, the mapping of result rows to the StateStore records, and a transaction guard.
/// Their SQL itself differs by dialect (placeholders, upserts, sequences) and stays in each.

#include <Poco/Data/RecordSet.h>
#include <Poco/Data/Session.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "filing/StateStore.h"

namespace ambita::filing::rows {

/// The value at (`col`, `row`) as text / integer; NULL gives "" / 0.
std::string text(const Poco::Data::RecordSet& rs, std::size_t col, std::size_t row);
std::int64_t integer(const Poco::Data::RecordSet& rs, std::size_t col, std::size_t row);

/// Column lists in the order the *FromRow functions read them.
extern const char* const kAssetColumns;
extern const char* const kOrderColumns;
extern const char* const kInboxColumns;
extern const char* const kAuditColumns;

AssetRecord assetFromRow(const Poco::Data::RecordSet& rs, std::size_t row);
TrackedOrder orderFromRow(const Poco::Data::RecordSet& rs, std::size_t row);
InboxMessage inboxFromRow(const Poco::Data::RecordSet& rs, std::size_t row);
AuditEntry auditFromRow(const Poco::Data::RecordSet& rs, std::size_t row);

/// Rolls back unless committed: a transaction never stays open after an exception.
class TransactionGuard {
 public:
  explicit TransactionGuard(Poco::Data::Session& s) : session_(s) { session_.begin(); }
  ~TransactionGuard();
  TransactionGuard(const TransactionGuard&) = delete;
  TransactionGuard& operator=(const TransactionGuard&) = delete;
  void commit();

 private:
  Poco::Data::Session& session_;
  bool open_ = true;
};

}  // namespace ambita::filing::rows
