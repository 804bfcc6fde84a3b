#pragma once
/// What the SQL state stores (SqliteStateStore, PostgresStateStore) share: the column lists of
/// their tables, the mapping of result rows to the StateStore records, and a transaction guard.
/// Their SQL itself differs by dialect (placeholders, upserts, sequences) and stays in each.

#include <Poco/Data/RecordSet.h>
#include <Poco/Data/Session.h>
#include <Poco/Data/Statement.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

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

// cost ledger (issue 12)
extern const char* const kLedgerLineColumns;
extern const char* const kLedgerEntryColumns;
LedgerLine ledgerLineFromRow(const Poco::Data::RecordSet& rs, std::size_t row);
LedgerEntry ledgerEntryFromRow(const Poco::Data::RecordSet& rs, std::size_t row);

/// `SELECT columns FROM table [WHERE order_id = <placeholder>] ORDER BY orderBy`, each row read
/// by `fromRow`: the ledger's reads, the same in both dialects but for the placeholder ("?" in
/// SQLite, "$1" in PostgreSQL). Throws what Poco throws.
template <class Row>
std::vector<Row> selectOfOrder(Poco::Data::Session& session, const char* columns, const char* table,
                               const char* orderBy, std::optional<std::int64_t> orderId,
                               const char* placeholder,
                               Row (*fromRow)(const Poco::Data::RecordSet&, std::size_t)) {
  Poco::Data::Statement select(session);
  select << "SELECT " << columns << " FROM " << table;
  if (orderId) {
    select << " WHERE order_id = " << placeholder;
    select, Poco::Data::Keywords::bind(*orderId);
  }
  select << " ORDER BY " << orderBy;
  select.execute();
  Poco::Data::RecordSet rs(select);
  std::vector<Row> out;
  for (std::size_t r = 0; r < rs.rowCount(); ++r) out.push_back(fromRow(rs, r));
  return out;
}

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
