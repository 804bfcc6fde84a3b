// The Reconciler's lease on an order, for several processes sharing one state (issue 11): see
// Reconciler.h, "Threading".
#include <chrono>
#include <thread>

#include "filing/Reconciler.h"

namespace ambita::filing {
namespace {

/// How long an administrator's sync waits for an order another process reconciles (one
/// reconcile of a large order); requestStop() ends the wait at once.
constexpr std::chrono::minutes kLeaseWait{15};
/// How often a waiting sync asks again (the database has no wait that stop could end).
constexpr std::chrono::milliseconds kLeaseRetry{100};

}  // namespace

dms::Result<std::unique_ptr<StateStore::Lease>> Reconciler::takeOrderLease(std::int64_t orderId,
                                                                           bool wait) {
  const auto key = LeaseKey::order(orderId);
  const auto deadline = std::chrono::steady_clock::now() + kLeaseWait;
  for (;;) {
    auto lease = store_.tryLease(key);
    if (!lease) return lease.error();
    if (*lease) return std::move(*lease);
    if (!wait)
      return dms::fail(dms::ErrorCode::Locked,
                       key.describe() + " is being reconciled by another process");
    if (stop_) return dms::fail(dms::ErrorCode::Cancelled, key.describe() + ": stopping");
    if (std::chrono::steady_clock::now() >= deadline)
      return dms::fail(dms::ErrorCode::Locked,
                       key.describe() + " was reconciled by another process for over " +
                           std::to_string(kLeaseWait.count()) + " min; try again later");
    std::this_thread::sleep_for(kLeaseRetry);
  }
}

}  // namespace ambita::filing
