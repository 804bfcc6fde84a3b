#include "status/StatusQuery.h"

#include <filesystem>
#include <limits>

#include "filing/AuditLog.h"

namespace ambita::status {

using filing::AssetState;

dms::Result<filing::OrderPage> StatusQuery::orders(const filing::OrderQuery& query) {
  return store_.orderPage(query);
}

dms::Result<std::optional<OrderDetail>> StatusQuery::order(std::int64_t id) {
  auto order = store_.order(id);
  if (!order) return order.error();
  if (!*order) return std::optional<OrderDetail>();
  auto assets = store_.assetsOfOrder(id);
  if (!assets) return assets.error();
  auto audit = store_.audit(id, kAuditOfOrder);
  if (!audit) return audit.error();
  auto ledger = store_.ledgerEntries(id);
  if (!ledger) return ledger.error();
  OrderDetail detail{summarize(std::move(**order), *assets), std::move(*assets), std::move(*audit),
                     filing::orderCost(*ledger)};
  return std::optional<OrderDetail>(std::move(detail));
}

dms::Result<Failures> StatusQuery::failures() {
  Failures out;
  auto failed = store_.failedAssets(kMaxFailures);
  if (!failed) return failed.error();
  for (const auto& a : *failed) out.assets.push_back({a.orderId, a.assetId, name(a), a.lastError});
  auto waiting = waitingOrders();
  if (!waiting) return waiting.error();
  out.waitingOrders = std::move(*waiting);
  return out;
}

dms::Result<std::vector<WaitingOrder>> StatusQuery::waitingOrders() {
  // Every waiting message, postponed or not; only those that failed are failures.
  auto inbox = store_.dueMessages(std::numeric_limits<std::int64_t>::max(), 0, kMaxFailures);
  if (!inbox) return inbox.error();
  std::vector<WaitingOrder> out;
  for (const auto& m : *inbox) {
    if (m.attempts == 0) continue;
    out.push_back({m.orderId, m.source, m.attempts,
                   m.firstFailureEpoch > 0 ? filing::AuditLog::at(m.firstFailureEpoch) : "",
                   filing::AuditLog::at(m.notBeforeEpoch), m.lastError});
  }
  return out;
}

dms::Result<std::vector<filing::AuditEntry>> StatusQuery::audit(std::optional<std::int64_t> orderId,
                                                                std::size_t limit) {
  return store_.audit(orderId, limit);
}

std::string StatusQuery::stateWord(AssetState state) {
  switch (state) {
    case AssetState::Filed:
      return "filed";
    case AssetState::Removed:
      return "removed";
    case AssetState::Failed:
      return "failed";
    case AssetState::Filing:
    case AssetState::Removing:
      return "pending";
  }
  return "pending";
}

std::string StatusQuery::name(const filing::AssetRecord& asset) {
  if (asset.path.empty()) return asset.assetId;
  auto file = std::filesystem::path(asset.path).filename().string();
  return file.empty() ? asset.assetId : file;
}

filing::OrderSummary StatusQuery::summarize(filing::TrackedOrder order,
                                            const std::vector<filing::AssetRecord>& assets) {
  filing::OrderSummary summary;
  summary.order = std::move(order);
  for (const auto& a : assets) {
    summary.filed += a.state == AssetState::Filed;
    summary.removed += a.state == AssetState::Removed;
    summary.failed += a.state == AssetState::Failed;
    summary.pending += a.state == AssetState::Filing || a.state == AssetState::Removing;
  }
  return summary;
}

}  // namespace ambita::status
