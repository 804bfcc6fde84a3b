#pragma once
/// StateStore in a PostgreSQL database (`state.url`, e.g. postgresql://dms@db:5432/ambita),
/// through Poco::Data::PostgreSQL: the same tables and versioned migrations as SqliteStateStore
/// (table schema_migrations) in PostgreSQL's dialect, so several processes can share one state.
///
/// Threading: no lock of ours is held while talking to the database. Each call borrows one
/// session from a bounded pool (at most kMaxConnections; a caller waits at most kPoolWait for
/// one, then gets Unavailable; cancelWaits() ends the wait at once with Cancelled) and runs as one
/// transaction on it. The pool is our own, not Poco::Data::SessionPool: that one keeps handing out
/// a session whose connection broke (the database restarted) and cannot drop it. Ours tests a
/// session before use and drops one that failed. Migrations and inbox merges serialise across
/// processes with transaction-scoped advisory locks in the database.
///
/// Leases (tryLease) are session advisory locks, each on a connection of its own kept for as
/// long as the lease is held (outside the pool, so holding leases never starves queries). Why
/// advisory locks rather than lease rows with an expiry: the server releases them the moment
/// the holder's connection ends, and a killed process's connections end with it (the kernel
/// closes its sockets), so a survivor takes over at once, with no expiry to tune, no renewal
/// thread and no clock shared between machines. Keys: an order's lease is the bigint key of
/// its id; polling and filing use fixed keys far above any order id.
///
/// Errors never contain the password: messages name the database as postgresql://user@host:port/db.

#include <Poco/Data/Session.h>

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "filing/PostgresLocation.h"
#include "filing/StateMigrations.h"
#include "filing/StateStore.h"

namespace ambita::filing {

class PostgresStateStore final : public StateStore {
 public:
  /// The newest schema version this code knows (the same numbering as SqliteStateStore).
  static constexpr int kSchemaVersion = kStateSchemaVersion;
  static constexpr std::size_t kMaxConnections = 8;
  static constexpr std::chrono::seconds kPoolWait{10};
  static constexpr int kConnectTimeoutSeconds = PostgresLocation::kConnectTimeoutSeconds;

  /// Connects to the database at `url`, creates or migrates its tables to kSchemaVersion.
  /// Errors: InvalidArgument (bad url), Unavailable (cannot connect: names host:port), Internal
  /// (a migration failed: names the version), NotSupported (the database has a newer schema
  /// than this plugin knows: names both versions).
  static dms::Result<std::unique_ptr<PostgresStateStore>> open(const std::string& url);
  /// Like open() but stops migrating at `version` (tests of the migration path).
  static dms::Result<std::unique_ptr<PostgresStateStore>> openAtVersionForTest(
      const std::string& url, int version);

  ~PostgresStateStore() override;

  // StateStore
  dms::Result<int> schemaVersion() override;
  dms::Result<ApiIdentity> claimApiIdentity(const ApiIdentity& identity) override;
  dms::Result<bool> trackOrder(const TrackedOrder& order) override;
  dms::Result<std::optional<TrackedOrder>> order(std::int64_t id) override;
  dms::Status updateOrderStatus(std::int64_t id, const std::string& status,
                                const std::string& checkedAt, bool final) override;
  dms::Result<std::optional<AssetRecord>> asset(const std::string& assetId) override;
  dms::Result<std::vector<AssetRecord>> assetsOfOrder(std::int64_t orderId) override;
  dms::Result<std::optional<std::string>> pathHolder(const std::string& path,
                                                     const std::string& exceptAssetId) override;
  dms::Status commit(const std::vector<AssetRecord>& assets,
                     const std::vector<AuditEntry>& audit) override;
  dms::Result<std::vector<AuditEntry>> audit(std::optional<std::int64_t> orderId,
                                             std::size_t limit) override;
  dms::Result<std::int64_t> enqueue(const InboxMessage& message, std::size_t maxOrders = 0,
                                    bool* merged = nullptr) override;
  dms::Result<std::vector<InboxMessage>> dueMessages(std::int64_t nowEpoch,
                                                     std::int64_t longestWaitSeconds,
                                                     std::size_t limit) override;
  dms::Status completeMessages(std::int64_t orderId, std::int64_t upToSeq) override;
  dms::Status postponeMessages(std::int64_t orderId, std::int64_t upToSeq,
                               std::int64_t notBeforeEpoch, std::int64_t failedAtEpoch,
                               std::int64_t failingSeconds, const std::string& error) override;
  dms::Result<std::size_t> inboxSize() override;
  // status as data
  dms::Result<OrderPage> orderPage(const OrderQuery& query) override;
  dms::Result<std::vector<AssetRecord>> failedAssets(std::size_t limit) override;

  // cost ledger (issue 12)
  dms::Status recordCosts(const std::vector<LedgerLine>& lines,
                          const std::vector<LedgerEntry>& entries) override;
  dms::Result<std::vector<LedgerLine>> ledgerLines(std::int64_t orderId) override;
  dms::Result<std::vector<LedgerEntry>> ledgerEntries(std::int64_t orderId) override;
  // Several hosts (issue 11): leases as session advisory locks, cancellable pool waits.
  dms::Result<std::unique_ptr<Lease>> tryLease(const LeaseKey& key, LeaseMode mode) override;
  bool sharedByProcesses() const override { return true; }
  void cancelWaits() noexcept override;
  void resumeWaits() noexcept override;

  // document events outbox (issue 10)
  dms::Result<std::vector<OutboxEvent>> dueEvents(std::int64_t nowEpoch,
                                                  std::int64_t longestWaitSeconds,
                                                  std::size_t limit) override;
  dms::Status completeEvent(std::int64_t seq) override;
  dms::Status postponeEvent(std::int64_t seq, std::int64_t notBeforeEpoch,
                            const std::string& error) override;
  dms::Result<std::size_t> outboxSize() override;
  dms::Result<std::size_t> dropOldestEvents(std::size_t keep) override;

  // --- push group commit (issue 15)
  dms::Result<std::vector<dms::Result<std::int64_t>>> enqueueBatch(
      const std::vector<InboxMessage>& messages, std::size_t maxOrders = 0,
      std::vector<bool>* merged = nullptr) override;

 private:
  explicit PostgresStateStore(PostgresLocation location);
  dms::Status migrate(int upTo);
  dms::Status applyMigration(int version);
  dms::Result<std::vector<AssetRecord>> selectAssets(const std::string& where,
                                                     const std::string& textParam,
                                                     std::optional<std::int64_t> idParam);
  dms::Error failure(const std::string& what, const std::string& detail) const;

  /// Runs `body(session)` on a pooled session; a Poco or std exception becomes
  /// failure(what, ...). Waits at most kPoolWait for a free session.
  template <class Body>
  auto withSession(const std::string& what, Body&& body)
      -> decltype(body(std::declval<Poco::Data::Session&>()));

  /// A session from the pool, or a new one while fewer than kMaxConnections are open; nullptr
  /// when none came free within kPoolWait. Connecting happens outside the pool's lock; throws
  /// what connecting throws.
  std::unique_ptr<Poco::Data::Session> borrowSession();
  /// Returns a session to the pool; a session that failed is closed instead.
  void returnSession(std::unique_ptr<Poco::Data::Session> session, bool failed);

  PostgresLocation location_;
  std::mutex poolMutex_;
  std::condition_variable sessionReturned_;
  std::vector<std::unique_ptr<Poco::Data::Session>> idleSessions_;
  std::size_t openSessions_ = 0;  ///< idle + borrowed

  // --- Several hosts (issue 11)
  class AdvisoryLease;
  /// A new session, configured like every one of ours. Throws what connecting throws.
  std::unique_ptr<Poco::Data::Session> connect() const;
  /// Releases a lease's advisory lock and keeps its session for the next lease (a session that
  /// failed is closed: its locks went with it).
  void endLease(std::unique_ptr<Poco::Data::Session> session, std::int64_t key, bool shared);
  bool waitsCancelled_ = false;                                          ///< guarded by poolMutex_
  std::vector<std::unique_ptr<Poco::Data::Session>> idleLeaseSessions_;  ///< poolMutex_
  // --- push group commit (issue 15)
  /// One message of enqueue()/enqueueBatch(), inside the caller's transaction (which holds the
  /// inbox lock). An error is its refusal (inbox full); a failed statement throws.
  static dms::Result<std::int64_t> mergeIntoInbox(Poco::Data::Session& session,
                                                  const InboxMessage& message,
                                                  std::size_t maxOrders, bool& merged);

  // --- one state transaction per order (issue 15)
 public:
  dms::Status commitOrder(const OrderChanges& changes) override;

 private:
  /// commitOrder(), with `what` naming the work in an error (the single-purpose writers use it).
  dms::Status writeChanges(const OrderChanges& changes, const std::string& what);
  // The parts of OrderChanges, each the one home of its SQL: inside the caller's transaction;
  // a failed statement throws.
  /// True when the order was new.
  static bool trackIn(Poco::Data::Session& session, const TrackedOrder& order);
  /// Asset records, audit entries and the outbox events they report.
  static void commitAssetsIn(Poco::Data::Session& session, const std::vector<AssetRecord>& assets,
                             const std::vector<AuditEntry>& audit);
  static void recordCostsIn(Poco::Data::Session& session, const std::vector<LedgerLine>& lines,
                            const std::vector<LedgerEntry>& entries);
  static void updateOrderStatusIn(Poco::Data::Session& session, const OrderStatusSeen& seen);
 public:
  // scale (issue 15): one query for many orders
  dms::Result<std::vector<AssetRecord>> failedAssetsOfOrders(
      const std::vector<std::int64_t>& orderIds) override;

  // --- inbox clearing folded into the order's commit (issue 15, branch push)
 private:
  /// The one home of completing inbox messages: inside the caller's transaction.
  static void completeMessagesIn(Poco::Data::Session& session, const AnsweredMessages& answered);

  // --- CPU per order (issue 15, branch ordercpu)
 public:
  dms::Status recordChecks(const std::vector<OrderCheck>& checks) override;

  // --- whole-table loads (issue 15, branch scalerest): at the end of
  // PostgresStateStore.cpp (its session pool and text rules are private to that file)
 public:
  dms::Result<std::vector<OrderStatusCount>> orderCountsByStatus() override;
  dms::Result<bool> placesFileAt(const std::string& path) override;
  dms::Result<std::vector<AssetRecord>> filedAssetsAfter(std::int64_t afterOrderId,
                                                         const std::string& afterAssetId,
                                                         std::size_t limit) override;

  // --- whole-table reads paged (issue 15, branch pglazy): at the end of
  // PostgresStateStore.cpp (its session pool is private to that file)
 public:
  dms::Result<std::vector<OrderFinish>> orderFinishTimesAfter(std::int64_t afterOrderId,
                                                              std::size_t limit) override;
  dms::Result<LedgerPage> ledgerOfOrdersAfter(std::int64_t afterOrderId,
                                              std::size_t orderLimit) override;

  // --- the last whole-table reads paged (issue 15, branch pagerest): the end of
  // PostgresStateStore.cpp
 public:
  dms::Result<std::vector<std::int64_t>> ordersWithIntentsAfter(std::int64_t afterOrderId,
                                                                std::size_t limit) override;
};

}  // namespace ambita::filing
