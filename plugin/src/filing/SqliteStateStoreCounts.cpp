// SqliteStateStore: aggregates and per-path lookups instead of whole-table loads (issue 15,
// branch scalerest), through the kept statements.
#include <Poco/Exception.h>

#include "filing/SqlitePathLookups.h"
#include "filing/SqliteStateStore.h"
#include "filing/StateStoreRows.h"

namespace ambita::filing {

dms::Result<std::vector<OrderStatusCount>> SqliteStateStore::orderCountsByStatus() {
  std::lock_guard lock(mutex_);
  try {
    auto select =
        statements_->prepare("SELECT status, COUNT(*) FROM orders GROUP BY status ORDER BY status");
    std::vector<OrderStatusCount> out;
    while (select.step())
      out.push_back({select.text(0), static_cast<std::size_t>(select.integer(1))});
    return out;
  } catch (const Poco::Exception& e) {
    return failure("counting orders by status", e.displayText());
  }
}

dms::Result<bool> SqliteStateStore::placesFileAt(const std::string& path) {
  std::lock_guard lock(mutex_);
  try {
    auto select = statements_->prepare(kPlacesFileAtSql);
    select.bind(1, std::string_view(path));
    return select.step();
  } catch (const Poco::Exception& e) {
    return failure("looking up path " + path, e.displayText());
  }
}

dms::Result<std::vector<AssetRecord>> SqliteStateStore::filedAssetsAfter(
    std::int64_t afterOrderId, const std::string& afterAssetId, std::size_t limit) {
  std::lock_guard lock(mutex_);
  try {
    auto select = statements_->prepare(
        std::string("SELECT ") + rows::kAssetColumns +
        " FROM assets WHERE state = 'filed' AND (order_id > ?1 OR (order_id = ?1 AND asset_id > "
        "?2)) ORDER BY order_id, asset_id LIMIT ?3");
    // A limit beyond the signed range turns negative, which SQLite reads as "no limit".
    select.bindAll(afterOrderId, std::string_view(afterAssetId), static_cast<std::int64_t>(limit));
    std::vector<AssetRecord> out;
    while (select.step()) out.push_back(rows::assetFrom(select));
    return out;
  } catch (const Poco::Exception& e) {
    return failure("reading filed assets", e.displayText());
  }
}

}  // namespace ambita::filing
