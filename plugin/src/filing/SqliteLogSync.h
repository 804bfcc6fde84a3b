#pragma once
/// Group commit of the SQLite state's write-ahead log (issue 15, branch groupcommit).
///
/// The state's connection runs with synchronous=NORMAL: a commit appends its frames to
/// `state.db-wal` under the store's mutex without syncing them. Before the store reports the
/// commit (the method returns), and after it released the mutex, it calls waitDurable(): one
/// thread at a time (the leader) `fdatasync`s the log through a descriptor of its own, and that
/// one sync covers every commit written before it started; a commit written while a sync runs
/// waits for the next one, led by one of the threads waiting. So N threads committing at once
/// cost about two syncs instead of N, and the next commits are written while a sync runs.
///
/// Why this keeps "reported committed survives a power cut" (SQLite's WAL format, wal.c):
/// recovery replays the log's frames up to the last valid commit frame, frames carrying
/// cumulative checksums and the header's salts; a commit's frames are written before SQLite's
/// commit hook runs (noteCommitWritten), and fdatasync makes every write before it durable. With
/// synchronous=NORMAL SQLite still syncs the log before a checkpoint copies it, state.db after,
/// and the log's new header when it writes the log from its start again, so a commit moved into
/// state.db by a checkpoint or overwritten by a restarted log is durable there.
///
/// The descriptor is checked against the path at each sync (device and inode): a log deleted and
/// created again (the last connection closed) is opened anew, never an old file synced instead.
/// A failed sync is final: the commits it covered cannot be vouched for (the kernel may have
/// dropped their pages), so every later wait fails too and the service must be restarted.

#include <sys/types.h>

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
  /// finished. Never called under the store's mutex. Waits for another thread's sync at most
  /// kLongestWait (Unavailable after); after cancelWaits() it does not wait for anyone and syncs
  /// itself. Errors: Unavailable (this or an earlier sync failed; the log is missing).
  dms::Status waitDurable(std::uint64_t commit);

  /// Ends waits for another thread's sync at once: those callers sync the log themselves.
  void cancelWaits() noexcept;
  void resumeWaits() noexcept;

  /// Syncs of the log so far (tests: many commits, fewer syncs).
  std::uint64_t syncsForTest() const;
  /// Replaces fdatasync (tests: count, hold or snapshot a sync). Call before any commit.
  void setSyncForTest(SyncFunction sync);

  /// How long a commit waits for another thread's sync of the log before it gives up.
  static constexpr int kLongestWaitSeconds = 60;

 private:
  struct Descriptor;
  /// The open log, opened again when the path names another file than the one open. Under
  /// mutex_. Error text when it cannot be opened.
  std::shared_ptr<Descriptor> openLog(std::string& error);
  /// Syncs for the caller (leading or after cancelWaits) and records what the sync covered.
  /// Called with `lock` held; releases it during the sync.
  void syncNow(std::unique_lock<std::mutex>& lock, bool leading);

  const std::string logFile_;
  std::atomic<std::uint64_t> written_{0};

  mutable std::mutex mutex_;  // never held across a sync
  std::condition_variable synced_;
  SyncFunction sync_;
  std::shared_ptr<Descriptor> log_;
  /// Every commit up to this number is durable.
  std::uint64_t durable_ = 0;
  bool syncing_ = false;
  bool cancelled_ = false;
  std::uint64_t syncs_ = 0;
  std::optional<dms::Error> failed_;
};

}  // namespace ambita::filing
