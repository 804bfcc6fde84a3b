#pragma once
/// The SQL of the paged whole-table reads (issue 15, branch pglazy: memory flat whatever the
/// number of orders), written once for both state backends: StateStore::orderFinishTimesAfter,
/// ledgerOfOrdersAfter and (branch pagerest) ordersWithIntentsAfter. Keyset paging by order id (the
/// primary key, or the ledger's order index): each page is an index range, never an OFFSET walk.
/// The backend holds the session (and its lock) and turns what these throw into its error.

#include <Poco/Data/Session.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "filing/StateMigrations.h"
#include "filing/StateStore.h"

namespace ambita::filing::pagedsql {

/// StateStore::orderFinishTimesAfter on `session`.
std::vector<OrderFinish> readOrderFinishTimesAfter(Poco::Data::Session& session, SqlDialect dialect,
                                                   std::int64_t afterOrderId, std::size_t limit);
/// StateStore::ledgerOfOrdersAfter on `session`.
LedgerPage readLedgerOfOrdersAfter(Poco::Data::Session& session, SqlDialect dialect,
                                   std::int64_t afterOrderId, std::size_t orderLimit);

/// The SQL of StateStore::ordersWithIntentsAfter (its one parameter: the order id to start
/// after); the tests read SQLite's plan of it.
std::string ordersWithIntentsSql(SqlDialect dialect, std::size_t limit);
/// StateStore::ordersWithIntentsAfter on `session` (issue 15, branch pagerest).
std::vector<std::int64_t> readOrdersWithIntentsAfter(Poco::Data::Session& session,
                                                     SqlDialect dialect, std::int64_t afterOrderId,
                                                     std::size_t limit);

}  // namespace ambita::filing::pagedsql
