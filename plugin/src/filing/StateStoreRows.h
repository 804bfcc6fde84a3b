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

/// One result row of a RecordSet, read as the *From templates below read a row.
struct RecordSetRow {
  const Poco::Data::RecordSet& rs;
  std::size_t row;
  std::string text(std::size_t col) const { return rows::text(rs, col, row); }
  std::int64_t integer(std::size_t col) const { return rows::integer(rs, col, row); }
};

/// Column lists in the order the *From / *FromRow functions read them.
extern const char* const kAssetColumns;
extern const char* const kOrderColumns;
extern const char* const kInboxColumns;
extern const char* const kAuditColumns;

/// The record in one result row of its column list. `row` reads a column by index:
/// `row.text(col)`, `row.integer(col)`, NULL giving "" / 0 (a RecordSetRow, or the SQLite
/// state's own statement, SqliteStatements::Use): one home for each mapping, whatever reads it.
template <class Row>
AssetRecord assetFrom(const Row& row) {
  AssetRecord a;
  a.assetId = row.text(0);
  a.orderId = row.integer(1);
  a.supplierOrderId = row.integer(2);
  a.orderLineId = row.integer(3);
  a.remoteStatus = row.text(4);
  a.category = row.text(5);
  a.state = assetStateFrom(row.text(6));
  a.path = row.text(7);
  a.targetPath = row.text(8);
  a.size = static_cast<std::uint64_t>(row.integer(9));
  a.sha256 = row.text(10);
  a.filedAt = row.text(11);
  a.removedAt = row.text(12);
  a.lastError = row.text(13);
  a.attempts = static_cast<int>(row.integer(14));
  a.notBeforeEpoch = row.integer(15);
  return a;
}

template <class Row>
TrackedOrder orderFrom(const Row& row) {
  TrackedOrder o;
  o.id = row.integer(0);
  o.origin = orderOriginFrom(row.text(1));
  o.reference = row.text(2);
  o.technicalReference = row.text(3);
  o.cadastre = row.text(4);
  o.address = row.text(5);
  o.status = row.text(6);
  o.trackedAt = row.text(7);
  o.checkedAt = row.text(8);
  o.finishedAt = row.text(9);
  return o;
}

AssetRecord assetFromRow(const Poco::Data::RecordSet& rs, std::size_t row);
TrackedOrder orderFromRow(const Poco::Data::RecordSet& rs, std::size_t row);
InboxMessage inboxFromRow(const Poco::Data::RecordSet& rs, std::size_t row);
AuditEntry auditFromRow(const Poco::Data::RecordSet& rs, std::size_t row);

// cost ledger (issue 12)
extern const char* const kLedgerLineColumns;
extern const char* const kLedgerEntryColumns;
template <class Row>
LedgerLine ledgerLineFrom(const Row& row) {
  LedgerLine l;
  l.orderId = row.integer(0);
  l.lineId = row.integer(1);
  l.supplierOrderId = row.integer(2);
  l.product = row.text(3);
  l.productName = row.text(4);
  l.category = row.text(5);
  l.reference = row.text(6);
  l.orderedAt = row.text(7);
  l.status = row.text(8);
  return l;
}

template <class Row>
LedgerEntry ledgerEntryFrom(const Row& row) {
  LedgerEntry e;
  e.seq = row.integer(0);
  e.orderId = row.integer(1);
  e.lineId = row.integer(2);
  e.kind = row.text(3);
  e.netOre = row.integer(4);
  e.grossOre = row.integer(5);
  e.status = row.text(6);
  e.recordedAt = row.text(7);
  return e;
}

LedgerLine ledgerLineFromRow(const Poco::Data::RecordSet& rs, std::size_t row);
LedgerEntry ledgerEntryFromRow(const Poco::Data::RecordSet& rs, std::size_t row);

/// Runs `select` and reads each row of its result with `fromRow` (e.g. assetFromRow): the one
/// RecordSet-to-vector loop of the Poco::Data reads. Throws what Poco throws.
template <class Row>
std::vector<Row> allRows(Poco::Data::Statement& select,
                         Row (*fromRow)(const Poco::Data::RecordSet&, std::size_t)) {
  select.execute();
  Poco::Data::RecordSet rs(select);
  std::vector<Row> out;
  out.reserve(rs.rowCount());
  for (std::size_t r = 0; r < rs.rowCount(); ++r) out.push_back(fromRow(rs, r));
  return out;
}

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
  return allRows(select, fromRow);
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
