#pragma once
/// The SQL of the status queries (StateStore::orderPage, failedAssets), written once for both
/// state backends: only the placeholders differ (SQLite `?`, PostgreSQL `$n`). Filtering,
/// counting and paging happen in the database, through the indexes of the schema (orders by
/// tracked_at; assets by order, and by state and order): a page counts the assets of its own
/// orders only; the offset walks the tracked_at index; a search scans ids and references of
/// the orders table (milliseconds for 10k orders, tests/bench/status).

#include <Poco/Data/RecordSet.h>
#include <Poco/Data/Session.h>

#include <string>
#include <vector>

#include "filing/StateMigrations.h"
#include "filing/StateStore.h"

namespace ambita::filing::statussql {

/// A statement and whether its search pattern is to be bound (twice: id and reference, in
/// that order, before anything else).
struct Query {
  std::string sql;
  bool bindsSearch = false;
  /// Whether the cursor (OrderQuery::after: tracked time, then id) is to be bound, after the
  /// search pattern (branch pagerest).
  bool bindsAfter = false;
};

/// SELECT COUNT(*) of the orders matching `query` (paging and cursor ignored).
Query countOrders(const OrderQuery& query, SqlDialect dialect);
/// The page: rows::kOrderColumns, then the filed, removed, failed and pending counts.
/// LIMIT and OFFSET are written as numbers (they are integers, never text from outside).
Query orderPage(const OrderQuery& query, SqlDialect dialect);
/// The LIKE pattern for `search`: lower case, `%`, `_` and `\` escaped, wrapped in `%`.
std::string searchPattern(const std::string& search);

/// A row of orderPage().
OrderSummary summaryFromRow(const Poco::Data::RecordSet& rs, std::size_t row);

/// Failed assets, by order and asset id, at most `limit`.
std::string failedAssets(std::size_t limit);

/// Runs the count and the page of `query` on `session` (the backend holds it, and turns what
/// this throws into its error). `storedPattern`: searchPattern(), as the backend stores text.
OrderPage readOrderPage(Poco::Data::Session& session, const OrderQuery& query, SqlDialect dialect,
                        const std::string& storedPattern);
/// Runs failedAssets(limit) on `session`.
std::vector<AssetRecord> readFailedAssets(Poco::Data::Session& session, std::size_t limit);

/// Failed assets of the orders `orderIds`, by order and asset id (ids written into the SQL as
/// numbers: the same for both dialects).
std::string failedAssetsOfOrders(const std::vector<std::int64_t>& orderIds);
/// Runs failedAssetsOfOrders(orderIds) on `session` (none for an empty list).
std::vector<AssetRecord> readFailedAssetsOfOrders(Poco::Data::Session& session,
                                                  const std::vector<std::int64_t>& orderIds);

}  // namespace ambita::filing::statussql
