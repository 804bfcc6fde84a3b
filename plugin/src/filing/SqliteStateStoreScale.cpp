// SqliteStateStore: queries for many orders at once (issue 15, scale).
#include <Poco/Exception.h>

#include "filing/SqliteStateStore.h"
#include "filing/StatusSql.h"

namespace ambita::filing {

dms::Result<std::vector<AssetRecord>> SqliteStateStore::failedAssetsOfOrders(
    const std::vector<std::int64_t>& orderIds) {
  std::lock_guard lock(mutex_);
  try {
    return statussql::readFailedAssetsOfOrders(*session_, orderIds);
  } catch (const Poco::Exception& e) {
    return failure("listing the failed assets of " + std::to_string(orderIds.size()) + " order(s)",
                   e.displayText());
  }
}

}  // namespace ambita::filing
