#pragma once
/// Group commit of the SQLite state's write-ahead log (issue 15, branches groupcommit, pushsync).
///
/// The state's connection runs with synchronous=NORMAL: a commit appends its frames to
/// `state.db-wal` under the store's mutex without syncing them. Before the store reports the
/// commit (the method returns), and after it released the mutex, it calls waitDurable(), which
/// returns once a `fdatasync` of the log that started after the commit was written has finished.
/// A sync covers every commit written before it started, so:
/// - a commit already covered by a running sync starts none: its thread waits for that one
///   (N threads committing at once cost one or two syncs, not N);
/// - a commit written while a sync runs starts its own at once (branch pushsync), so it waits
///   for its own sync only, not for the rest of the running one first; the disk overlaps them
///   (a second fdatasync started during a first ends about when the first does here);
/// - at most kMostSyncsInFlight run at once: a commit that finds them all running waits for one
///   to end, so a storm of commits does not become a storm of syncs.
///
/// Why this keeps "reported committed survives a power cut" (SQLite's WAL format, wal.c):
/// recovery replays the log's frames up to the last valid commit frame, frames carrying
/// cumulative checksums and the header's salts; a commit's frames are written before SQLite's
/// commit hook runs (noteCommitWritten), and fdatasync makes every write before it durable. With
/// synchronous=NORMAL SQLite still syncs the log before a checkpoint copies it, state.db after,
/// and the log's new header when it writes the log from its start again, so a commit moved into
/// state.db by a checkpoint or overwritten by a restarted log is durable there.
///
/// Syncs in flight at once each use a descriptor of their own, all opened together: Linux
/// reports a writeback error of the file once to each open file description (errseq), so each
/// sync sees an error that hit any page written before it started, even one another running sync
/// reports too. (Two syncs on one descriptor could both return 0 for a lost page: the first to
/// look takes the error.) That is what lets a sync that ends first vouch for its commits alone.
/// A descriptor opened later is not told of an error a running sync already took: a waiter
/// that stop() (cancelWaits()) left with every descriptor busy syncs on one opened for it and
/// vouches only if those syncs ended first (branch gaps2; else Unavailable, it does not wait).
///
/// The descriptors are checked against the path at each sync (device and inode): a log deleted
/// and created again (the last connection closed) is opened anew, never an old file synced
/// instead. A failed sync is final: the commits it covered cannot be vouched for (the kernel may
/// have dropped their pages), so every wait not yet answered fails too and the service must be
/// restarted.

#include <sys/types.h>

#include <array>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "dms/Error.h"

namespace ambita::filing {

class SqliteLogSync {
 public:
  /// Syncs the open log `fd`: 0, or an errno value. fdatasync unless a test replaces it.
  using SyncFunction = std::function<int(int fd)>;

  /// Syncs of the log running at once at most (waits not cancelled). Two cover a push group
  /// commit and a filing commit written during it; the third a sync's tail on a slow disk.
  static constexpr int kMostSyncsInFlight = 3;
  /// How long a commit waits for other threads' syncs of the log before it gives up.
  static constexpr int kLongestWaitSeconds = 60;

  /// `logFile`: the `-wal` file of the database; opened at the first sync.
  explicit SqliteLogSync(std::string logFile);
  ~SqliteLogSync();
  SqliteLogSync(const SqliteLogSync&) = delete;
  SqliteLogSync& operator=(const SqliteLogSync&) = delete;

  /// Called by SQLite's commit hook, under the store's mutex, after a commit's frames were
  /// written to the log.
  void noteCommitWritten() noexcept { written_.fetch_add(1, std::memory_order_release); }
  /// Commits written so far: a commit's number is this value right after it.
  std::uint64_t commitsWritten() const noexcept { return written_.load(std::memory_order_acquire); }

  /// Returns once a log sync that started after commit number `commit` was written has
  /// finished. Never called under the store's mutex. Waits for other threads' syncs at most
  /// kLongestWait (Unavailable after); after cancelWaits() it does not wait for anyone and syncs
  /// itself, on a free descriptor or, every one busy, on one opened for it. That one is not
  /// told of a writeback error a running sync was already told of (errseq marks it seen), so
  /// its success vouches only when the syncs running at its start have all ended by its end
  /// (their failure is final then); else it returns Unavailable, never a commit the log may
  /// have lost. Errors: Unavailable (this or an earlier sync failed; the log is missing; the
  /// case above).
  dms::Status waitDurable(std::uint64_t commit);

  /// Ends waits for another thread's sync at once: those callers sync the log themselves.
  void cancelWaits() noexcept;
  void resumeWaits() noexcept;

  /// Syncs of the log so far (tests: many commits, fewer syncs).
  std::uint64_t syncsForTest() const;
  /// The most syncs that ran at once so far (tests: the bound holds).
  int mostSyncsInFlightForTest() const;
  /// Threads waiting now for syncs other threads run (tests: order threads without timing).
  int waitingForTest() const;
  /// Replaces fdatasync (tests: count, hold or snapshot a sync). Call before any commit.
  void setSyncForTest(SyncFunction sync);

 private:
  struct Descriptors;
  /// The open log, opened again when the path names another file than the one open. Under
  /// mutex_. Error text when it cannot be opened.
  std::shared_ptr<Descriptors> openLog(std::string& error);
  /// Runs one sync for the caller and records what it covered. Called with `lock` held;
  /// releases it during the sync. Errors: Unavailable (the sync or an earlier one failed; or,
  /// on a descriptor opened for it after cancelWaits(), the syncs running then have not all
  /// ended, so it cannot vouch: see waitDurable()).
  dms::Status syncNow(std::unique_lock<std::mutex>& lock);

  const std::string logFile_;
  std::atomic<std::uint64_t> written_{0};

  mutable std::mutex mutex_;  // never held across a sync
  std::condition_variable synced_;
  SyncFunction sync_;
  std::shared_ptr<Descriptors> log_;
  /// Every commit up to this number is durable.
  std::uint64_t durable_ = 0;
  /// What the last sync started covers (every commit up to it): a waiter at or below it waits.
  std::uint64_t startedCovers_ = 0;
  /// Which of the kMostSyncsInFlight descriptors a running sync uses (bit i: descriptor i).
  unsigned busy_ = 0;
  /// Syncs ended on each descriptor: a sync on a descriptor of its own (cancelWaits(), every
  /// one busy) sees whether the syncs running when it started have ended since.
  std::array<std::uint64_t, kMostSyncsInFlight> slotSyncsEnded_{};
  int inFlight_ = 0;
  int mostInFlight_ = 0;
  int waiting_ = 0;
  bool cancelled_ = false;
  std::uint64_t syncs_ = 0;
  std::optional<dms::Error> failed_;
};

}  // namespace ambita::filing
