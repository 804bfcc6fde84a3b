// SqliteStateStore: the paged whole-table reads (issue 15, branches pglazy and pagerest):
// PagedReadsSql.h.
#include <Poco/Exception.h>

#include "filing/PagedReadsSql.h"
#include "filing/SqliteStateStore.h"

namespace ambita::filing {

dms::Result<std::vector<OrderFinish>> SqliteStateStore::orderFinishTimesAfter(
    std::int64_t afterOrderId, std::size_t limit) {
  std::lock_guard lock(mutex_);
  try {
    return pagedsql::readOrderFinishTimesAfter(*session_, SqlDialect::Sqlite, afterOrderId, limit);
  } catch (const Poco::Exception& e) {
    return failure("listing the orders' finished times", e.displayText());
  }
}

dms::Result<LedgerPage> SqliteStateStore::ledgerOfOrdersAfter(std::int64_t afterOrderId,
                                                              std::size_t orderLimit) {
  std::lock_guard lock(mutex_);
  try {
    return pagedsql::readLedgerOfOrdersAfter(*session_, SqlDialect::Sqlite, afterOrderId,
                                             orderLimit);
  } catch (const Poco::Exception& e) {
    return failure("reading the ledger", e.displayText());
  }
}

// --- the last whole-table reads paged (issue 15, branch pagerest)

dms::Result<std::vector<std::int64_t>> SqliteStateStore::ordersWithIntentsAfter(
    std::int64_t afterOrderId, std::size_t limit) {
  std::lock_guard lock(mutex_);
  try {
    return pagedsql::readOrdersWithIntentsAfter(*session_, SqlDialect::Sqlite, afterOrderId, limit);
  } catch (const Poco::Exception& e) {
    return failure("listing the orders with unfinished intents", e.displayText());
  }
}

}  // namespace ambita::filing
