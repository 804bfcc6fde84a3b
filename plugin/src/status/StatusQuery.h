#pragma once
/// Status as data: the one query interface over the state that the plugin's commands print
/// from (as text, or as JSON with --json for the host's admin API and a host's own UI).
/// Returns plain structures; no text, no JSON (StatusJson writes those).
///
/// Threading: thread-safe as the StateStore is; holds nothing between calls.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "dms/Error.h"
#include "filing/CostLedger.h"
#include "filing/StateStore.h"

namespace ambita::status {

/// One order as `status ID` shows it.
struct OrderDetail {
  filing::OrderSummary summary;
  std::vector<filing::AssetRecord> assets;  ///< by asset id
  std::vector<filing::AuditEntry> audit;    ///< oldest first, the latest kAuditOfOrder
  std::optional<filing::OrderCost> cost;    ///< from the cost ledger; none when it has no entry
};

/// An asset that failed to be filed or removed.
struct AssetFailure {
  std::int64_t orderId = 0;
  std::string assetId;
  std::string name;
  std::string error;
};

/// An order whose reconcile keeps failing (its inbox message waits for a retry).
struct WaitingOrder {
  std::int64_t orderId = 0;
  std::string source;  ///< push, poll, sync
  int attempts = 0;
  std::string since;  ///< ISO 8601 UTC of the first failure ("" when an older plugin left it)
  std::string nextTry;
  std::string error;
};

struct Failures {
  std::vector<AssetFailure> assets;
  std::vector<WaitingOrder> waitingOrders;
};

class StatusQuery {
 public:
  /// The largest page a listing returns (the contract's --per-page 1..500).
  static constexpr std::size_t kMaxPerPage = 500;
  /// The audit entries `order()` returns: the latest of the order.
  static constexpr std::size_t kAuditOfOrder = 1000;
  /// At most this many failures are listed (one query, bounded).
  static constexpr std::size_t kMaxFailures = 10000;

  explicit StatusQuery(filing::StateStore& store) : store_(store) {}

  /// One page of the tracked orders (see StateStore::orderPage).
  dms::Result<filing::OrderPage> orders(const filing::OrderQuery& query);
  /// The order with its assets, latest audit entries and cost; nullopt when it is not tracked.
  dms::Result<std::optional<OrderDetail>> order(std::int64_t id);
  /// Failed assets, and orders waiting for a retry after a failed reconcile.
  dms::Result<Failures> failures();
  /// Orders waiting for a retry after a failed reconcile (failures() has them too).
  dms::Result<std::vector<WaitingOrder>> waitingOrders();
  /// The audit log, all orders or one; the latest `limit` entries, oldest first.
  dms::Result<std::vector<filing::AuditEntry>> audit(std::optional<std::int64_t> orderId,
                                                     std::size_t limit);

  /// The asset's state in the words of the status data: filed, removed, failed, or pending
  /// (an intent not resolved yet).
  static std::string stateWord(filing::AssetState state);
  /// The asset's name: the file name it was (or is being) filed under, else its id.
  static std::string name(const filing::AssetRecord& asset);
  /// The counts of an order's assets in each state.
  static filing::OrderSummary summarize(filing::TrackedOrder order,
                                        const std::vector<filing::AssetRecord>& assets);

 private:
  filing::StateStore& store_;
};

}  // namespace ambita::status
