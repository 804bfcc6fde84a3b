#include "filing/PostgresStateStore.h"

#include <Poco/Data/PostgreSQL/Connector.h>
#include <Poco/Data/RecordSet.h>
#include <Poco/Data/Statement.h>
#include <Poco/Exception.h>
#include <utf8proc.h>

#include <algorithm>
#include <exception>
#include <limits>
#include <utility>

#include "filing/PagedReadsSql.h"
#include "filing/StateMigrations.h"
#include "filing/StateStoreRows.h"
#include "filing/StatusSql.h"

namespace ambita::filing {
namespace {

using namespace Poco::Data::Keywords;
using Poco::Data::RecordSet;
using Poco::Data::Session;
using Poco::Data::Statement;
using rows::TransactionGuard;

const std::vector<std::vector<std::string>>& migrations() {
  return stateMigrations(SqlDialect::Postgres);
}

// Keys of the transaction-scoped advisory locks (pg_advisory_xact_lock) that serialise, across
// every process sharing the database, what must not interleave. Arbitrary, fixed numbers.
constexpr Poco::Int64 kMigrationLock = 0x616d6269'7461'01;  // "ambita" + 1
constexpr Poco::Int64 kInboxLock = 0x616d6269'7461'02;

/// Thrown by borrowSession() after cancelWaits(); withSession() turns it into Cancelled.
struct WaitCancelled {};

void registerConnectorOnce() {
  // Process-wide registration: done once, never undone (another instance may still use it).
  static std::once_flag once;
  std::call_once(once, [] { Poco::Data::PostgreSQL::Connector::registerConnector(); });
}

void takeAdvisoryLock(Session& session, Poco::Int64 key) {
  std::string ignored;
  session << "SELECT pg_advisory_xact_lock($1)::text", bind(key), into(ignored), now;
}

/// Whether an idle session's connection still works (a restarted database cut it).
bool stillConnected(Session& session) {
  try {
    int one = 0;
    session << "SELECT 1", into(one), now;
    return one == 1;
  } catch (const Poco::Exception&) {
    return false;
  }
}

Poco::Int64 currentVersion(Session& session) {
  Poco::Int64 version = 0;
  session << "SELECT COALESCE(MAX(version), 0) FROM schema_migrations", into(version), now;
  return version;
}

/// `text` as PostgreSQL's text columns accept it: they refuse invalid UTF-8 and NUL bytes, which
/// text from outside (a server's error message, a Latin-1 reference) may hold. Those bytes
/// become U+FFFD, so such text can never make the state unwritable; valid UTF-8 is kept exactly.
std::string storable(const std::string& text) {
  const auto* bytes = reinterpret_cast<const utf8proc_uint8_t*>(text.data());
  const auto length = static_cast<utf8proc_ssize_t>(text.size());
  std::string out;
  out.reserve(text.size());
  for (utf8proc_ssize_t pos = 0; pos < length;) {
    utf8proc_int32_t codePoint = 0;
    const utf8proc_ssize_t n = utf8proc_iterate(bytes + pos, length - pos, &codePoint);
    if (n <= 0 || codePoint == 0) {
      out += "\xEF\xBF\xBD";
      ++pos;
    } else {
      out.append(text, static_cast<std::size_t>(pos), static_cast<std::size_t>(n));
      pos += n;
    }
  }
  return out;
}

/// `limit` as a LIMIT value: PostgreSQL refuses a negative one, which a size_t beyond the
/// signed range would become (SQLite reads it as "no limit"; so does the largest signed value).
Poco::Int64 sqlLimit(std::size_t limit) {
  return static_cast<Poco::Int64>(std::min<std::size_t>(
      limit, static_cast<std::size_t>(std::numeric_limits<Poco::Int64>::max())));
}

}  // namespace

// --- opening and migrations

PostgresStateStore::PostgresStateStore(PostgresLocation location)
    : location_(std::move(location)) {}

PostgresStateStore::~PostgresStateStore() {
  for (auto& session : idleLeaseSessions_) idleSessions_.push_back(std::move(session));
  for (auto& session : idleSessions_) {
    try {
      session->close();
    } catch (...) {  // NOLINT: closing a broken session must not throw from a destructor
    }
  }
}

dms::Error PostgresStateStore::failure(const std::string& what, const std::string& detail) const {
  std::string safe = detail;
  // libpq does not echo passwords, but a message is no place to find out it might.
  if (!location_.password.empty())
    for (auto at = safe.find(location_.password); at != std::string::npos;
         at = safe.find(location_.password, at + 3))
      safe.replace(at, location_.password.size(), "***");
  return dms::fail(dms::ErrorCode::Unavailable,
                   "state database " + location_.display() + ": " + what + ": " + safe);
}

std::unique_ptr<Session> PostgresStateStore::borrowSession() {
  std::unique_lock lock(poolMutex_);
  if (!sessionReturned_.wait_for(lock, kPoolWait, [&] {
        return waitsCancelled_ || !idleSessions_.empty() || openSessions_ < kMaxConnections;
      }))
    return nullptr;
  if (waitsCancelled_) throw WaitCancelled();
  if (!idleSessions_.empty()) {
    auto session = std::move(idleSessions_.back());
    idleSessions_.pop_back();
    return session;
  }
  ++openSessions_;
  lock.unlock();
  try {
    return connect();
  } catch (...) {
    returnSession(nullptr, true);
    throw;
  }
}

std::unique_ptr<Session> PostgresStateStore::connect() const {
  auto session = std::make_unique<Session>("PostgreSQL", location_.connectionString(),
                                           static_cast<std::size_t>(kConnectTimeoutSeconds));
  // libpq prints the server's notices and warnings (e.g. "relation ... already exists,
  // skipping" at every open) straight to the host's stderr, past its logger; a guest keeps
  // quiet. Errors still arrive, as exceptions.
  *session << "SET client_min_messages TO error", now;
  return session;
}

void PostgresStateStore::returnSession(std::unique_ptr<Session> session, bool failed) {
  {
    std::lock_guard lock(poolMutex_);
    if (failed || !session)
      --openSessions_;
    else
      idleSessions_.push_back(std::move(session));
  }
  sessionReturned_.notify_one();
  // A failed session is closed here, outside the lock (closing talks to the server).
  if (session) {
    try {
      session->close();
    } catch (...) {  // NOLINT: the connection is gone either way
    }
  }
}

template <class Body>
auto PostgresStateStore::withSession(const std::string& what, Body&& body)
    -> decltype(body(std::declval<Session&>())) {
  std::unique_ptr<Session> session;
  bool failed = false;
  struct ReturnToPool {
    PostgresStateStore& store;
    std::unique_ptr<Session>& session;
    bool& failed;
    ~ReturnToPool() {
      if (session) store.returnSession(std::move(session), failed);
    }
  } returnToPool{*this, session, failed};
  try {
    session = borrowSession();
    if (!session)
      return failure(what, "no connection free within " + std::to_string(kPoolWait.count()) +
                               " s (all " + std::to_string(kMaxConnections) + " in use)");
    // Idle sessions whose connection broke since their last use (the database restarted) are
    // dropped; at most every pooled one plus a new one is tried.
    for (std::size_t tries = 0; !stillConnected(*session); ++tries) {
      returnSession(std::move(session), true);
      if (tries == kMaxConnections) return failure(what, "every connection broke");
      session = borrowSession();
      if (!session) return failure(what, "no connection free");
    }
    return body(*session);
  } catch (const WaitCancelled&) {
    return dms::fail(dms::ErrorCode::Cancelled,
                     "state database " + location_.display() + ": " + what + ": stopping");
  } catch (const Poco::Exception& e) {
    failed = true;
    return failure(what, e.displayText());
  } catch (const std::exception& e) {
    failed = true;
    return failure(what, e.what());
  }
}

dms::Result<std::unique_ptr<PostgresStateStore>> PostgresStateStore::open(const std::string& url) {
  return openAtVersionForTest(url, kSchemaVersion);
}

dms::Result<std::unique_ptr<PostgresStateStore>> PostgresStateStore::openAtVersionForTest(
    const std::string& url, int version) {
  auto location = PostgresLocation::parse(url);
  if (!location) return location.error();
  std::unique_ptr<PostgresStateStore> store;
  try {
    registerConnectorOnce();
    store.reset(new PostgresStateStore(std::move(*location)));
  } catch (const Poco::Exception& e) {
    return dms::fail(dms::ErrorCode::Unavailable,
                     "state database " + location->display() + ": cannot open: " + e.displayText());
  }
  if (auto s = store->migrate(version); !s) return s.error();
  return store;
}

dms::Status PostgresStateStore::migrate(int upTo) {
  auto current = withSession("connecting", [&](Session& session) -> dms::Result<Poco::Int64> {
    TransactionGuard tx(session);
    takeAdvisoryLock(session, kMigrationLock);
    session << "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, "
               "applied_at TEXT NOT NULL DEFAULT to_char(now() AT TIME ZONE 'UTC', "
               "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'))",
        now;
    const auto version = currentVersion(session);
    tx.commit();
    return version;
  });
  if (!current) return current.error();
  const int known = static_cast<int>(migrations().size());
  if (*current > known)
    return dms::fail(dms::ErrorCode::NotSupported,
                     "state database " + location_.display() + " has schema version " +
                         std::to_string(*current) + ", newer than this plugin knows (" +
                         std::to_string(known) + "): use a newer plugin");
  for (int v = static_cast<int>(*current) + 1; v <= std::min(upTo, known); ++v)
    if (auto s = applyMigration(v); !s) return s;
  return {};
}

dms::Status PostgresStateStore::applyMigration(int version) {
  const std::string what = "migration to version " + std::to_string(version);
  auto applied = withSession(what, [&](Session& session) -> dms::Status {
    TransactionGuard tx(session);
    takeAdvisoryLock(session, kMigrationLock);
    // Another process may have applied it while we waited for the lock.
    if (currentVersion(session) >= version) return {};
    for (const auto& sql : migrations()[static_cast<std::size_t>(version - 1)]) session << sql, now;
    session << "INSERT INTO schema_migrations(version) VALUES($1)", bind(version), now;
    tx.commit();
    return {};
  });
  if (applied) return {};
  return dms::fail(dms::ErrorCode::Internal, applied.error().message);
}

dms::Result<int> PostgresStateStore::schemaVersion() {
  return withSession("reading the schema version", [&](Session& session) -> dms::Result<int> {
    return static_cast<int>(currentVersion(session));
  });
}

dms::Result<ApiIdentity> PostgresStateStore::claimApiIdentity(const ApiIdentity& identity) {
  return withSession(
      "recording the API it belongs to", [&](Session& session) -> dms::Result<ApiIdentity> {
        TransactionGuard tx(session);
        session << "INSERT INTO api_identity(id, origin, client_id, recorded_at) "
                   "VALUES(1, $1, $2, $3) ON CONFLICT (id) DO NOTHING",
            bind(storable(identity.origin)), bind(storable(identity.clientId)),
            bind(storable(identity.recordedAt)), now;
        ApiIdentity recorded;
        session << "SELECT origin, client_id, recorded_at FROM api_identity WHERE id = 1",
            into(recorded.origin), into(recorded.clientId), into(recorded.recordedAt), now;
        tx.commit();
        return recorded;
      });
}

// --- orders

dms::Result<bool> PostgresStateStore::trackOrder(const TrackedOrder& o) {
  return withSession("tracking order " + std::to_string(o.id),
                     [&](Session& session) -> dms::Result<bool> {
                       TransactionGuard tx(session);
                       const bool isNew = trackIn(session, o);
                       tx.commit();
                       return isNew;
                     });
}

dms::Result<std::optional<TrackedOrder>> PostgresStateStore::order(std::int64_t id) {
  return withSession("reading order " + std::to_string(id),
                     [&](Session& session) -> dms::Result<std::optional<TrackedOrder>> {
                       Statement select(session);
                       select << "SELECT " << rows::kOrderColumns << " FROM orders WHERE id = $1",
                           bind(id);
                       select.execute();
                       RecordSet rs(select);
                       if (rs.rowCount() == 0) return std::optional<TrackedOrder>();
                       return std::optional<TrackedOrder>(rows::orderFromRow(rs, 0));
                     });
}

dms::Status PostgresStateStore::updateOrderStatus(std::int64_t id, const std::string& status,
                                                  const std::string& checkedAt, bool final) {
  OrderChanges changes;
  changes.status = OrderStatusSeen{id, status, checkedAt, final};
  return writeChanges(changes, "updating order " + std::to_string(id));
}

// --- assets

dms::Result<std::vector<AssetRecord>> PostgresStateStore::selectAssets(
    const std::string& where, const std::string& textParam, std::optional<std::int64_t> idParam) {
  return withSession("reading assets",
                     [&](Session& session) -> dms::Result<std::vector<AssetRecord>> {
                       Statement select(session);
                       select << "SELECT " << rows::kAssetColumns << " FROM assets " << where
                              << " ORDER BY order_id, asset_id";
                       if (idParam)
                         select, bind(*idParam);
                       else if (where.find("$1") != std::string::npos)
                         select, bind(storable(textParam));
                       return rows::allRows(select, rows::assetFromRow);
                     });
}

dms::Result<std::optional<AssetRecord>> PostgresStateStore::asset(const std::string& assetId) {
  auto found = selectAssets("WHERE asset_id = $1", assetId, std::nullopt);
  if (!found) return found.error();
  if (found->empty()) return std::optional<AssetRecord>();
  return std::optional<AssetRecord>(found->front());
}

dms::Result<std::vector<AssetRecord>> PostgresStateStore::assetsOfOrder(std::int64_t orderId) {
  return selectAssets("WHERE order_id = $1", "", orderId);
}

dms::Result<std::optional<std::string>> PostgresStateStore::pathHolder(
    const std::string& path, const std::string& exceptAssetId) {
  return withSession("looking up path",
                     [&](Session& session) -> dms::Result<std::optional<std::string>> {
                       std::vector<std::string> ids;
                       session << "SELECT asset_id FROM assets WHERE path = $1 AND asset_id <> $2 "
                                  "AND state IN ('filing', 'filed', 'removing') LIMIT 1",
                           bind(storable(path)), bind(storable(exceptAssetId)), into(ids), now;
                       if (ids.empty()) return std::optional<std::string>();
                       return std::optional<std::string>(ids.front());
                     });
}

dms::Status PostgresStateStore::commit(const std::vector<AssetRecord>& assets,
                                       const std::vector<AuditEntry>& audit) {
  OrderChanges changes;
  changes.assets = assets;
  changes.audit = audit;
  return writeChanges(changes, "writing " + std::to_string(assets.size()) + " asset records");
}

// --- audit

dms::Result<std::vector<AuditEntry>> PostgresStateStore::audit(std::optional<std::int64_t> orderId,
                                                               std::size_t limit) {
  return withSession("reading the audit log",
                     [&](Session& session) -> dms::Result<std::vector<AuditEntry>> {
                       Statement select(session);
                       select << "SELECT " << rows::kAuditColumns << " FROM (SELECT * FROM audit "
                              << (orderId ? "WHERE order_id = $1 ORDER BY seq DESC LIMIT $2"
                                          : "ORDER BY seq DESC LIMIT $1")
                              << ") AS latest ORDER BY seq";
                       if (orderId) select, bind(*orderId);
                       select, bind(sqlLimit(limit));
                       return rows::allRows(select, rows::auditFromRow);
                     });
}

// --- push inbox

dms::Result<std::int64_t> PostgresStateStore::enqueue(const InboxMessage& m,
                                                      std::size_t maxOrders, bool* merged) {
  std::vector<bool> wasWaiting;
  auto stored = enqueueBatch({m}, maxOrders, &wasWaiting);
  if (!stored) return stored.error();
  if (merged != nullptr && !wasWaiting.empty()) *merged = wasWaiting.front();
  return stored->front();
}

dms::Result<std::vector<dms::Result<std::int64_t>>> PostgresStateStore::enqueueBatch(
    const std::vector<InboxMessage>& messages, std::size_t maxOrders,
    std::vector<bool>* merged) {
  using Stored = std::vector<dms::Result<std::int64_t>>;
  const std::string what = messages.size() == 1
                               ? std::string("storing a push message")
                               : "storing " + std::to_string(messages.size()) + " push messages";
  return withSession(what, [&](Session& session) -> dms::Result<Stored> {
    TransactionGuard tx(session);
    // Every process merges into the same rows: one merge at a time.
    takeAdvisoryLock(session, kInboxLock);
    Stored stored;
    stored.reserve(messages.size());
    if (merged != nullptr) merged->assign(messages.size(), false);
    for (std::size_t i = 0; i < messages.size(); ++i) {
      bool wasWaiting = false;
      stored.push_back(mergeIntoInbox(session, messages[i], maxOrders, wasWaiting));
      if (merged != nullptr) (*merged)[i] = wasWaiting;
    }
    tx.commit();
    return stored;
  });
}

dms::Result<std::int64_t> PostgresStateStore::mergeIntoInbox(Session& session,
                                                             const InboxMessage& m,
                                                             std::size_t maxOrders, bool& merged) {
  // What the messages already waiting for this order carry over into the merged one.
  Poco::Int64 waiting = 0, attempts = 0, notBefore = 0, firstFailure = 0, anyPush = 0;
  Poco::Int64 lastFailure = 0, failingSeconds = 0;
  std::string lastError;
  session << "SELECT COUNT(*), COALESCE(MAX(attempts), 0), COALESCE(MAX(not_before), 0), "
             "COALESCE(MIN(NULLIF(first_failure, 0)), 0), "
             "COALESCE(MAX(CASE WHEN source = 'push' THEN 1 ELSE 0 END), 0), "
             "COALESCE(MAX(last_failure), 0), COALESCE(MAX(failing_seconds), 0), "
             "COALESCE((SELECT last_error FROM inbox WHERE order_id = $1 ORDER BY seq DESC "
             "LIMIT 1), '') FROM inbox WHERE order_id = $1",
      bind(m.orderId), into(waiting), into(attempts), into(notBefore), into(firstFailure),
      into(anyPush), into(lastFailure), into(failingSeconds), into(lastError), now;
  merged = waiting > 0;
  if (waiting == 0 && maxOrders > 0) {
    Poco::Int64 orders = 0;
    session << "SELECT COUNT(DISTINCT order_id) FROM inbox", into(orders), now;
    if (static_cast<std::size_t>(orders) >= maxOrders)
      return dms::fail(dms::ErrorCode::Unavailable,
                       "push inbox full: " + std::to_string(orders) +
                           " orders wait (push.maxQueuedOrders); order " +
                           std::to_string(m.orderId) + " not queued");
  }
  const std::string source = anyPush != 0 ? std::string("push") : m.source;
  Poco::Int64 seq = 0;
  session << "INSERT INTO inbox(order_id, status, source, received_at, attempts, not_before, "
             "first_failure, last_failure, failing_seconds, last_error) "
             "VALUES($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING seq",
      bind(m.orderId), bind(storable(m.status)), bind(storable(source)),
      bind(storable(m.receivedAt)), bind(attempts),
      bind(std::max<Poco::Int64>(notBefore, m.notBeforeEpoch)), bind(firstFailure),
      bind(lastFailure), bind(failingSeconds), bind(storable(lastError)), into(seq), now;
  session << "DELETE FROM inbox WHERE order_id = $1 AND seq < $2", bind(m.orderId), bind(seq), now;
  return static_cast<std::int64_t>(seq);
}

dms::Result<std::vector<InboxMessage>> PostgresStateStore::dueMessages(
    std::int64_t nowEpoch, std::int64_t longestWaitSeconds, std::size_t limit) {
  return withSession("reading the push inbox",
                     [&](Session& session) -> dms::Result<std::vector<InboxMessage>> {
                       Statement select(session);
                       // retryDue() in SQL (not_before - now cannot overflow).
                       select << "SELECT " << rows::kInboxColumns
                              << " FROM inbox WHERE not_before <= $1 OR not_before - $1 > $2 "
                                 "ORDER BY seq LIMIT $3",
                           bind(nowEpoch), bind(longestWaitSeconds), bind(sqlLimit(limit));
                       return rows::allRows(select, rows::inboxFromRow);
                     });
}

dms::Status PostgresStateStore::completeMessages(std::int64_t orderId, std::int64_t upToSeq) {
  return withSession("completing push messages", [&](Session& session) -> dms::Status {
    completeMessagesIn(session, {orderId, upToSeq});
    return {};
  });
}

dms::Status PostgresStateStore::postponeMessages(std::int64_t orderId, std::int64_t upToSeq,
                                                 std::int64_t notBeforeEpoch,
                                                 std::int64_t failedAtEpoch,
                                                 std::int64_t failingSeconds,
                                                 const std::string& error) {
  return withSession("postponing push messages", [&](Session& session) -> dms::Status {
    session << "UPDATE inbox SET attempts = attempts + 1, not_before = $1, first_failure = CASE "
               "WHEN first_failure = 0 THEN $2 ELSE first_failure END, last_failure = $2, "
               "failing_seconds = $3, last_error = $4 WHERE order_id = $5 AND seq <= $6",
        bind(notBeforeEpoch), bind(failedAtEpoch), bind(failingSeconds), bind(storable(error)),
        bind(orderId), bind(upToSeq), now;
    return {};
  });
}

dms::Result<std::size_t> PostgresStateStore::inboxSize() {
  return withSession("counting the push inbox", [&](Session& session) -> dms::Result<std::size_t> {
    Poco::Int64 n = 0;
    session << "SELECT COUNT(*) FROM inbox", into(n), now;
    return static_cast<std::size_t>(n);
  });
}

// --- cost ledger (issue 12)

dms::Status PostgresStateStore::recordCosts(const std::vector<LedgerLine>& lines,
                                            const std::vector<LedgerEntry>& entries) {
  OrderChanges changes;
  changes.ledgerLines = lines;
  changes.ledgerEntries = entries;
  return writeChanges(changes, "writing " + std::to_string(entries.size()) + " ledger entries");
}

dms::Result<std::vector<LedgerLine>> PostgresStateStore::ledgerLines(std::int64_t orderId) {
  return withSession("reading the ledger lines",
                     [&](Session& session) -> dms::Result<std::vector<LedgerLine>> {
                       return rows::selectOfOrder(session, rows::kLedgerLineColumns,
                                                  "ledger_lines", "order_id, line_id", orderId,
                                                  "$1", rows::ledgerLineFromRow);
                     });
}

dms::Result<std::vector<LedgerEntry>> PostgresStateStore::ledgerEntries(std::int64_t orderId) {
  return withSession("reading the ledger entries",
                     [&](Session& session) -> dms::Result<std::vector<LedgerEntry>> {
                       return rows::selectOfOrder(session, rows::kLedgerEntryColumns,
                                                  "ledger_entries", "seq", orderId, "$1",
                                                  rows::ledgerEntryFromRow);
                     });
}

// --- status as data

dms::Result<OrderPage> PostgresStateStore::orderPage(const OrderQuery& query) {
  return withSession("listing orders", [&](Session& session) -> dms::Result<OrderPage> {
    return statussql::readOrderPage(session, query, SqlDialect::Postgres,
                                    storable(statussql::searchPattern(query.search)));
  });
}

dms::Result<std::vector<AssetRecord>> PostgresStateStore::failedAssets(std::size_t limit) {
  return withSession("listing failed assets",
                     [&](Session& session) -> dms::Result<std::vector<AssetRecord>> {
                       return statussql::readFailedAssets(session, limit);
                     });
}

// --- scale (issue 15): one query for many orders

dms::Result<std::vector<AssetRecord>> PostgresStateStore::failedAssetsOfOrders(
    const std::vector<std::int64_t>& orderIds) {
  return withSession(
      "listing the failed assets of " + std::to_string(orderIds.size()) + " order(s)",
      [&](Session& session) -> dms::Result<std::vector<AssetRecord>> {
        return statussql::readFailedAssetsOfOrders(session, orderIds);
      });
}

}  // namespace ambita::filing

// --- document events outbox (issue 10); commit() writes the rows

namespace ambita::filing {

dms::Result<std::vector<OutboxEvent>> PostgresStateStore::dueEvents(std::int64_t nowEpoch,
                                                                    std::int64_t longestWaitSeconds,
                                                                    std::size_t limit) {
  return withSession("reading the event outbox",
                     [&](Session& session) -> dms::Result<std::vector<OutboxEvent>> {
                       Statement select(session);
                       select << "SELECT " << rows::kEventColumns
                              << " FROM events e WHERE e.seq = (SELECT MIN(seq) FROM events p "
                                 "WHERE p.order_id = e.order_id) AND (e.not_before <= $1 OR "
                                 "e.not_before - $1 > $2) ORDER BY e.seq LIMIT $3",
                           bind(nowEpoch), bind(longestWaitSeconds), bind(sqlLimit(limit));
                       return rows::allRows(select, rows::eventFromRow);
                     });
}

dms::Status PostgresStateStore::completeEvent(std::int64_t seq) {
  return withSession("completing an event", [&](Session& session) -> dms::Status {
    session << "DELETE FROM events WHERE seq = $1", bind(seq), now;
    return {};
  });
}

dms::Status PostgresStateStore::postponeEvent(std::int64_t seq, std::int64_t notBeforeEpoch,
                                              const std::string& error) {
  return withSession("postponing an event", [&](Session& session) -> dms::Status {
    session << "UPDATE events SET attempts = attempts + 1, not_before = $1, last_error = $2 "
               "WHERE seq = $3",
        bind(notBeforeEpoch), bind(storable(error)), bind(seq), now;
    return {};
  });
}

dms::Result<std::size_t> PostgresStateStore::outboxSize() {
  return withSession("counting the event outbox",
                     [&](Session& session) -> dms::Result<std::size_t> {
                       Poco::Int64 n = 0;
                       session << "SELECT COUNT(*) FROM events", into(n), now;
                       return static_cast<std::size_t>(n);
                     });
}

dms::Result<std::size_t> PostgresStateStore::dropOldestEvents(std::size_t keep) {
  return withSession("trimming the event outbox",
                     [&](Session& session) -> dms::Result<std::size_t> {
                       TransactionGuard tx(session);
                       Poco::Int64 before = 0, after = 0;
                       session << "SELECT COUNT(*) FROM events", into(before), now;
                       if (static_cast<std::size_t>(before) <= keep) return std::size_t{0};
                       session << "DELETE FROM events WHERE seq NOT IN (SELECT seq FROM events "
                                  "ORDER BY seq DESC LIMIT $1)",
                           bind(sqlLimit(keep)), now;
                       session << "SELECT COUNT(*) FROM events", into(after), now;
                       tx.commit();
                       return static_cast<std::size_t>(before - after);
                     });
}

// --- one state transaction per order (issue 15): the SQL of every write a reconcile makes
// lives here once; trackOrder, commit, recordCosts and updateOrderStatus are commitOrder with
// one part.

dms::Status PostgresStateStore::commitOrder(const OrderChanges& changes) {
  return writeChanges(changes, changes.describe());
}

dms::Status PostgresStateStore::writeChanges(const OrderChanges& changes, const std::string& what) {
  if (changes.empty()) return {};
  return withSession(what, [&](Session& session) -> dms::Status {
    TransactionGuard tx(session);
    if (changes.track) trackIn(session, *changes.track);
    commitAssetsIn(session, changes.assets, changes.audit);
    recordCostsIn(session, changes.ledgerLines, changes.ledgerEntries);
    if (changes.status) updateOrderStatusIn(session, *changes.status);
    if (changes.answered) completeMessagesIn(session, *changes.answered);
    tx.commit();
    return {};
  });
}

bool PostgresStateStore::trackIn(Session& session, const TrackedOrder& o) {
  std::vector<Poco::Int64> inserted;
  session << "INSERT INTO orders(id, origin, reference, technical_reference, cadastre, "
             "address, status, tracked_at) VALUES($1, $2, $3, $4, $5, $6, $7, $8) "
             "ON CONFLICT (id) DO NOTHING RETURNING id",
      bind(o.id), bind(storable(toString(o.origin))), bind(storable(o.reference)),
      bind(storable(o.technicalReference)), bind(storable(o.cadastre)), bind(storable(o.address)),
      bind(storable(o.status)), bind(storable(o.trackedAt)), into(inserted), now;
  if (inserted.empty()) {
    // Only fill gaps: the first known reference decides the folder. A row with no gap to
    // fill is not rewritten (every reconcile tracks its order; issue 15).
    session << "UPDATE orders SET "
               "reference = CASE WHEN reference = '' THEN $1 ELSE reference END, "
               "technical_reference = CASE WHEN technical_reference = '' THEN $2 ELSE "
               "technical_reference END, "
               "cadastre = CASE WHEN cadastre = '' THEN $3 ELSE cadastre END, "
               "address = CASE WHEN address = '' THEN $4 ELSE address END WHERE id = $5 "
               "AND ((reference = '' AND $1 <> '') OR (technical_reference = '' AND $2 <> "
               "'') OR (cadastre = '' AND $3 <> '') OR (address = '' AND $4 <> ''))",
        bind(storable(o.reference)), bind(storable(o.technicalReference)),
        bind(storable(o.cadastre)), bind(storable(o.address)), bind(o.id), now;
  }
  return !inserted.empty();
}

void PostgresStateStore::commitAssetsIn(Session& session, const std::vector<AssetRecord>& assets,
                                        const std::vector<AuditEntry>& audit) {
  for (const auto& a : assets) {
    session << "INSERT INTO assets(" << rows::kAssetColumns
            << ") VALUES($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, "
               "$16) ON CONFLICT (asset_id) DO UPDATE SET order_id = EXCLUDED.order_id, "
               "supplier_order_id = EXCLUDED.supplier_order_id, "
               "order_line_id = EXCLUDED.order_line_id, "
               "remote_status = EXCLUDED.remote_status, category = EXCLUDED.category, "
               "state = EXCLUDED.state, path = EXCLUDED.path, "
               "target_path = EXCLUDED.target_path, size = EXCLUDED.size, "
               "sha256 = EXCLUDED.sha256, filed_at = EXCLUDED.filed_at, "
               "removed_at = EXCLUDED.removed_at, last_error = EXCLUDED.last_error, "
               "attempts = EXCLUDED.attempts, not_before = EXCLUDED.not_before",
        bind(storable(a.assetId)), bind(a.orderId), bind(a.supplierOrderId), bind(a.orderLineId),
        bind(storable(a.remoteStatus)), bind(storable(a.category)),
        bind(storable(toString(a.state))), bind(storable(a.path)), bind(storable(a.targetPath)),
        bind(static_cast<Poco::Int64>(a.size)), bind(storable(a.sha256)), bind(storable(a.filedAt)),
        bind(storable(a.removedAt)), bind(storable(a.lastError)),
        bind(static_cast<Poco::Int64>(a.attempts)), bind(a.notBeforeEpoch), now;
  }
  for (const auto& e : audit) {
    session << "INSERT INTO audit(time, order_id, asset_id, action, reason, path, detail, "
               "actor) VALUES($1, $2, $3, $4, $5, $6, $7, $8)",
        bind(storable(e.time)), bind(e.orderId), bind(storable(e.assetId)),
        bind(storable(e.action)), bind(storable(e.reason)), bind(storable(e.path)),
        bind(storable(e.detail)), bind(storable(e.actor)), now;
  }
  // Document events (issue 10): in this transaction, so a crash cannot lose one.
  for (const auto& ev : outboxEventsFor(assets, audit)) {
    session << "INSERT INTO events(event_id, order_id, asset_id, kind, path, "
               "previous_path, metadata, detail, time) "
               "VALUES($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        bind(storable(ev.eventId)), bind(ev.orderId), bind(storable(ev.assetId)),
        bind(storable(ev.kind)), bind(storable(ev.path)), bind(storable(ev.previousPath)),
        bind(storable(ev.metadataJson)), bind(storable(ev.detail)), bind(storable(ev.time)), now;
  }
}

void PostgresStateStore::recordCostsIn(Session& session, const std::vector<LedgerLine>& lines,
                                       const std::vector<LedgerEntry>& entries) {
  for (const auto& l : lines) {
    session << "INSERT INTO ledger_lines(" << rows::kLedgerLineColumns
            << ") VALUES($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (order_id, line_id) "
               "DO UPDATE SET supplier_order_id = EXCLUDED.supplier_order_id, "
               "product = EXCLUDED.product, product_name = EXCLUDED.product_name, "
               "category = EXCLUDED.category, reference = EXCLUDED.reference, "
               "ordered_at = EXCLUDED.ordered_at, status = EXCLUDED.status",
        bind(l.orderId), bind(l.lineId), bind(l.supplierOrderId), bind(storable(l.product)),
        bind(storable(l.productName)), bind(storable(l.category)), bind(storable(l.reference)),
        bind(storable(l.orderedAt)), bind(storable(l.status)), now;
  }
  for (const auto& e : entries) {
    session << "INSERT INTO ledger_entries(order_id, line_id, kind, net_ore, gross_ore, "
               "status, recorded_at) VALUES($1, $2, $3, $4, $5, $6, $7)",
        bind(e.orderId), bind(e.lineId), bind(storable(e.kind)), bind(e.netOre), bind(e.grossOre),
        bind(storable(e.status)), bind(storable(e.recordedAt)), now;
  }
}

void PostgresStateStore::updateOrderStatusIn(Session& session, const OrderStatusSeen& seen) {
  const Poco::Int64 isFinal = seen.final ? 1 : 0;
  session << "UPDATE orders SET status = $1, checked_at = $2, finished_at = CASE WHEN $3 = 1 "
             "AND finished_at = '' THEN $2 WHEN $3 = 1 THEN finished_at ELSE '' END "
             "WHERE id = $4",
      bind(storable(seen.status)), bind(storable(seen.checkedAt)), bind(isFinal),
      bind(seen.orderId), now;
}

// --- inbox clearing folded into the order's commit (issue 15, branch push)

void PostgresStateStore::completeMessagesIn(Session& session, const AnsweredMessages& answered) {
  session << "DELETE FROM inbox WHERE order_id = $1 AND seq <= $2", bind(answered.orderId),
      bind(answered.upToSeq), now;
}

// --- CPU per order (issue 15, branch ordercpu): the checks of unchanged orders (CheckBatch.h)

dms::Status PostgresStateStore::recordChecks(const std::vector<OrderCheck>& checks) {
  if (checks.empty()) return {};
  return withSession(
      "recording when " + std::to_string(checks.size()) + " order(s) were checked",
      [&](Session& session) -> dms::Status {
        TransactionGuard tx(session);
        for (const auto& check : checks)
          session << "UPDATE orders SET checked_at = $1 WHERE id = $2 AND checked_at < $1",
              bind(storable(check.checkedAt)), bind(check.orderId), now;
        tx.commit();
        return {};
      });
}

}  // namespace ambita::filing

// --- whole-table loads (issue 15, branch scalerest): aggregates and per-path lookups

namespace ambita::filing {

dms::Result<std::vector<OrderStatusCount>> PostgresStateStore::orderCountsByStatus() {
  return withSession("counting orders by status",
                     [&](Session& session) -> dms::Result<std::vector<OrderStatusCount>> {
                       std::vector<std::string> statuses;
                       std::vector<Poco::Int64> counts;
                       session << "SELECT status, COUNT(*) FROM orders GROUP BY status "
                                  "ORDER BY status",
                           into(statuses), into(counts), now;
                       std::vector<OrderStatusCount> out;
                       for (std::size_t i = 0; i < statuses.size() && i < counts.size(); ++i)
                         out.push_back({statuses[i], static_cast<std::size_t>(counts[i])});
                       return out;
                     });
}

dms::Result<bool> PostgresStateStore::placesFileAt(const std::string& path) {
  return withSession("looking up path " + path, [&](Session& session) -> dms::Result<bool> {
    Poco::Int64 found = 0;
    // Two indexed lookups (assets_by_path, assets_by_target_path) rather than one OR.
    session << "SELECT COUNT(*) FROM (SELECT 1 FROM assets WHERE path = $1 AND state = 'filed' "
               "UNION ALL SELECT 1 FROM assets WHERE target_path = $1 AND target_path <> '' "
               "AND state = 'removed' "
               "LIMIT 1) AS placed",
        bind(storable(path)), into(found), now;
    return found > 0;
  });
}

dms::Result<std::vector<AssetRecord>> PostgresStateStore::filedAssetsAfter(
    std::int64_t afterOrderId, const std::string& afterAssetId, std::size_t limit) {
  return withSession("reading filed assets",
                     [&](Session& session) -> dms::Result<std::vector<AssetRecord>> {
                       Statement select(session);
                       select << "SELECT " << rows::kAssetColumns
                              << " FROM assets WHERE state = 'filed' AND (order_id > $1 OR "
                                 "(order_id = $1 AND asset_id > $2)) ORDER BY order_id, asset_id "
                                 "LIMIT $3",
                           bind(afterOrderId), bind(storable(afterAssetId)), bind(sqlLimit(limit));
                       return rows::allRows(select, rows::assetFromRow);
                     });
}

// --- whole-table reads paged (issue 15, branch pglazy): PagedReadsSql.h

dms::Result<std::vector<OrderFinish>> PostgresStateStore::orderFinishTimesAfter(
    std::int64_t afterOrderId, std::size_t limit) {
  return withSession("listing the orders' finished times",
                     [&](Session& session) -> dms::Result<std::vector<OrderFinish>> {
                       return pagedsql::readOrderFinishTimesAfter(session, SqlDialect::Postgres,
                                                                  afterOrderId, limit);
                     });
}

dms::Result<LedgerPage> PostgresStateStore::ledgerOfOrdersAfter(std::int64_t afterOrderId,
                                                                std::size_t orderLimit) {
  return withSession("reading the ledger", [&](Session& session) -> dms::Result<LedgerPage> {
    return pagedsql::readLedgerOfOrdersAfter(session, SqlDialect::Postgres, afterOrderId,
                                             orderLimit);
  });
}

// --- the last whole-table reads paged (issue 15, branch pagerest): PagedReadsSql.h

dms::Result<std::vector<std::int64_t>> PostgresStateStore::ordersWithIntentsAfter(
    std::int64_t afterOrderId, std::size_t limit) {
  return withSession("listing the orders with unfinished intents",
                     [&](Session& session) -> dms::Result<std::vector<std::int64_t>> {
                       return pagedsql::readOrdersWithIntentsAfter(session, SqlDialect::Postgres,
                                                                   afterOrderId, limit);
                     });
}

}  // namespace ambita::filing
