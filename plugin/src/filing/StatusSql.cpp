#include "filing/StatusSql.h"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <limits>

#include <Poco/Data/Statement.h>

#include "filing/StateStoreRows.h"

namespace ambita::filing::statussql {
namespace {

/// The WHERE clause (with its leading space) for the query's filters, and with `keyset` for its
/// cursor (query.after) too.
Query whereClause(const OrderQuery& query, SqlDialect dialect, bool keyset) {
  Query where;
  std::string conditions;
  auto add = [&](const std::string& condition) {
    conditions += conditions.empty() ? " WHERE " : " AND ";
    conditions += condition;
  };
  if (!query.search.empty()) {
    const bool sqlite = dialect == SqlDialect::Sqlite;
    add(std::string("(CAST(o.id AS TEXT) LIKE ") + (sqlite ? "?" : "$1") +
        " ESCAPE '\\' OR LOWER(o.reference) LIKE " + (sqlite ? "?" : "$2") + " ESCAPE '\\')");
    where.bindsSearch = true;
  }
  switch (query.state) {
    case OrderStateFilter::Any:
      break;
    case OrderStateFilter::Active:
      add("o.finished_at = ''");
      break;
    case OrderStateFilter::Finished:
      add("o.finished_at <> ''");
      break;
    case OrderStateFilter::Failing:
      // The failed assets are few: read once (index assets_by_state), not looked up per order.
      add("o.id IN (SELECT order_id FROM assets WHERE state = 'failed')");
      break;
  }
  if (keyset && query.after) {
    // A row value: both databases seek it in orders_by_tracked (tracked_at, id).
    const int first = where.bindsSearch ? 3 : 1;
    add(dialect == SqlDialect::Sqlite ? std::string("(o.tracked_at, o.id) < (?, ?)")
                                      : "(o.tracked_at, o.id) < ($" + std::to_string(first) +
                                            ", $" + std::to_string(first + 1) + ")");
    where.bindsAfter = true;
  }
  where.sql = conditions;
  return where;
}

/// A count as SQL text: at most the largest signed 64-bit number, which both databases take.
std::string sqlCount(std::size_t n) {
  constexpr auto kMax = static_cast<std::size_t>(std::numeric_limits<std::int64_t>::max());
  return std::to_string(std::min(n, kMax));
}

std::string countOf(const std::string& states) {
  return "(SELECT COUNT(*) FROM assets a WHERE a.order_id = o.id AND a.state IN (" + states + "))";
}

}  // namespace

Query countOrders(const OrderQuery& query, SqlDialect dialect) {
  auto where = whereClause(query, dialect, false);
  where.sql = "SELECT COUNT(*) FROM orders o" + where.sql;
  return where;
}

Query orderPage(const OrderQuery& query, SqlDialect dialect) {
  auto where = whereClause(query, dialect, true);
  // The page is chosen first (index orders_by_tracked), then only its orders are counted
  // (index assets_by_state_order).
  where.sql = std::string("SELECT ") + rows::kOrderColumns + ", " + countOf("'filed'") + ", " +
              countOf("'removed'") + ", " + countOf("'failed'") + ", " +
              countOf("'filing', 'removing'") + " FROM (SELECT * FROM orders o" + where.sql +
              " ORDER BY o.tracked_at DESC, o.id DESC LIMIT " + sqlCount(query.limit) + " OFFSET " +
              sqlCount(query.offset) + ") o ORDER BY o.tracked_at DESC, o.id DESC";
  return where;
}

OrderSummary summaryFromRow(const Poco::Data::RecordSet& rs, std::size_t row) {
  OrderSummary summary;
  summary.order = rows::orderFromRow(rs, row);
  constexpr std::size_t kFirstCount = 10;  // after the columns of kOrderColumns
  auto count = [&](std::size_t n) {
    return static_cast<std::size_t>(rows::integer(rs, kFirstCount + n, row));
  };
  summary.filed = count(0);
  summary.removed = count(1);
  summary.failed = count(2);
  summary.pending = count(3);
  return summary;
}

std::string searchPattern(const std::string& search) {
  std::string pattern = "%";
  for (char c : search) {
    if (c == '%' || c == '_' || c == '\\') pattern += '\\';
    pattern += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return pattern + "%";
}

std::string failedAssets(std::size_t limit) {
  return std::string("SELECT ") + rows::kAssetColumns +
         " FROM assets WHERE state = 'failed' ORDER BY order_id, asset_id LIMIT " + sqlCount(limit);
}

OrderPage readOrderPage(Poco::Data::Session& session, const OrderQuery& query, SqlDialect dialect,
                        const std::string& storedPattern) {
  using namespace Poco::Data::Keywords;
  OrderPage page;
  const auto count = countOrders(query, dialect);
  Poco::Int64 total = 0;
  Poco::Data::Statement countStatement(session);
  countStatement << count.sql, into(total);
  if (count.bindsSearch) countStatement, bind(storedPattern), bind(storedPattern);
  countStatement.execute();
  page.total = static_cast<std::size_t>(total);

  const auto list = orderPage(query, dialect);
  Poco::Data::Statement select(session);
  select << list.sql;
  if (list.bindsSearch) select, bind(storedPattern), bind(storedPattern);
  if (list.bindsAfter) select, bind(query.after->trackedAt), bind(Poco::Int64{query.after->id});
  select.execute();
  Poco::Data::RecordSet rs(select);
  for (std::size_t r = 0; r < rs.rowCount(); ++r) page.orders.push_back(summaryFromRow(rs, r));
  return page;
}

namespace {

std::vector<AssetRecord> readAssets(Poco::Data::Session& session, const std::string& sql) {
  Poco::Data::Statement select(session);
  select << sql;
  select.execute();
  Poco::Data::RecordSet rs(select);
  std::vector<AssetRecord> out;
  for (std::size_t r = 0; r < rs.rowCount(); ++r) out.push_back(rows::assetFromRow(rs, r));
  return out;
}

}  // namespace

std::vector<AssetRecord> readFailedAssets(Poco::Data::Session& session, std::size_t limit) {
  return readAssets(session, failedAssets(limit));
}

std::string failedAssetsOfOrders(const std::vector<std::int64_t>& orderIds) {
  std::string ids;
  for (const auto id : orderIds) ids += (ids.empty() ? "" : ", ") + std::to_string(id);
  return std::string("SELECT ") + rows::kAssetColumns +
         " FROM assets WHERE state = 'failed' AND order_id IN (" + ids +
         ") ORDER BY order_id, asset_id";
}

std::vector<AssetRecord> readFailedAssetsOfOrders(Poco::Data::Session& session,
                                                  const std::vector<std::int64_t>& orderIds) {
  if (orderIds.empty()) return {};
  return readAssets(session, failedAssetsOfOrders(orderIds));
}

}  // namespace ambita::filing::statussql
