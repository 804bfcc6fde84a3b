// SqliteStateStore: the cost ledger (issue 12).
#include <Poco/Exception.h>

#include "filing/SqliteStateStore.h"
#include "filing/StateStoreRows.h"

namespace ambita::filing {

using namespace Poco::Data::Keywords;

dms::Status SqliteStateStore::recordCosts(const std::vector<LedgerLine>& lines,
                                          const std::vector<LedgerEntry>& entries) {
  if (lines.empty() && entries.empty()) return {};
  std::lock_guard lock(mutex_);
  try {
    rows::TransactionGuard tx(*session_);
    for (const auto& l : lines) {
      *session_ << "INSERT OR REPLACE INTO ledger_lines(" << rows::kLedgerLineColumns
                << ") VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?)",
          bind(l.orderId), bind(l.lineId), bind(l.supplierOrderId), bind(l.product),
          bind(l.productName), bind(l.category), bind(l.reference), bind(l.orderedAt),
          bind(l.status), now;
    }
    for (const auto& e : entries) {
      *session_ << "INSERT INTO ledger_entries(order_id, line_id, kind, net_ore, gross_ore, "
                   "status, recorded_at) VALUES(?, ?, ?, ?, ?, ?, ?)",
          bind(e.orderId), bind(e.lineId), bind(e.kind), bind(e.netOre), bind(e.grossOre),
          bind(e.status), bind(e.recordedAt), now;
    }
    tx.commit();
    return {};
  } catch (const Poco::Exception& e) {
    return failure("writing " + std::to_string(entries.size()) + " ledger entries",
                   e.displayText());
  }
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
