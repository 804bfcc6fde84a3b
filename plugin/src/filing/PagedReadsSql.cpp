// The paged whole-table reads of both state backends (issue 15, branch pglazy).
#include "filing/PagedReadsSql.h"

#include <Poco/Data/Statement.h>

#include <string>

#include "filing/StateStoreRows.h"

namespace ambita::filing::pagedsql {

namespace {

using namespace Poco::Data::Keywords;

/// The n-th (1-based) placeholder of `dialect`.
std::string placeholder(SqlDialect dialect, int n) {
  return dialect == SqlDialect::Postgres ? "$" + std::to_string(n) : std::string("?");
}

/// LIMIT is written as a number: an integer, never text from outside.
std::string limitOf(std::size_t limit) {
  return " LIMIT " + std::to_string(limit);
}

}  // namespace

std::vector<OrderFinish> readOrderFinishTimesAfter(Poco::Data::Session& session, SqlDialect dialect,
                                                   std::int64_t afterOrderId, std::size_t limit) {
  // Straight into two column vectors: no RecordSet of variants per cell.
  std::vector<Poco::Int64> ids;
  std::vector<std::string> finished;
  Poco::Int64 after = afterOrderId;
  session << "SELECT id, finished_at FROM orders WHERE id > " + placeholder(dialect, 1) +
                 " ORDER BY id" + limitOf(limit),
      use(after), into(ids), into(finished), now;
  std::vector<OrderFinish> out;
  out.reserve(ids.size());
  for (std::size_t i = 0; i < ids.size(); ++i) out.push_back({ids[i], std::move(finished[i])});
  return out;
}

LedgerPage readLedgerOfOrdersAfter(Poco::Data::Session& session, SqlDialect dialect,
                                   std::int64_t afterOrderId, std::size_t orderLimit) {
  LedgerPage page;
  Poco::Int64 after = afterOrderId;
  // The page's last order: the orderLimit-th order with entries after `after` (or the last).
  std::vector<Poco::Int64> orderIds;
  session << "SELECT DISTINCT order_id FROM ledger_entries WHERE order_id > " +
                 placeholder(dialect, 1) + " ORDER BY order_id" + limitOf(orderLimit),
      use(after), into(orderIds), now;
  if (orderIds.empty()) return page;
  Poco::Int64 last = orderIds.back();
  page.lastOrderId = last;
  const std::string range = " WHERE order_id > " + placeholder(dialect, 1) +
                            " AND order_id <= " + placeholder(dialect, 2);
  Poco::Data::Statement lines(session);
  lines << "SELECT " << rows::kLedgerLineColumns << " FROM ledger_lines" << range
        << " ORDER BY order_id, line_id",
      use(after), use(last);
  page.lines = rows::allRows(lines, rows::ledgerLineFromRow);
  Poco::Data::Statement entries(session);
  entries << "SELECT " << rows::kLedgerEntryColumns << " FROM ledger_entries" << range
          << " ORDER BY seq",
      use(after), use(last);
  page.entries = rows::allRows(entries, rows::ledgerEntryFromRow);
  return page;
}

std::string ordersWithIntentsSql(SqlDialect dialect, std::size_t limit) {
  // Through the (state, order_id) index: only the intents' rows, never every asset.
  return "SELECT DISTINCT order_id FROM assets WHERE state IN ('filing', 'removing') AND "
         "order_id > " +
         placeholder(dialect, 1) + " ORDER BY order_id" + limitOf(limit);
}

std::vector<std::int64_t> readOrdersWithIntentsAfter(Poco::Data::Session& session,
                                                     SqlDialect dialect, std::int64_t afterOrderId,
                                                     std::size_t limit) {
  std::vector<Poco::Int64> ids;
  Poco::Int64 after = afterOrderId;
  session << ordersWithIntentsSql(dialect, limit), use(after), into(ids), now;
  return {ids.begin(), ids.end()};
}

}  // namespace ambita::filing::pagedsql
