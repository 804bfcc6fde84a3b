#pragma once
/// Reconciles one Ambita order with the document target: GET the order, walk its assets at both
/// levels, plan, act, record. Every delivered file lands once in the right folder with its
/// metadata; what Ambita withdraws is removed (or moved) per policy.
///
/// Crash safety (kill -9 at any point): before the target is touched, the intent is committed
/// to the state store (asset state Filing with its path, or Removing with its destination).
/// After the act the outcome is committed. Recovery (at start and before each reconcile of an
/// order) resolves every intent left behind by looking at the target: a Filing asset whose path
/// holds a file with metadata ambita.assetId == the asset is marked Filed, otherwise Failed and
/// filed again; a Removing asset's removal or move is completed. Files are put with
/// PutMode::CreateNew, so two assets never overwrite each other and a retry never duplicates.
/// State writes are batched (issue 15): one transaction for an order's intents (with its
/// tracking), one for everything after the target's batch (outcomes, audit, outbox events, cost
/// ledger, order status); a reconcile with nothing to file writes only the latter.
/// Target writes too: an order's files are staged into one dms::PutBatch and committed
/// (placed and made durable together) before the outcomes are recorded.
///
/// A file that fails (download, folder, put) is Failed with an attempt count and a next try:
/// push and poll reconciles leave it alone until then (1 min doubling to
/// filing.retryMaxMinutes), an administrator's sync retries it at once, and after
/// filing.maxAttempts it is given up (audited) until `sync --order` resets it.
/// A file whose filing stop() ended (the reconciler's stop, or a download, folder or put that
/// answered Cancelled) did not fail: no attempt is counted, no backoff, no `failed` audit
/// (`interrupted`, as recovery audits a killed run's). Its record goes back to what it was
/// before the reconcile when the intent kept its path; otherwise the intent stays, for the
/// next reconcile of the order or the next start to resolve from what the target holds (as
/// after a kill). One rule for every run: the service's, a sync's, a repair's.
///
/// Threading: reconcile() may be called from several threads; one order is processed by at most
/// one of them at a time (others wait). Folders are created before the puts that need them, and
/// folder changes that could touch one folder (creation, pruning) run one after the other
/// (FolderGate: no lock held while the target works; unrelated folders in parallel), so the
/// target is never asked to modify one path from two threads. Downloads of one
/// order run concurrently on a shared TaskPool of filing.concurrency threads, created on first use
/// and joined by releasePool(). No method throws.
///
/// Several processes sharing one state (PostgreSQL): the order's lease (StateStore::tryLease)
/// makes one process at a time reconcile it. A push or poll reconcile of an order leased
/// elsewhere returns Locked at once (the holder answers the inbox messages); an administrator's
/// (sync, verify --repair) waits for the lease.

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "api/OrderApi.h"
#include "dms/DocumentTarget.h"
#include "dms/Logger.h"
#include "filing/AssetMapper.h"
#include "filing/AuditLog.h"
#include "filing/Clock.h"
#include "filing/FilingConfig.h"
#include "filing/FolderGate.h"
#include "filing/OrderPlan.h"
#include "filing/StateStore.h"
#include "filing/TaskPool.h"
#include "metrics/PluginMetrics.h"

namespace ambita::filing {

class CheckBatch;

struct ReconcileReport {
  std::int64_t orderId = 0;
  std::string status;                 ///< the order's status as Ambita reported it
  std::size_t filed = 0;              ///< files put now
  std::size_t removed = 0;            ///< files removed or moved now
  std::size_t unchanged = 0;          ///< assets already in their final state
  std::size_t failed = 0;             ///< assets that could not be filed or removed (retried later)
  std::size_t waiting = 0;            ///< failed assets not retried now: backoff or given up
  std::size_t interrupted = 0;        ///< files whose filing stop() ended (not failures; in
                                      ///< problems, so not ok(): the order is asked again)
  std::size_t recovered = 0;          ///< intents of an interrupted run resolved first
  std::size_t downloads = 0;          ///< downloads started
  std::vector<std::string> problems;  ///< one line per failure, naming asset and cause
  std::uint64_t filedBytes = 0;       ///< bytes of the files put now
  bool ok() const { return failed == 0 && problems.empty(); }
};

/// What preview() says about one asset.
struct PreviewEntry {
  std::string assetId;
  std::string assetStatus;
  std::string action;  ///< "file", "already filed", "remove", "move", "none"
  std::string path;
  dms::Metadata metadata;
};

/// Progress lines for a person watching (sync on a terminal).
using ProgressFn = std::function<void(const std::string&)>;

class Reconciler {
 public:
  /// Everything referred to must outlive the Reconciler. `spoolDir` is created if missing.
  /// `clock` decides when a failed asset is due again (tests move it instead of waiting).
  Reconciler(api::OrderApi& api, dms::DocumentTarget& target, StateStore& store,
             const FilingConfig& config, dms::Logger& logger, std::filesystem::path spoolDir,
             EpochClock clock = systemClock());

  /// True when a failed asset has used up filing.maxAttempts and is no longer retried by
  /// itself (an explicit `sync --order` resets it).
  static bool givenUp(const AssetRecord& record, const FilingConfig& config);
  ~Reconciler();
  Reconciler(const Reconciler&) = delete;
  Reconciler& operator=(const Reconciler&) = delete;

  /// Reconciles one order (see the class comment). Errors: the order could not be read
  /// (NotFound, Unavailable, Unauthenticated, InvalidArgument from the API, message naming the
  /// order), the state store failed, or Cancelled after requestStop(). Failures of single files
  /// are not errors: they are counted in the report (ok() false) and retried next time.
  /// `hint` (optional) carries what a push message or the order command knew about the order
  /// (reference, technical reference, cadastre, address): stored once the GET has shown the
  /// order exists, before any file is mapped, so the first files already use it.
  /// `answers` (optional, the push inbox's messages that asked for this reconcile): removed in
  /// the reconcile's last commit when it succeeds (report ok()), atomically with what it filed;
  /// otherwise left queued.
  /// `checks` (optional, a run over many orders): when the reconcile finds nothing to record
  /// but the check itself (issue 15), the check goes there instead of into a transaction.
  /// `fileAgain` (optional, verify --repair): assets recorded filed whose file is missing,
  /// filed again; a stop() leaves them recorded filed (and missing), for the next repair.
  dms::Result<ReconcileReport> reconcile(std::int64_t orderId, Reason reason,
                                         const ProgressFn& progress = {},
                                         const TrackedOrder* hint = nullptr,
                                         std::optional<AnsweredMessages> answers = std::nullopt,
                                         CheckBatch* checks = nullptr,
                                         const std::set<std::string>* fileAgain = nullptr);

  /// Where each asset of the order would go and with what metadata; writes nothing (neither
  /// state nor target). Errors as reconcile().
  dms::Result<std::vector<PreviewEntry>> preview(std::int64_t orderId);

  /// Resolves every unfinished intent of every order. Returns how many were resolved.
  dms::Result<std::size_t> recoverAll();

  /// Deletes leftover spool files. Call only when no reconcile runs in any process.
  dms::Status cleanSpool();

  /// Makes running and future reconciles stop early (Cancelled); in-flight downloads are
  /// abandoned at the next check and their intents resolved by the next recovery.
  void requestStop();
  /// Allows reconciling again after requestStop().
  void resetStop();
  /// Joins the download pool (call after every reconcile has returned).
  void releasePool();

 private:
  struct FileJob;
  class OrderLock;

  dms::Result<std::size_t> recoverAssets(const std::vector<AssetRecord>& records);
  /// The order's asset records after its unfinished intents were resolved.
  struct RecoveredOrder {
    std::size_t recovered = 0;        ///< intents resolved
    std::vector<AssetRecord> assets;  ///< every asset record of the order, as it stands now
  };
  /// Resolves the order's own unfinished intents (before its reconcile acts). The records are
  /// read once (the reconcile plans with them), a second time only when an intent was resolved.
  dms::Result<RecoveredOrder> recoverOrder(std::int64_t orderId);
  /// Tracks the order the GET has just shown to exist (with what `hint` knew) and returns the
  /// tracked record (reference and all, as stored the first time).
  /// Nothing is written: what tracking changes goes into `pending` (the reconcile's next commit).
  dms::Result<TrackedOrder> trackSeenOrder(std::int64_t orderId, const api::OrderCollection& order,
                                           Reason reason, const TrackedOrder* hint,
                                           OrderChanges& pending);
  /// Ambita promises unique asset ids; an asset the plan would file (or note as withdrawn) whose
  /// id the state holds for another order (an API listing it in two orders) is left to that
  /// order (PlannedAction::Skip): recording it here would take the other order's record away,
  /// and each order would then download and file it again at every check.
  dms::Status leaveOtherOrdersAssets(OrderPlan& plan, std::int64_t orderId);
  dms::Status resolveIntent(AssetRecord& record, std::vector<AuditEntry>& audit);
  dms::Result<bool> holdsAsset(const std::string& path, const std::string& assetId);
  /// Whether choosePath asks the target if a candidate name is free. A new file's put finds
  /// out itself (CreateNew answers AlreadyExists, then putSpooled adopts or moves on), so it
  /// need not pay a request a file for the question (issue 15: 3 WebDAV requests a file);
  /// a move or a preview has no such answer and asks.
  enum class NameProbe { AskTarget, LeaveToThePut };
  dms::Result<std::string> choosePath(const std::string& folder, const std::string& name,
                                      const std::string& assetId, std::set<std::string>& reserved,
                                      NameProbe probe = NameProbe::AskTarget);
  dms::Status performRemoval(const AssetRecord& record);
  enum class Placed { Moved, Copied };
  /// Makes the folder of `to` and moves `from` there (or, on a target without move, copies it:
  /// the caller then removes `from`), as one folder change through folderGate_.
  dms::Result<Placed> placeAt(const std::string& from, const std::string& to);
  void fileOne(const api::OrderCollection& order, FileJob& job, dms::PutBatch& batch,
               std::set<std::string>& reserved, std::mutex& reservedMutex);
  /// Downloads the asset into the batch at the job's path (CreateNew): makes a vanished folder
  /// again once, adopts our own file left by an interrupted run, and moves on to the next free
  /// name when someone else's file took it (each try a new download). False (job.problem set)
  /// when it could not be stored; `downloaded`: the size and hash of the body read whole.
  bool storeAsset(const api::OrderCollection& order, FileJob& job, dms::PutBatch& batch,
                  std::set<std::string>& reserved, std::mutex& reservedMutex,
                  const std::string& filedAt, std::optional<api::Download>& downloaded);
  /// One try: the download streamed straight into the batch's put (the metadata, naming size
  /// and SHA-256, made once the body was read whole), or held whole first (HeldBody: in memory
  /// up to heldInMemoryLimit(), else in the spool file) when the batch has no streaming put.
  /// The put's result; a failed download sets job.problem.
  dms::Result<dms::EntryInfo> downloadInto(const api::OrderCollection& order, FileJob& job,
                                           dms::PutBatch& batch, const std::string& filedAt,
                                           std::optional<api::Download>& downloaded);
  /// Commits the order's batch: a staged job whose file the target did not place gets a problem
  /// (and is retried later), so only durably placed files are recorded as filed.
  void settleBatch(dms::PutBatch& batch, const std::vector<FileJob*>& jobs);
  /// Commits the removals' intents with `pending` (emptied), removes, and leaves the outcomes in
  /// `pending` for the reconcile's next commit.
  void processRemovals(std::vector<AssetRecord> records, Reason reason, ReconcileReport& report,
                       const ProgressFn& progress, OrderChanges& pending);
  /// Commits the intents with `pending` (emptied), files the order's batch, and leaves the
  /// outcomes in `pending` for the reconcile's last commit.
  dms::Status processFilings(const api::OrderCollection& order, std::vector<FileJob>& jobs,
                             Reason reason, ReconcileReport& report, const ProgressFn& progress,
                             OrderChanges& pending);
  /// The target's ensureFolder, through folderGate_: targets may not be asked to modify the
  /// same path concurrently (two orders can share a parent folder). Errors also those of
  /// FolderGate::enter (Cancelled after requestStop(), Unavailable after waiting too long).
  dms::Status ensureFolder(const std::string& folder);
  /// Runs `change` (target calls that may create or delete folders on `path`) through
  /// folderGate_: after a colliding change of another thread, and before the next.
  dms::Status folderChange(const std::string& path, const std::function<dms::Status()>& change);
  /// The target's remove() with pruning of empty parents, through folderGate_ like ensureFolder.
  dms::Status removePruning(const std::string& path);
  /// Acting on one planned asset: into the removals, the withdrawn-before-filed notes or the
  /// filing jobs, or counted in the report (waiting, unchanged). Its context and record move
  /// into the job, removal or note (the plan is not used afterwards).
  void sortByAction(PlannedAsset&& planned, const std::string& orderName, ReconcileReport& report,
                    std::vector<AssetRecord>& removals, std::vector<AssetRecord>& notes,
                    std::vector<FileJob>& jobs);
  /// Counts a failed attempt: the asset's next try (backoff) or, at the limit, giving up.
  void recordFailure(FileJob& job, Reason reason);
  /// A job stop() ended (see the class comment): audited `interrupted`; true when its record
  /// goes back to what it was (then in job.record), false when the intent stays for recovery.
  bool recordInterruption(FileJob& job, Reason reason);
  TaskPool& pool();
  std::filesystem::path spoolFile(const std::string& assetId) const;

  api::OrderApi& api_;
  dms::DocumentTarget& target_;
  StateStore& store_;
  const FilingConfig& config_;
  dms::Logger& logger_;
  std::filesystem::path spoolDir_;
  EpochClock clock_;
  AssetMapper mapper_;
  std::atomic<bool> stop_{false};

  std::mutex poolMutex_;
  std::unique_ptr<TaskPool> pool_;

  std::mutex busyMutex_;
  std::condition_variable busyCv_;
  std::set<std::int64_t> busy_;  ///< orders being reconciled now

  // --- Several hosts (issue 11)
  /// The order's lease (never null on success). Without `wait`, Locked at once when another
  /// process holds it; with it, waits (at most 15 min; requestStop() ends the wait).
  dms::Result<std::unique_ptr<StateStore::Lease>> takeOrderLease(std::int64_t orderId, bool wait);

  // --- metrics (issue 9): each reconcile's report and duration, downloads in flight
 public:
  /// Counts into `metrics` from now on (null: not counted). Set before any reconcile runs;
  /// `metrics` must outlive the Reconciler.
  void countInto(metrics::FilingMetrics* metrics) { metrics_ = metrics; }

 private:
  /// Adds a finished reconcile's report and duration (also one that ended in an error).
  void countReconcile(const ReconcileReport& report, double seconds) noexcept;
  metrics::FilingMetrics* metrics_ = nullptr;

  // --- WebDAV without the disk spool (issue 15 row 2)
  /// The largest body held in memory for a put without streaming (HeldBody), so that all
  /// filing threads together hold at most a few MiB; a bigger body is spooled.
  std::size_t heldInMemoryLimit() const;

  // --- The target's clean mark (issue 15, startup; DataDirLock.h)
 public:
  /// Whether anything was asked to write to the target (a put, remove, move or folder) since
  /// forgetTargetWrites(): a run that wrote nothing cannot have left a temporary.
  bool wroteToTarget() const noexcept { return wroteToTarget_; }
  void forgetTargetWrites() noexcept { wroteToTarget_ = false; }

 private:
  /// Called before every call that writes to the target, whatever its outcome.
  void noteTargetWrite() noexcept { wroteToTarget_ = true; }
  std::atomic<bool> wroteToTarget_{false};

  // --- Folder changes without a lock across the target's I/O (issue 15, rowone)
 public:
  /// Folder changes (ensureFolder, pruning remove) waiting now for a colliding one of another
  /// thread (FolderGate::waiting; for tests and diagnostics).
  std::size_t folderChangesWaiting() const { return folderGate_.waiting(); }

 private:
  /// Lets colliding folder changes run one after the other (replaces a mutex held across the
  /// target's call); requestStop() ends its waits.
  FolderGate folderGate_;

  // --- recover() leftovers (issue 15, startcost)
 public:
  /// The log the engine's start-up writes to (recoverTarget(): the leftovers recover() names).
  dms::Logger& logger() const noexcept { return logger_; }
};

}  // namespace ambita::filing
