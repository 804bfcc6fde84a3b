#include "filing/SqliteStateStore.h"

#include <Poco/Data/RecordSet.h>
#include <Poco/Data/SQLite/Connector.h>
#include <Poco/Data/SQLite/Utility.h>
#include <Poco/Data/Statement.h>
#include <Poco/Exception.h>
#include <sqlite3.h>

#include <algorithm>
#include <array>
#include <filesystem>
#include <tuple>
#include <utility>

#include "filing/StateMigrations.h"
#include "filing/StateStoreRows.h"
#include "filing/StatusSql.h"

namespace ambita::filing {
namespace {

using namespace Poco::Data::Keywords;
using Poco::Data::RecordSet;
using Poco::Data::Statement;
using rows::auditFromRow;
using rows::inboxFromRow;
using rows::kAssetColumns;
using rows::kAuditColumns;
using rows::kInboxColumns;
using rows::kOrderColumns;
using rows::TransactionGuard;

const std::vector<std::vector<std::string>>& migrations() {
  return stateMigrations(SqlDialect::Sqlite);
}

/// How long opening may wait for a database another process holds locked.
constexpr std::size_t kOpenTimeoutSeconds = 10;

/// SQLite's own words for a damaged file (SQLITE_NOTADB, SQLITE_CORRUPT) get what to do
/// appended: the plugin cannot repair its state and must not start a new one over it.
std::string withAdvice(const std::string& detail) {
  const bool damaged = detail.find("not a database") != std::string::npos ||
                       detail.find("malformed") != std::string::npos;
  return damaged ? detail +
                       " (the file is damaged and was left unchanged: restore it from a "
                       "backup; the plugin does not replace it)"
                 : detail;
}

void registerConnectorOnce() {
  // Process-wide registration: done once, never undone (another instance may still use it).
  static std::once_flag once;
  std::call_once(once, [] { Poco::Data::SQLite::Connector::registerConnector(); });
}

}  // namespace

SqliteStateStore::SqliteStateStore(std::string file, std::unique_ptr<Poco::Data::Session> session)
    : file_(std::move(file)),
      session_(std::move(session)),
      statements_(
          std::make_unique<SqliteStatements>(Poco::Data::SQLite::Utility::dbHandle(*session_))) {
  // Group commit (branch groupcommit): from here on a commit only writes the log, and durably()
  // syncs it after the mutex is released; the hook counts the commits it must cover.
  logSync_ = std::make_unique<SqliteLogSync>(file_ + "-wal");
  sqlite3* db = Poco::Data::SQLite::Utility::dbHandle(*session_);
  sqlite3_wal_hook(db, &SqliteStateStore::afterCommit, this);
  *session_ << "PRAGMA synchronous=NORMAL", now;
}

SqliteStateStore::~SqliteStateStore() {
  // The cache's statements are finalized first, so that closing really closes the connection
  // (with statements left, SQLite keeps it open until the last one is finalized).
  statements_.reset();
  // The checkpoint connection (branch pushtail) closes first, so that the writer's is the last:
  // it checkpoints and removes the log, as before.
  checkpointConnection_.reset();
  try {
    if (session_) session_->close();
  } catch (...) {  // NOLINT: closing a broken session must not throw from a destructor
  }
}

dms::Error SqliteStateStore::failure(const std::string& what, const std::string& detail) const {
  return dms::fail(dms::ErrorCode::Unavailable,
                   "state database " + file_ + ": " + what + ": " + withAdvice(detail));
}

dms::Result<std::unique_ptr<SqliteStateStore>> SqliteStateStore::open(const std::string& file) {
  return openAtVersionForTest(file, kSchemaVersion);
}

dms::Result<std::unique_ptr<SqliteStateStore>> SqliteStateStore::openAtVersionForTest(
    const std::string& file, int version) {
  std::unique_ptr<SqliteStateStore> store;
  // Poco retries opening for its login timeout: a missing folder is reported at once instead.
  const auto parent = std::filesystem::path(file).parent_path();
  std::error_code ec;
  if (!parent.empty() && !std::filesystem::is_directory(parent, ec))
    return dms::fail(
        dms::ErrorCode::Unavailable,
        "state database " + file + ": cannot open: folder " + parent.string() + " does not exist");
  try {
    registerConnectorOnce();
    auto session = std::make_unique<Poco::Data::Session>("SQLite", file, kOpenTimeoutSeconds);
    *session << "PRAGMA journal_mode=WAL", now;
    // FULL for the table created below; the store switches to group commit (NORMAL) once its
    // commit hook is installed.
    *session << "PRAGMA synchronous=FULL", now;
    *session << "PRAGMA busy_timeout=10000", now;
    *session << "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, "
                "applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ','now')))",
        now;
    store.reset(new SqliteStateStore(file, std::move(session)));
  } catch (const Poco::Exception& e) {
    return dms::fail(dms::ErrorCode::Unavailable,
                     "state database " + file + ": cannot open: " + withAdvice(e.displayText()));
  }
  if (auto s = store->migrate(version); !s) return s.error();
  return store;
}

dms::Status SqliteStateStore::migrate(int upTo) {
  return durably([&]() -> dms::Status {
    int current = 0;
    try {
      *session_ << "SELECT COALESCE(MAX(version), 0) FROM schema_migrations", into(current), now;
    } catch (const Poco::Exception& e) {
      return failure("reading the schema version", e.displayText());
    }
    const int known = static_cast<int>(migrations().size());
    if (current > known)
      return dms::fail(dms::ErrorCode::NotSupported,
                       "state database " + file_ + " has schema version " +
                           std::to_string(current) + ", newer than this plugin knows (" +
                           std::to_string(known) + "): use a newer plugin");
    // Every pending step in one transaction: a fresh state then costs one commit (one fdatasync)
    // instead of one per step, which every first `sync` pays (issue 15, row 1), and a failed step
    // leaves the database at the version it had, never between two.
    int v = current + 1;
    try {
      TransactionGuard tx(*session_);
      for (; v <= std::min(upTo, known); ++v) {
        for (const auto& sql : migrations()[static_cast<std::size_t>(v - 1)]) *session_ << sql, now;
        *session_ << "INSERT INTO schema_migrations(version) VALUES(?)", bind(v), now;
      }
      tx.commit();
    } catch (const Poco::Exception& e) {
      return dms::fail(dms::ErrorCode::Internal, "state database " + file_ +
                                                     ": migration to version " + std::to_string(v) +
                                                     " failed: " + e.displayText());
    }
    return {};
  });
}

dms::Result<int> SqliteStateStore::schemaVersion() {
  std::lock_guard lock(mutex_);
  try {
    int v = 0;
    *session_ << "SELECT COALESCE(MAX(version), 0) FROM schema_migrations", into(v), now;
    return v;
  } catch (const Poco::Exception& e) {
    return failure("reading the schema version", e.displayText());
  }
}

dms::Result<ApiIdentity> SqliteStateStore::claimApiIdentity(const ApiIdentity& identity) {
  return durably([&]() -> dms::Result<ApiIdentity> {
    try {
      TransactionGuard tx(*session_);
      *session_ << "INSERT OR IGNORE INTO api_identity(id, origin, client_id, recorded_at) "
                   "VALUES(1, ?, ?, ?)",
          bind(identity.origin), bind(identity.clientId), bind(identity.recordedAt), now;
      ApiIdentity recorded;
      *session_ << "SELECT origin, client_id, recorded_at FROM api_identity WHERE id = 1",
          into(recorded.origin), into(recorded.clientId), into(recorded.recordedAt), now;
      tx.commit();
      return recorded;
    } catch (const Poco::Exception& e) {
      return failure("recording the API it belongs to", e.displayText());
    }
  });
}

dms::Result<bool> SqliteStateStore::trackOrder(const TrackedOrder& o) {
  return durably([&]() -> dms::Result<bool> {
    try {
      TransactionGuard tx(*session_);
      const bool isNew = trackIn(o);
      tx.commit();
      return isNew;
    } catch (const Poco::Exception& e) {
      return failure("tracking order " + std::to_string(o.id), e.displayText());
    }
  });
}

dms::Result<std::optional<TrackedOrder>> SqliteStateStore::order(std::int64_t id) {
  std::lock_guard lock(mutex_);
  try {
    auto select =
        statements_->prepare(std::string("SELECT ") + kOrderColumns + " FROM orders WHERE id = ?");
    select.bind(1, id);
    if (!select.step()) return std::optional<TrackedOrder>();
    return std::optional<TrackedOrder>(rows::orderFrom(select));
  } catch (const Poco::Exception& e) {
    return failure("reading order " + std::to_string(id), e.displayText());
  }
}

dms::Status SqliteStateStore::updateOrderStatus(std::int64_t id, const std::string& status,
                                                const std::string& checkedAt, bool final) {
  OrderChanges changes;
  changes.status = OrderStatusSeen{id, status, checkedAt, final};
  return writeChanges(changes, "updating order " + std::to_string(id));
}

dms::Result<std::vector<AssetRecord>> SqliteStateStore::selectAssets(const std::string& where,
                                                                     const std::string& param,
                                                                     std::int64_t id) {
  std::lock_guard lock(mutex_);
  try {
    // Sorted here, not by an ORDER BY: an order's rows come through assets_by_order, whose
    // entries hold row ids, not asset ids, so SQLite set up a sorter for every order read
    // (~0.8 % of a first sync's CPU). std::string's < orders bytes as SQLite's BINARY does.
    auto select =
        statements_->prepare(std::string("SELECT ") + kAssetColumns + " FROM assets " + where);
    if (where.find("asset_id = ?") != std::string::npos) select.bind(1, param);
    if (where.find("order_id = ?") != std::string::npos) select.bind(1, id);
    std::vector<AssetRecord> out;
    while (select.step()) out.push_back(rows::assetFrom(select));
    std::sort(out.begin(), out.end(), [](const AssetRecord& a, const AssetRecord& b) {
      return std::tie(a.orderId, a.assetId) < std::tie(b.orderId, b.assetId);
    });
    return out;
  } catch (const Poco::Exception& e) {
    return failure("reading assets", e.displayText());
  }
}

dms::Result<std::optional<AssetRecord>> SqliteStateStore::asset(const std::string& assetId) {
  auto rows = selectAssets("WHERE asset_id = ?", assetId, 0);
  if (!rows) return rows.error();
  if (rows->empty()) return std::optional<AssetRecord>();
  return std::optional<AssetRecord>(rows->front());
}

dms::Result<std::vector<AssetRecord>> SqliteStateStore::assetsOfOrder(std::int64_t orderId) {
  return selectAssets("WHERE order_id = ?", "", orderId);
}

dms::Result<std::optional<std::string>> SqliteStateStore::pathHolder(
    const std::string& path, const std::string& exceptAssetId) {
  std::lock_guard lock(mutex_);
  try {
    auto select = statements_->prepare(
        "SELECT asset_id FROM assets WHERE path = ? AND asset_id <> ? AND state IN "
        "('filing', 'filed', 'removing') LIMIT 1");
    select.bindAll(path, exceptAssetId);
    if (!select.step()) return std::optional<std::string>();
    return std::optional<std::string>(select.text(0));
  } catch (const Poco::Exception& e) {
    return failure("looking up path", e.displayText());
  }
}

dms::Status SqliteStateStore::commit(const std::vector<AssetRecord>& assets,
                                     const std::vector<AuditEntry>& audit) {
  OrderChanges changes;
  changes.assets = assets;
  changes.audit = audit;
  return writeChanges(changes, "writing " + std::to_string(assets.size()) + " asset records");
}

dms::Result<std::vector<AuditEntry>> SqliteStateStore::audit(std::optional<std::int64_t> orderId,
                                                             std::size_t limit) {
  std::lock_guard lock(mutex_);
  try {
    Statement select(*session_);
    select << "SELECT " << kAuditColumns
           << " FROM ("
              "SELECT * FROM audit "
           << (orderId ? "WHERE order_id = ? " : "") << "ORDER BY seq DESC LIMIT ?) ORDER BY seq";
    if (orderId) select, bind(*orderId);
    select, bind(static_cast<Poco::Int64>(limit));
    select.execute();
    RecordSet rs(select);
    std::vector<AuditEntry> out;
    for (std::size_t r = 0; r < rs.rowCount(); ++r) {
      out.push_back(auditFromRow(rs, r));
    }
    return out;
  } catch (const Poco::Exception& e) {
    return failure("reading the audit log", e.displayText());
  }
}

dms::Result<std::int64_t> SqliteStateStore::enqueue(const InboxMessage& m, std::size_t maxOrders,
                                                    bool* merged) {
  std::vector<bool> wasWaiting;
  auto stored = enqueueBatch({m}, maxOrders, &wasWaiting);
  if (!stored) return stored.error();
  if (merged != nullptr && !wasWaiting.empty()) *merged = wasWaiting.front();
  return stored->front();
}

dms::Result<std::vector<dms::Result<std::int64_t>>> SqliteStateStore::enqueueBatch(
    const std::vector<InboxMessage>& messages, std::size_t maxOrders, std::vector<bool>* merged) {
  return durably([&]() -> dms::Result<std::vector<dms::Result<std::int64_t>>> {
    try {
      TransactionGuard tx(*session_);
      std::vector<dms::Result<std::int64_t>> stored;
      stored.reserve(messages.size());
      if (merged != nullptr) merged->assign(messages.size(), false);
      for (std::size_t i = 0; i < messages.size(); ++i) {
        bool wasWaiting = false;
        stored.push_back(mergeIntoInbox(messages[i], maxOrders, wasWaiting));
        if (merged != nullptr) (*merged)[i] = wasWaiting;
      }
      tx.commit();
      return stored;
    } catch (const Poco::Exception& e) {
      return failure(messages.size() == 1
                         ? "storing a push message"
                         : "storing " + std::to_string(messages.size()) + " push messages",
                     e.displayText());
    }
  });
}

dms::Result<std::vector<InboxMessage>> SqliteStateStore::dueMessages(
    std::int64_t nowEpoch, std::int64_t longestWaitSeconds, std::size_t limit) {
  std::lock_guard lock(mutex_);
  try {
    Statement select(*session_);
    // retryDue() in SQL (not_before - now cannot overflow: both are >= 0).
    select << "SELECT " << kInboxColumns
           << " FROM inbox WHERE not_before <= ? OR not_before - ? > ? ORDER BY seq LIMIT ?",
        bind(nowEpoch), bind(nowEpoch), bind(longestWaitSeconds),
        bind(static_cast<Poco::Int64>(limit));
    select.execute();
    RecordSet rs(select);
    std::vector<InboxMessage> out;
    for (std::size_t r = 0; r < rs.rowCount(); ++r) {
      out.push_back(inboxFromRow(rs, r));
    }
    return out;
  } catch (const Poco::Exception& e) {
    return failure("reading the push inbox", e.displayText());
  }
}

dms::Status SqliteStateStore::completeMessages(std::int64_t orderId, std::int64_t upToSeq) {
  return durably([&]() -> dms::Status {
    try {
      completeMessagesIn({orderId, upToSeq});
      return {};
    } catch (const Poco::Exception& e) {
      return failure("completing push messages", e.displayText());
    }
  });
}

dms::Status SqliteStateStore::postponeMessages(std::int64_t orderId, std::int64_t upToSeq,
                                               std::int64_t notBeforeEpoch,
                                               std::int64_t failedAtEpoch,
                                               std::int64_t failingSeconds,
                                               const std::string& error) {
  return durably([&]() -> dms::Status {
    try {
      *session_ << "UPDATE inbox SET attempts = attempts + 1, not_before = ?, first_failure = CASE "
                   "WHEN first_failure = 0 THEN ? ELSE first_failure END, last_failure = ?, "
                   "failing_seconds = ?, last_error = ? WHERE order_id = ? AND seq <= ?",
          bind(notBeforeEpoch), bind(failedAtEpoch), bind(failedAtEpoch), bind(failingSeconds),
          bind(error), bind(orderId), bind(upToSeq), now;
      return {};
    } catch (const Poco::Exception& e) {
      return failure("postponing push messages", e.displayText());
    }
  });
}

dms::Result<std::size_t> SqliteStateStore::inboxSize() {
  std::lock_guard lock(mutex_);
  try {
    Poco::Int64 n = 0;
    *session_ << "SELECT COUNT(*) FROM inbox", into(n), now;
    return static_cast<std::size_t>(n);
  } catch (const Poco::Exception& e) {
    return failure("counting the push inbox", e.displayText());
  }
}

// --- several hosts (issue 11)

dms::Result<std::unique_ptr<StateStore::Lease>> SqliteStateStore::tryLease(const LeaseKey&,
                                                                           LeaseMode) {
  // The data folder's lock (DataDirLock) already keeps every other filing process out.
  return std::make_unique<Lease>();
}

// --- status as data

dms::Result<OrderPage> SqliteStateStore::orderPage(const OrderQuery& query) {
  std::lock_guard lock(mutex_);
  try {
    return statussql::readOrderPage(*session_, query, SqlDialect::Sqlite,
                                    statussql::searchPattern(query.search));
  } catch (const Poco::Exception& e) {
    return failure("listing orders", e.displayText());
  }
}

dms::Result<std::vector<AssetRecord>> SqliteStateStore::failedAssets(std::size_t limit) {
  std::lock_guard lock(mutex_);
  try {
    return statussql::readFailedAssets(*session_, limit);
  } catch (const Poco::Exception& e) {
    return failure("listing failed assets", e.displayText());
  }
}

}  // namespace ambita::filing
