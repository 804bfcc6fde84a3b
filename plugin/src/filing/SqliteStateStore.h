#pragma once
/// StateStore in one SQLite file (`<dataDir>/state.db`) through Poco::Data: WAL journal,
/// synchronous=NORMAL with the log synced by a group commit before a write returns (an intent
/// is on disk before the target is touched: SqliteLogSync.h), busy timeout for a
/// second process (an administrator's `status` while the service runs), and a versioned schema
/// whose migrations are applied in order at open (table schema_migrations).
///
/// Threading: one session guarded by a mutex; every method is one transaction. The statements
/// run per file and per order are compiled once and kept (SqliteStatements), on that session.
/// Every method that writes runs through durably(): its commit is synced after the mutex is
/// released, by a sync of the log that started after it was written, shared by every commit
/// written before that sync started (SqliteLogSync.h: up to three such syncs overlap).

#include <Poco/Data/Session.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include "filing/SqliteLogSync.h"
#include "filing/SqliteStatements.h"
#include "filing/StateMigrations.h"
#include "filing/StateStore.h"

namespace ambita::filing {

class SqliteStateStore final : public StateStore {
 public:
  /// The newest schema version this code knows.
  static constexpr int kSchemaVersion = kStateSchemaVersion;

  /// Opens (creating if needed) the database at `file` and migrates it to kSchemaVersion.
  /// Errors: Unavailable (cannot open), Internal (migration failed; the message names the
  /// version), NotSupported (the file has a newer schema than this plugin knows).
  static dms::Result<std::unique_ptr<SqliteStateStore>> open(const std::string& file);

  /// Like open() but stops migrating at `version` (tests of the migration path).
  static dms::Result<std::unique_ptr<SqliteStateStore>> openAtVersionForTest(
      const std::string& file, int version);

  ~SqliteStateStore() override;

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
  // Several hosts (issue 11): one process per SQLite state (the data folder's lock), so every
  // lease is granted.
  dms::Result<std::unique_ptr<Lease>> tryLease(const LeaseKey& key, LeaseMode mode) override;
  bool sharedByProcesses() const override { return false; }

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
  SqliteStateStore(std::string file, std::unique_ptr<Poco::Data::Session> session);
  dms::Status migrate(int upTo);
  dms::Result<std::vector<AssetRecord>> selectAssets(const std::string& where,
                                                     const std::string& param, std::int64_t id);
  dms::Error failure(const std::string& what, const std::string& detail) const;

  std::string file_;
  std::mutex mutex_;
  std::unique_ptr<Poco::Data::Session> session_;

  // --- push group commit (issue 15)
  /// One message of enqueue()/enqueueBatch(), inside the caller's transaction and lock. An
  /// error is its refusal (inbox full); a failed statement throws. SqliteStateStoreInbox.cpp.
  /// `merged`: set to whether a message of the order was already waiting.
  dms::Result<std::int64_t> mergeIntoInbox(const InboxMessage& message, std::size_t maxOrders,
                                           bool& merged);

  // --- one state transaction per order (issue 15): SqliteStateStoreOrderChanges.cpp
 public:
  dms::Status commitOrder(const OrderChanges& changes) override;

 private:
  /// commitOrder(), with `what` naming the work in an error (the single-purpose writers use it).
  dms::Status writeChanges(const OrderChanges& changes, const std::string& what);
  // The parts of OrderChanges, each the one home of its SQL: inside the caller's transaction
  // and lock; a failed statement throws.
  /// True when the order was new.
  bool trackIn(const TrackedOrder& order);
  /// Asset records, audit entries and the outbox events they report.
  void commitAssetsIn(const std::vector<AssetRecord>& assets, const std::vector<AuditEntry>& audit);
  void recordCostsIn(const std::vector<LedgerLine>& lines, const std::vector<LedgerEntry>& entries);
  void updateOrderStatusIn(const OrderStatusSeen& seen);

 public:
  // scale (issue 15): one query for many orders
  dms::Result<std::vector<AssetRecord>> failedAssetsOfOrders(
      const std::vector<std::int64_t>& orderIds) override;

  // --- prepared statements kept per connection (issue 15, scale): SqliteStatements.h
 private:
  /// The SQL run per file and per order, compiled once on session_'s handle; used under
  /// mutex_ only (one connection, one thread at a time); finalized before session_ closes.
  std::unique_ptr<SqliteStatements> statements_;

  // --- inbox clearing folded into the order's commit (issue 15, branch push)
 private:
  /// The one home of completing inbox messages: inside the caller's transaction and lock.
  void completeMessagesIn(const AnsweredMessages& answered);

  // --- the write-ahead log kept at its working size (issue 15, branch pushack)
 public:
  /// Extends a log shorter than one checkpoint interval with zeros, so that no commit's sync
  /// also commits a new file size. SqliteStateStoreWal.cpp.
  void reserveCommitLog() override;

  // --- CPU per order (issue 15, branch ordercpu): SqliteStateStoreChecks.cpp
 public:
  dms::Status recordChecks(const std::vector<OrderCheck>& checks) override;

  // --- whole-table loads (issue 15, branch scalerest): SqliteStateStoreCounts.cpp
 public:
  dms::Result<std::vector<OrderStatusCount>> orderCountsByStatus() override;
  dms::Result<bool> placesFileAt(const std::string& path) override;
  dms::Result<std::vector<AssetRecord>> filedAssetsAfter(std::int64_t afterOrderId,
                                                         const std::string& afterAssetId,
                                                         std::size_t limit) override;

  // --- first-sync CPU per file: the state writes (issue 15, branch commitcpu):
  // SqliteStateStoreOrderChanges.cpp
 private:
  /// Updates the stored row of `asset` in place when its order, path and target path are the
  /// stored ones (inside the caller's transaction and lock): true when it did, false when the
  /// caller must insert or replace the row.
  bool updateAssetInPlace(const AssetRecord& asset);

  // --- checkpoints off the commit path (issue 15, branch pushtail):
  // SqliteStateStoreCheckpoints.cpp
 public:
  void moveCheckpointsOffCommits() override;
  bool checkpointIfDue() override;
  /// Log frames (pages written) after which a checkpoint is due: SQLite's own interval.
  static constexpr int kCheckpointFrames = 1000;
  /// Log frames at which a commit checkpoints itself after all, because nobody called
  /// checkpointIfDue() (or it could not finish): the log stays below this plus one transaction.
  static constexpr int kMostLogFrames = 4 * kCheckpointFrames;
  /// Frames after a checkpoint, while the log was not started again, before the next one is due.
  static constexpr int kCatchUpFrames = 256;
  /// Checkpoints run inside a commit (the bound) and by checkpointIfDue() so far.
  std::uint64_t checkpointsInCommitsForTest() const { return checkpointsInCommits_; }
  std::uint64_t checkpointsOffCommitsForTest() const { return checkpointsOffCommits_; }

 private:
  /// sqlite3_wal_hook on session_'s connection: runs after each commit, inside it (under
  /// mutex_), with the log's frame count.
  static int afterCommit(void* store, sqlite3* db, const char* schema, int frames);
  struct CloseConnection {
    void operator()(sqlite3* db) const;
  };
  std::atomic<bool> checkpointDue_{false};
  /// The log's frames at the last checkpointIfDue() (whether it could copy them all or not: the
  /// log is started again only by a commit that finds nothing left to copy); 0 before any and
  /// after one that failed.
  std::atomic<int> unfinishedLogFrames_{0};
  std::atomic<std::uint64_t> checkpointsInCommits_{0};
  std::atomic<std::uint64_t> checkpointsOffCommits_{0};
  /// Guards checkpointConnection_: one checkpoint at a time, never under mutex_.
  std::mutex checkpointMutex_;
  /// A second connection to the file, for checkpoints only: SQLite lets it copy the log into
  /// the database while session_'s connection commits.
  std::unique_ptr<sqlite3, CloseConnection> checkpointConnection_;

  // --- whole-table reads paged (issue 15, branch pglazy): SqliteStateStorePages.cpp
 public:
  dms::Result<std::vector<OrderFinish>> orderFinishTimesAfter(std::int64_t afterOrderId,
                                                              std::size_t limit) override;
  dms::Result<LedgerPage> ledgerOfOrdersAfter(std::int64_t afterOrderId,
                                              std::size_t orderLimit) override;

  // --- the last whole-table reads paged (issue 15, branch pagerest): SqliteStateStorePages.cpp
 public:
  dms::Result<std::vector<std::int64_t>> ordersWithIntentsAfter(std::int64_t afterOrderId,
                                                                std::size_t limit) override;

  // --- group commit: the log synced outside the mutex (issue 15, branch groupcommit):
  // SqliteLogSync.h
 public:
  /// Ends a writer's wait for another thread's sync of the log: it syncs the log itself (its
  /// commit is written, so it is made durable and reported, not Cancelled).
  void cancelWaits() noexcept override;
  void resumeWaits() noexcept override;
  /// The log's syncs (tests: count, hold or replace them).
  SqliteLogSync& logSyncForTest() { return *logSync_; }

 private:
  /// Runs `write` (one method's transaction) under mutex_, then, with the mutex released, waits
  /// until what it committed is durable: the one way a writing method reports success.
  template <class Write>
  auto durably(Write&& write) -> decltype(write());
  /// Created before session_'s commit hook is installed; counts the commits it reports.
  std::unique_ptr<SqliteLogSync> logSync_;
  /// Whether moveCheckpointsOffCommits() was called: until then afterCommit checkpoints as
  /// SQLite's own hook would (wal_autocheckpoint), which the commit-counting hook replaces.
  std::atomic<bool> checkpointsMovedOff_{false};
};

template <class Write>
auto SqliteStateStore::durably(Write&& write) -> decltype(write()) {
  std::unique_lock lock(mutex_);
  const std::uint64_t before = logSync_->commitsWritten();
  auto result = write();
  const std::uint64_t written = logSync_->commitsWritten();
  lock.unlock();
  if (!result || written == before) return result;
  if (auto durable = logSync_->waitDurable(written); !durable) return durable.error();
  return result;
}

}  // namespace ambita::filing
