#pragma once
/// The engine's sequences, each written once and used by `run` (AmbitaPlugin), the admin
/// commands (`sync`, `track`, `verify`), the poller and the push workers:
///   - beginExclusiveRun(): take the data folder's lock (which recovers the target), allow
///     reconciles again, resolve the intents a killed run left, clean the spool; with a state
///     shared by several processes (PostgreSQL) the filing lease instead (see there);
///   - track(): record an order, audited only when it is newly tracked;
///   - ordersDueForCheck(): tracked orders not finished, or finished within poll.finishedDays;
///   - queuedOrders() + reconcileQueued(): the inbox's messages of one order folded into one
///     reconcile, answered when it succeeded;
///   - verify(): the state against the target, as a report (the command prints it).
/// Everything referred to outlives the service. Thread-safe as the Reconciler and StateStore are.

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "dms/DocumentTarget.h"
#include "filing/DataDirLock.h"
#include "filing/FilingConfig.h"
#include "filing/Reconciler.h"
#include "filing/StateStore.h"

namespace ambita::filing {

/// Held while this process files documents (`run`, `sync`, `verify --repair`). Releasing it
/// joins the download pool, then releases the data folder's lock (SQLite) or the shared filing
/// lease (a state shared by several processes).
class ExclusiveRun {
 public:
  ExclusiveRun(ExclusiveRun&& other) noexcept;
  ExclusiveRun& operator=(ExclusiveRun&&) = delete;
  ExclusiveRun(const ExclusiveRun&) = delete;
  ExclusiveRun& operator=(const ExclusiveRun&) = delete;
  ~ExclusiveRun();

  /// Intents of an earlier run resolved at the start, or why recovery failed (a target that is
  /// down: the service starts anyway, since each order's reconcile recovers its own intents
  /// first; `sync` and `verify --repair` stop).
  const dms::Result<std::size_t>& recovery() const { return recovery_; }
  /// Why the spool could not be cleaned, if it could not (a warning: nothing depends on it).
  const std::optional<std::string>& spoolProblem() const { return spoolProblem_; }

 private:
  friend class FilingService;
  ExclusiveRun(std::optional<DataDirLock> lock, std::unique_ptr<StateStore::Lease> filingLease,
               Reconciler& reconciler, dms::Result<std::size_t> recovery,
               std::optional<std::string> spoolProblem);

  std::optional<DataDirLock> lock_;                 ///< SQLite: this data folder's lock
  std::unique_ptr<StateStore::Lease> filingLease_;  ///< shared state: the Shared filing lease
  Reconciler* reconciler_;                          ///< null once moved from
  dms::Result<std::size_t> recovery_;
  std::optional<std::string> spoolProblem_;

  // --- The target's clean mark (issue 15, startup; DataDirLock.h)
 public:
  /// A command whose run ends here (`sync`) asks for the mark: left when the lock is released
  /// if nothing of this run wrote to the target. Not for a service, whose pushes never end.
  void leaveCleanMarkIfTargetUnwritten() noexcept { cleanMarkWanted_ = true; }

 private:
  bool cleanMarkWanted_ = false;
};

/// The inbox messages of one order, folded into one reconcile.
struct QueuedOrder {
  std::int64_t orderId = 0;
  std::int64_t upToSeq = 0;  ///< the newest message answered by this reconcile
  /// Push when any message came from a push (the order is tracked with that origin), else Poll.
  OrderOrigin origin = OrderOrigin::Poll;
  std::vector<InboxMessage> messages;
  Reason reason() const { return origin == OrderOrigin::Push ? Reason::Push : Reason::Poll; }
};

/// Groups inbox messages by order, in the order of each order's oldest message.
std::vector<QueuedOrder> groupByOrder(const std::vector<InboxMessage>& messages);

/// Whether a tracked order is still checked: not finished, or finished less than
/// `finishedDays` ago (files arrive after FINISHED).
bool dueForCheck(const TrackedOrder& order, int finishedDays);
/// The same from the order's finished time alone (StateStore::orderFinishTimesAfter).
bool dueForCheck(const std::string& finishedAt, int finishedDays);
/// Calls `due` with the id of each tracked order dueForCheck, by id, reading the orders a page
/// at a time (memory flat whatever their number: issue 15). The error of a failed page stops
/// the walk (the orders before it were given).
dms::Status forEachOrderDueForCheck(StateStore& store, int finishedDays,
                                    const std::function<void(std::int64_t)>& due);

/// What verify() found. Findings are in the order they were found.
struct VerifyReport {
  enum class Kind { Missing, Changed, Orphaned };
  struct Finding {
    Kind kind;
    std::string path;
    std::string detail;  ///< e.g. "asset a1, order 7" or "size 3, filed with 5"
  };
  std::vector<Finding> findings;
  std::vector<std::string> errors;  ///< one line each: what could not be checked or repaired
  std::size_t ok = 0, missing = 0, changed = 0, orphaned = 0;
  bool repaired = false;       ///< --repair was asked for
  std::size_t filedAgain = 0;  ///< with --repair: files filed again
  bool cancelled = false;      ///< stop() ended it early (cancelCommands): the rest is unchecked
  /// Nothing changed, orphaned or failing, and everything missing was filed again.
  bool clean() const {
    return errors.empty() && changed == 0 && orphaned == 0 &&
           (missing == 0 || (repaired && filedAgain >= missing));
  }
};

class FilingService {
 public:
  FilingService(Reconciler& reconciler, StateStore& store, dms::DocumentTarget& target,
                const FilingConfig& config, std::string dataDir)
      : reconciler_(reconciler),
        store_(store),
        target_(target),
        config_(config),
        dataDir_(std::move(dataDir)) {}

  /// The start-up sequence (see the class comment). Errors: the lock's (Locked when another
  /// process files with this data folder, or the target's recover() failing).
  ///
  /// With a state shared by several processes (StateStore::sharedByProcesses) there is no data
  /// folder lock: processes coordinate through leases. The target's recover() and the spool
  /// clean-up, which cannot tell a live put's temporary from a killed one's, run only when
  /// this process gets the Exclusive filing lease (no other process files); it then holds the
  /// Shared one like everyone else. Temporaries of a process killed while others file stay
  /// until a process starts alone (they are invisible in listings and harm nothing); intents
  /// are resolved per order under its lease.
  dms::Result<ExclusiveRun> beginExclusiveRun();

  /// What the last recover() of this data folder could not remove (see recoverTarget()).
  std::optional<TargetLeftovers> targetLeftovers() const {
    return filing::targetLeftovers(dataDir_);
  }

  /// Tracks `order`; true when it was new. The audit entry ("tracked", with `detail`) is
  /// written only for a newly tracked order, naming `actor` (who asked) when given.
  dms::Result<bool> track(TrackedOrder order, Reason reason, const std::string& detail = "",
                          const std::string& actor = "");

  /// The ids of every tracked order that dueForCheck() selects, in id order (read as ids and
  /// finished times only: memory independent of what the orders hold, issue 15).
  dms::Result<std::vector<std::int64_t>> ordersDueForCheck();

  /// Every inbox message due at `nowEpoch` (see StateStore::dueMessages), grouped by order.
  dms::Result<std::vector<QueuedOrder>> queuedOrders(std::int64_t nowEpoch,
                                                     std::int64_t longestWaitSeconds,
                                                     std::size_t limit);

  /// One reconcile for the order's queued messages, with what they say (their origin; never
  /// more: the GET decides); the messages are answered (removed) when it succeeded. `reason`
  /// defaults to the messages' own (push or poll); `sync` passes its own.
  dms::Result<ReconcileReport> reconcileQueued(const QueuedOrder& queued,
                                               std::optional<Reason> reason = std::nullopt,
                                               const ProgressFn& progress = {});

  /// Compares the state with the target: missing, changed (size; and SHA-256 unless `quick`)
  /// and orphaned files; with `repair` (run inside an ExclusiveRun) files the missing ones
  /// again (a stop() leaves those it did not reach recorded as they were, for the next repair).
  VerifyReport verify(bool repair, bool quick);

  /// Ends a verify() in progress before its next file, folder or order (the plugin's stop():
  /// a command running beside the service is cancelled, not finished first), and every one
  /// started until resumeCommands(). Thread-safe.
  void cancelCommands() noexcept { commandsCancelled_ = true; }
  void resumeCommands() noexcept { commandsCancelled_ = false; }

  Reconciler& reconciler() { return reconciler_; }
  StateStore& store() { return store_; }

 private:
  /// The missing files of each order, by asset id (what a repair files again).
  using MissingFiles = std::map<std::int64_t, std::set<std::string>>;
  void checkFiled(const AssetRecord& asset, bool quick, VerifyReport& report);
  void findOrphans(VerifyReport& report);
  void refileOrders(const MissingFiles& missing, VerifyReport& report);
  /// True (once, with an error in the report) when cancelCommands() ended the verify.
  bool cancelledNow(VerifyReport& report) const;

  Reconciler& reconciler_;
  StateStore& store_;
  dms::DocumentTarget& target_;
  const FilingConfig& config_;
  std::string dataDir_;
  std::atomic<bool> commandsCancelled_{false};

  // --- Several hosts (issue 11)
  /// beginExclusiveRun() for a shared state: the Shared filing lease, after recovering the
  /// target and cleaning the spool when no other process files (why the spool could not be
  /// cleaned goes to `spoolProblem`).
  dms::Result<std::unique_ptr<StateStore::Lease>> takeFilingLease(
      std::optional<std::string>& spoolProblem);
};

}  // namespace ambita::filing
