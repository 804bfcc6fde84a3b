// SqliteStateStore: one state transaction per order (issue 15). The SQL of every write a
// reconcile makes lives here once; trackOrder, commit, recordCosts and updateOrderStatus are
// commitOrder with one part.
#include <Poco/Exception.h>

#include "filing/SqliteStateStore.h"
#include "filing/StateStoreRows.h"

namespace ambita::filing {

using namespace Poco::Data::Keywords;

dms::Status SqliteStateStore::commitOrder(const OrderChanges& changes) {
  return writeChanges(changes, changes.describe());
}

dms::Status SqliteStateStore::writeChanges(const OrderChanges& changes, const std::string& what) {
  if (changes.empty()) return {};
  std::lock_guard lock(mutex_);
  try {
    rows::TransactionGuard tx(*session_);
    if (changes.track) trackIn(*changes.track);
    commitAssetsIn(changes.assets, changes.audit);
    recordCostsIn(changes.ledgerLines, changes.ledgerEntries);
    if (changes.status) updateOrderStatusIn(*changes.status);
    if (changes.answered) completeMessagesIn(*changes.answered);
    tx.commit();
    return {};
  } catch (const Poco::Exception& e) {
    return failure(what, e.displayText());
  }
}

bool SqliteStateStore::trackIn(const TrackedOrder& o) {
  int count = 0;
  *session_ << "SELECT COUNT(*) FROM orders WHERE id = ?", bind(o.id), into(count), now;
  if (count == 0) {
    *session_
        << "INSERT INTO orders(id, origin, reference, technical_reference, cadastre, address, "
           "status, tracked_at) VALUES(?, ?, ?, ?, ?, ?, ?, ?)",
        bind(o.id), bind(toString(o.origin)), bind(o.reference), bind(o.technicalReference),
        bind(o.cadastre), bind(o.address), bind(o.status), bind(o.trackedAt), now;
  } else {
    // Only fill gaps: the first known reference decides the folder, later hints do not move it.
    // A row with no gap to fill is not rewritten: every reconcile tracks its order, and an
    // unchanged row would still cost a WAL write and a sync (issue 15).
    *session_ << "UPDATE orders SET "
                 "reference = CASE WHEN reference = '' THEN ?1 ELSE reference END, "
                 "technical_reference = CASE WHEN technical_reference = '' THEN ?2 ELSE "
                 "technical_reference END, "
                 "cadastre = CASE WHEN cadastre = '' THEN ?3 ELSE cadastre END, "
                 "address = CASE WHEN address = '' THEN ?4 ELSE address END WHERE id = ?5 "
                 "AND ((reference = '' AND ?1 <> '') OR (technical_reference = '' AND ?2 <> '') "
                 "OR (cadastre = '' AND ?3 <> '') OR (address = '' AND ?4 <> ''))",
        bind(o.reference), bind(o.technicalReference), bind(o.cadastre), bind(o.address),
        bind(o.id), now;
  }
  return count == 0;
}

void SqliteStateStore::commitAssetsIn(const std::vector<AssetRecord>& assets,
                                      const std::vector<AuditEntry>& audit) {
  for (const auto& a : assets) {
    *session_ << "INSERT OR REPLACE INTO assets(" << rows::kAssetColumns
              << ") VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        bind(a.assetId), bind(a.orderId), bind(a.supplierOrderId), bind(a.orderLineId),
        bind(a.remoteStatus), bind(a.category), bind(toString(a.state)), bind(a.path),
        bind(a.targetPath), bind(static_cast<Poco::Int64>(a.size)), bind(a.sha256), bind(a.filedAt),
        bind(a.removedAt), bind(a.lastError), bind(a.attempts), bind(a.notBeforeEpoch), now;
  }
  for (const auto& e : audit) {
    *session_ << "INSERT INTO audit(time, order_id, asset_id, action, reason, path, detail, actor) "
                 "VALUES(?, ?, ?, ?, ?, ?, ?, ?)",
        bind(e.time), bind(e.orderId), bind(e.assetId), bind(e.action), bind(e.reason),
        bind(e.path), bind(e.detail), bind(e.actor), now;
  }
  // Document events (issue 10): in this transaction, so a crash cannot lose one.
  for (const auto& ev : outboxEventsFor(assets, audit)) {
    *session_ << "INSERT INTO events(event_id, order_id, asset_id, kind, path, previous_path, "
                 "metadata, detail, time) VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?)",
        bind(ev.eventId), bind(ev.orderId), bind(ev.assetId), bind(ev.kind), bind(ev.path),
        bind(ev.previousPath), bind(ev.metadataJson), bind(ev.detail), bind(ev.time), now;
  }
}

void SqliteStateStore::recordCostsIn(const std::vector<LedgerLine>& lines,
                                     const std::vector<LedgerEntry>& entries) {
  for (const auto& l : lines) {
    *session_ << "INSERT OR REPLACE INTO ledger_lines(" << rows::kLedgerLineColumns
              << ") VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?)",
        bind(l.orderId), bind(l.lineId), bind(l.supplierOrderId), bind(l.product),
        bind(l.productName), bind(l.category), bind(l.reference), bind(l.orderedAt), bind(l.status),
        now;
  }
  for (const auto& e : entries) {
    *session_ << "INSERT INTO ledger_entries(order_id, line_id, kind, net_ore, gross_ore, "
                 "status, recorded_at) VALUES(?, ?, ?, ?, ?, ?, ?)",
        bind(e.orderId), bind(e.lineId), bind(e.kind), bind(e.netOre), bind(e.grossOre),
        bind(e.status), bind(e.recordedAt), now;
  }
}

void SqliteStateStore::updateOrderStatusIn(const OrderStatusSeen& seen) {
  *session_ << "UPDATE orders SET status = ?, checked_at = ?, finished_at = CASE WHEN ? AND "
               "finished_at = '' THEN ? WHEN ? THEN finished_at ELSE '' END WHERE id = ?",
      bind(seen.status), bind(seen.checkedAt), bind(seen.final ? 1 : 0), bind(seen.checkedAt),
      bind(seen.final ? 1 : 0), bind(seen.orderId), now;
}

// --- inbox clearing folded into the order's commit (issue 15, branch push)

void SqliteStateStore::completeMessagesIn(const AnsweredMessages& answered) {
  *session_ << "DELETE FROM inbox WHERE order_id = ? AND seq <= ?", bind(answered.orderId),
      bind(answered.upToSeq), now;
}

}  // namespace ambita::filing
