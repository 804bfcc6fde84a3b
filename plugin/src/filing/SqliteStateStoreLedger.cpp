// SqliteStateStore: the cost ledger (issue 12).
#include <Poco/Exception.h>

#include "filing/SqliteStateStore.h"
#include "filing/StateStoreRows.h"

namespace ambita::filing {

namespace {

/// `SELECT columns FROM table [WHERE order_id = ?] ORDER BY orderBy` through the statement
/// cache (read per order by every reconcile's cost check), each row read by `fromRow`.
template <class FromRow>
auto selectOfOrder(SqliteStatements& statements, const char* columns, const char* table,
                   const char* orderBy, std::optional<std::int64_t> orderId, FromRow fromRow) {
  auto select = statements.prepare(std::string("SELECT ") + columns + " FROM " + table +
                                   (orderId ? " WHERE order_id = ?" : "") + " ORDER BY " + orderBy);
  if (orderId) select.bind(1, *orderId);
  std::vector<decltype(fromRow(select))> out;
  while (select.step()) out.push_back(fromRow(select));
  return out;
}

}  // namespace

dms::Status SqliteStateStore::recordCosts(const std::vector<LedgerLine>& lines,
                                          const std::vector<LedgerEntry>& entries) {
  OrderChanges changes;
  changes.ledgerLines = lines;
  changes.ledgerEntries = entries;
  return writeChanges(changes, "writing " + std::to_string(entries.size()) + " ledger entries");
}

dms::Result<std::vector<LedgerLine>> SqliteStateStore::ledgerLines(std::int64_t orderId) {
  std::lock_guard lock(mutex_);
  try {
    return selectOfOrder(*statements_, rows::kLedgerLineColumns, "ledger_lines",
                         "order_id, line_id", orderId, rows::ledgerLineFrom<SqliteStatements::Use>);
  } catch (const Poco::Exception& e) {
    return failure("reading the ledger lines", e.displayText());
  }
}

dms::Result<std::vector<LedgerEntry>> SqliteStateStore::ledgerEntries(std::int64_t orderId) {
  std::lock_guard lock(mutex_);
  try {
    return selectOfOrder(*statements_, rows::kLedgerEntryColumns, "ledger_entries", "seq", orderId,
                         rows::ledgerEntryFrom<SqliteStatements::Use>);
  } catch (const Poco::Exception& e) {
    return failure("reading the ledger entries", e.displayText());
  }
}

}  // namespace ambita::filing
