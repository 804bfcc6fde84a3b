// SqliteStateStore: the "checked" times of orders a run found unchanged, many in one
// transaction (issue 15, CPU per order: filing/CheckBatch.h).
#include <Poco/Exception.h>

#include "filing/SqliteStateStore.h"
#include "filing/StateStoreRows.h"

namespace ambita::filing {

dms::Status SqliteStateStore::recordChecks(const std::vector<OrderCheck>& checks) {
  if (checks.empty()) return {};
  return durably([&]() -> dms::Status {
    try {
      rows::TransactionGuard tx(*session_);
      for (const auto& check : checks)
        statements_->prepare("UPDATE orders SET checked_at = ?1 WHERE id = ?2 AND checked_at < ?1")
            .bindAll(check.checkedAt, check.orderId)
            .run();
      tx.commit();
      return {};
    } catch (const Poco::Exception& e) {
      return failure("recording when " + std::to_string(checks.size()) + " order(s) were checked",
                     e.displayText());
    }
  });
}

}  // namespace ambita::filing
