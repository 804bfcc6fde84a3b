// SqliteStateStore: one state transaction per order (issue 15). The SQL of every write a
// reconcile makes lives here once; trackOrder, commit, recordCosts and updateOrderStatus are
// commitOrder with one part. Every statement here runs per order or per row of a filing run:
// each is compiled once per connection (statements_) and executed once per row.
#include <Poco/Exception.h>

#include "filing/SqliteStateStore.h"
#include "filing/StateStoreRows.h"

namespace ambita::filing {

dms::Status SqliteStateStore::commitOrder(const OrderChanges& changes) {
  return writeChanges(changes, changes.describe());
}

dms::Status SqliteStateStore::writeChanges(const OrderChanges& changes, const std::string& what) {
  if (changes.empty()) return {};
  return durably([&]() -> dms::Status {
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
  });
}

bool SqliteStateStore::trackIn(const TrackedOrder& o) {
  const bool isNew = [&] {
    auto exists = statements_->prepare("SELECT COUNT(*) FROM orders WHERE id = ?");
    exists.bind(1, o.id);
    return !exists.step() || exists.integer(0) == 0;
  }();  // the read is reset before the write
  if (isNew) {
    statements_
        ->prepare(
            "INSERT INTO orders(id, origin, reference, technical_reference, cadastre, address, "
            "status, tracked_at) VALUES(?, ?, ?, ?, ?, ?, ?, ?)")
        .bindAll(o.id, toString(o.origin), o.reference, o.technicalReference, o.cadastre, o.address,
                 o.status, o.trackedAt)
        .run();
  } else {
    // Only fill gaps: the first known reference decides the folder, later hints do not move it.
    // A row with no gap to fill is not rewritten: every reconcile tracks its order, and an
    // unchanged row would still cost a WAL write and a sync (issue 15).
    statements_
        ->prepare(
            "UPDATE orders SET "
            "reference = CASE WHEN reference = '' THEN ?1 ELSE reference END, "
            "technical_reference = CASE WHEN technical_reference = '' THEN ?2 ELSE "
            "technical_reference END, "
            "cadastre = CASE WHEN cadastre = '' THEN ?3 ELSE cadastre END, "
            "address = CASE WHEN address = '' THEN ?4 ELSE address END WHERE id = ?5 "
            "AND ((reference = '' AND ?1 <> '') OR (technical_reference = '' AND ?2 <> '') "
            "OR (cadastre = '' AND ?3 <> '') OR (address = '' AND ?4 <> ''))")
        .bindAll(o.reference, o.technicalReference, o.cadastre, o.address, o.id)
        .run();
  }
  return isNew;
}

void SqliteStateStore::commitAssetsIn(const std::vector<AssetRecord>& assets,
                                      const std::vector<AuditEntry>& audit) {
  static const std::string insertAsset = std::string("INSERT OR REPLACE INTO assets(") +
                                         rows::kAssetColumns +
                                         ") VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
  for (const auto& a : assets) {
    if (updateAssetInPlace(a)) continue;
    statements_->prepare(insertAsset)
        .bindAll(a.assetId, a.orderId, a.supplierOrderId, a.orderLineId, a.remoteStatus, a.category,
                 toString(a.state), a.path, a.targetPath, static_cast<std::int64_t>(a.size),
                 a.sha256, a.filedAt, a.removedAt, a.lastError, a.attempts, a.notBeforeEpoch)
        .run();
  }
  for (const auto& e : audit) {
    statements_
        ->prepare(
            "INSERT INTO audit(time, order_id, asset_id, action, reason, path, detail, actor) "
            "VALUES(?, ?, ?, ?, ?, ?, ?, ?)")
        .bindAll(e.time, e.orderId, e.assetId, e.action, e.reason, e.path, e.detail, e.actor)
        .run();
  }
  // Document events (issue 10): in this transaction, so a crash cannot lose one.
  for (const auto& ev : outboxEventsFor(assets, audit)) {
    statements_
        ->prepare(
            "INSERT INTO events(event_id, order_id, asset_id, kind, path, previous_path, "
            "metadata, detail, time) VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?)")
        .bindAll(ev.eventId, ev.orderId, ev.assetId, ev.kind, ev.path, ev.previousPath,
                 ev.metadataJson, ev.detail, ev.time)
        .run();
  }
}

void SqliteStateStore::recordCostsIn(const std::vector<LedgerLine>& lines,
                                     const std::vector<LedgerEntry>& entries) {
  static const std::string insertLine = std::string("INSERT OR REPLACE INTO ledger_lines(") +
                                        rows::kLedgerLineColumns +
                                        ") VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?)";
  for (const auto& l : lines) {
    statements_->prepare(insertLine)
        .bindAll(l.orderId, l.lineId, l.supplierOrderId, l.product, l.productName, l.category,
                 l.reference, l.orderedAt, l.status)
        .run();
  }
  for (const auto& e : entries) {
    statements_
        ->prepare(
            "INSERT INTO ledger_entries(order_id, line_id, kind, net_ore, gross_ore, "
            "status, recorded_at) VALUES(?, ?, ?, ?, ?, ?, ?)")
        .bindAll(e.orderId, e.lineId, e.kind, e.netOre, e.grossOre, e.status, e.recordedAt)
        .run();
  }
}

void SqliteStateStore::updateOrderStatusIn(const OrderStatusSeen& seen) {
  statements_
      ->prepare(
          "UPDATE orders SET status = ?, checked_at = ?, finished_at = CASE WHEN ? AND "
          "finished_at = '' THEN ? WHEN ? THEN finished_at ELSE '' END WHERE id = ?")
      .bindAll(seen.status, seen.checkedAt, seen.final ? 1 : 0, seen.checkedAt, seen.final ? 1 : 0,
               seen.orderId)
      .run();
}

// --- inbox clearing folded into the order's commit (issue 15, branch push)

void SqliteStateStore::completeMessagesIn(const AnsweredMessages& answered) {
  statements_->prepare("DELETE FROM inbox WHERE order_id = ? AND seq <= ?")
      .bindAll(answered.orderId, answered.upToSeq)
      .run();
}

// --- first-sync CPU per file: the state writes (issue 15, branch commitcpu)

bool SqliteStateStore::updateAssetInPlace(const AssetRecord& a) {
  // Only a row whose indexed keys other than the state stay as they are (the order, the path and
  // the target path: a filing's outcome after its intent, a retry's intent after a failure) is
  // updated here. SQLite then rewrites the row and only the state's index entries; INSERT OR
  // REPLACE deletes the row and every index entry and inserts them all again. A row with another
  // key, or none, is left to the caller's INSERT OR REPLACE.
  statements_
      ->prepare(
          "UPDATE assets SET supplier_order_id = ?3, order_line_id = ?4, remote_status = ?5, "
          "category = ?6, state = ?7, size = ?10, sha256 = ?11, filed_at = ?12, "
          "removed_at = ?13, last_error = ?14, attempts = ?15, not_before = ?16 "
          "WHERE asset_id = ?1 AND order_id = ?2 AND path = ?8 AND target_path = ?9")
      .bindAll(a.assetId, a.orderId, a.supplierOrderId, a.orderLineId, a.remoteStatus, a.category,
               toString(a.state), a.path, a.targetPath, static_cast<std::int64_t>(a.size), a.sha256,
               a.filedAt, a.removedAt, a.lastError, a.attempts, a.notBeforeEpoch)
      .run();
  return statements_->changes() == 1;
}

}  // namespace ambita::filing
