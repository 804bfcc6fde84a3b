// SqliteStateStore: the cost ledger (issue 12).
#include <Poco/Exception.h>

#include "filing/SqliteStateStore.h"
#include "filing/StateStoreRows.h"

namespace ambita::filing {

using namespace Poco::Data::Keywords;

dms::Status SqliteStateStore::recordCosts(const std::vector<LedgerLine>& lines,
                                          const std::vector<LedgerEntry>& entries) {
  OrderChanges changes;
  changes.ledgerLines = lines;
  changes.ledgerEntries = entries;
  return writeChanges(changes, "writing " + std::to_string(entries.size()) + " ledger entries");
}

dms::Result<std::vector<LedgerLine>> SqliteStateStore::ledgerLines(
    std::optional<std::int64_t> orderId) {
  std::lock_guard lock(mutex_);
  try {
    return rows::selectOfOrder(*session_, rows::kLedgerLineColumns, "ledger_lines",
                               "order_id, line_id", orderId, "?", rows::ledgerLineFromRow);
  } catch (const Poco::Exception& e) {
    return failure("reading the ledger lines", e.displayText());
  }
}

dms::Result<std::vector<LedgerEntry>> SqliteStateStore::ledgerEntries(
    std::optional<std::int64_t> orderId) {
  std::lock_guard lock(mutex_);
  try {
    return rows::selectOfOrder(*session_, rows::kLedgerEntryColumns, "ledger_entries", "seq",
                               orderId, "?", rows::ledgerEntryFromRow);
  } catch (const Poco::Exception& e) {
    return failure("reading the ledger entries", e.displayText());
  }
}

}  // namespace ambita::filing
