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
  AssetRecord a;
  a.assetId = text(rs, 0, r);
  a.orderId = integer(rs, 1, r);
  a.supplierOrderId = integer(rs, 2, r);
  a.orderLineId = integer(rs, 3, r);
  a.remoteStatus = text(rs, 4, r);
  a.category = text(rs, 5, r);
  a.state = assetStateFrom(text(rs, 6, r));
  a.path = text(rs, 7, r);
  a.targetPath = text(rs, 8, r);
  a.size = static_cast<std::uint64_t>(integer(rs, 9, r));
  a.sha256 = text(rs, 10, r);
  a.filedAt = text(rs, 11, r);
  a.removedAt = text(rs, 12, r);
  a.lastError = text(rs, 13, r);
  a.attempts = static_cast<int>(integer(rs, 14, r));
  a.notBeforeEpoch = integer(rs, 15, r);
  return a;
}

const char* const kOrderColumns =
    "id, origin, reference, technical_reference, cadastre, address, status, tracked_at, "
    "checked_at, finished_at";

TrackedOrder orderFromRow(const RecordSet& rs, std::size_t r) {
  TrackedOrder o;
  o.id = integer(rs, 0, r);
  o.origin = orderOriginFrom(text(rs, 1, r));
  o.reference = text(rs, 2, r);
  o.technicalReference = text(rs, 3, r);
  o.cadastre = text(rs, 4, r);
  o.address = text(rs, 5, r);
  o.status = text(rs, 6, r);
  o.trackedAt = text(rs, 7, r);
  o.checkedAt = text(rs, 8, r);
  o.finishedAt = text(rs, 9, r);
  return o;
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

}  // namespace ambita::filing::rows
