#include "filing/StateStoreRows.h"

namespace ambita::filing::rows {

using Poco::Data::RecordSet;

std::string text(const RecordSet& rs, std::size_t col, std::size_t row) {
  auto v = rs.value(col, row);
  return v.isEmpty() ? std::string() : v.convert<std::string>();
}

std::int64_t integer(const RecordSet& rs, std::size_t col, std::size_t row) {
  auto v = rs.value(col, row);
  return v.isEmpty() ? 0 : v.convert<Poco::Int64>();
}

const char* const kAssetColumns =
    "asset_id, order_id, supplier_order_id, order_line_id, remote_status, category, state, path, "
    "target_path, size, sha256, filed_at, removed_at, last_error, attempts, not_before";

AssetRecord assetFromRow(const RecordSet& rs, std::size_t r) {
  return assetFrom(RecordSetRow{rs, r});
}

const char* const kOrderColumns =
    "id, origin, reference, technical_reference, cadastre, address, status, tracked_at, "
    "checked_at, finished_at";

TrackedOrder orderFromRow(const RecordSet& rs, std::size_t r) {
  return orderFrom(RecordSetRow{rs, r});
}

const char* const kInboxColumns =
    "seq, order_id, status, source, received_at, attempts, not_before, first_failure, "
    "last_failure, failing_seconds, last_error";

InboxMessage inboxFromRow(const RecordSet& rs, std::size_t r) {
  InboxMessage m;
  m.seq = integer(rs, 0, r);
  m.orderId = integer(rs, 1, r);
  m.status = text(rs, 2, r);
  m.source = text(rs, 3, r);
  m.receivedAt = text(rs, 4, r);
  m.attempts = static_cast<int>(integer(rs, 5, r));
  m.notBeforeEpoch = integer(rs, 6, r);
  m.firstFailureEpoch = integer(rs, 7, r);
  m.lastFailureEpoch = integer(rs, 8, r);
  m.failingSeconds = integer(rs, 9, r);
  m.lastError = text(rs, 10, r);
  return m;
}

const char* const kAuditColumns =
    "seq, time, order_id, asset_id, action, reason, path, detail, actor";

AuditEntry auditFromRow(const RecordSet& rs, std::size_t r) {
  return AuditEntry{integer(rs, 0, r), text(rs, 1, r), integer(rs, 2, r),
                    text(rs, 3, r),    text(rs, 4, r), text(rs, 5, r),
                    text(rs, 6, r),    text(rs, 7, r), text(rs, 8, r)};
}

TransactionGuard::~TransactionGuard() {
  if (!open_) return;
  try {
    session_.rollback();
  } catch (...) {  // NOLINT: nothing sensible left to do in a destructor
  }
}

void TransactionGuard::commit() {
  session_.commit();
  open_ = false;
}

// --- cost ledger (issue 12)

const char* const kLedgerLineColumns =
    "order_id, line_id, supplier_order_id, product, product_name, category, reference, "
    "ordered_at, status";

LedgerLine ledgerLineFromRow(const RecordSet& rs, std::size_t r) {
  return ledgerLineFrom(RecordSetRow{rs, r});
}

const char* const kLedgerEntryColumns =
    "seq, order_id, line_id, kind, net_ore, gross_ore, status, recorded_at";

LedgerEntry ledgerEntryFromRow(const RecordSet& rs, std::size_t r) {
  return ledgerEntryFrom(RecordSetRow{rs, r});
}

}  // namespace ambita::filing::rows
