#pragma once
/// An exclusive advisory lock (flock) on `<dataDir>/engine.lock`, held while this process files
/// documents (`run`, `sync`, `verify --repair`), so that two processes never work on the same
/// state and spool at once. The kernel releases it when the process dies (kill -9 included).
///
/// Holding it is also what makes DocumentTarget::recover() safe: no other process of this
/// data folder can have a put in flight, so every temporary the target finds was left by a
/// killed process. acquire() therefore recovers the target right after taking the lock, and
/// nothing else in the plugin (nor the host) calls recover(), except FilingService with a state
/// shared by several processes (PostgreSQL), which takes no data folder lock and recovers only
/// while it holds the Exclusive filing lease; admin commands that do not take the lock
/// (status, preview, verify without --repair, ...) never touch a put in progress.
///
/// The clean mark (issue 15, startup): recover() walks the whole target (every folder of the
/// archive, a PROPFIND of every collection on WebDAV), a cost per sync that grows with the
/// archive, not with the work. A `sync` that wrote nothing to the target leaves
/// `<dataDir>/engine.clean` (naming the target) when it releases the lock; the next acquire()
/// of the same target deletes the mark, durably, before it returns, and skips the walk: only a
/// process that held the lock can leave stale temporaries, and a holder that wrote nothing left
/// none. A killed holder (or one that wrote, or any `run`, or one whose recover() named
/// leftovers it could not remove) leaves no mark, so the next holder walks. A mark naming
/// another target (the configuration changed) is deleted and the target walked.

#include <optional>
#include <string>
#include <utility>

#include "dms/DocumentTarget.h"
#include "dms/Error.h"
#include "dms/Logger.h"

namespace ambita::filing {

/// Calls `target.recover()`, the one place its answer is read (issue 15, startcost). A failure
/// of its walk (storage unreachable, root unreadable) is returned as "target: recover() failed:
/// ...", and the caller does not file. Leftovers it could not remove (ErrorCode::Incomplete,
/// named in its message) are logged as an error and do not stop the run: one file the storage
/// refuses to delete must not stop the filing of every order. True then: the caller must leave
/// no clean mark, so that the next run calls recover() again.
///
/// The leftovers are also recorded in `<dataDir>/target.leftovers` until a recover() of the data
/// folder leaves none (issue 15, gaps): `status` prints them and /metrics has
/// ambita_target_leftovers, for an operator who does not read the log.
dms::Result<bool> recoverTarget(dms::DocumentTarget& target, dms::Logger& logger,
                                const std::string& dataDir);

/// What the last recover() of a data folder named and could not remove (see recoverTarget).
struct TargetLeftovers {
  std::string at;       ///< when that recover() ran (UTC, ISO 8601)
  std::string target;   ///< DocumentTarget::describe()
  std::string message;  ///< recover()'s message naming them (cut at 4000 characters)
};
/// The record, or nothing when the last recover() left nothing (or none ran yet).
std::optional<TargetLeftovers> targetLeftovers(const std::string& dataDir);

class DataDirLock {
 public:
  /// Takes the lock without waiting, then calls `target.recover()` (once per acquisition, see
  /// recoverTarget(); leftovers it names go to `logger`) to delete what puts of a killed
  /// process left behind. Errors: Locked ("another dms-host ... is filing with data dir X"),
  /// Unavailable (cannot create the lock file), or the failure of recover()'s walk ("target:
  /// recover() failed: ..."); on any error the lock is not held.
  static dms::Result<DataDirLock> acquire(const std::string& dataDir, dms::DocumentTarget& target,
                                          dms::Logger& logger);

  DataDirLock(DataDirLock&& other) noexcept;
  DataDirLock& operator=(DataDirLock&& other) noexcept;
  DataDirLock(const DataDirLock&) = delete;
  DataDirLock& operator=(const DataDirLock&) = delete;
  ~DataDirLock();

 private:
  explicit DataDirLock(int fd) : fd_(fd) {}
  int fd_ = -1;

  // The clean mark (issue 15, startup; see above).
 public:
  /// Leave the clean mark when the lock is released: call only when this holder wrote nothing
  /// to the target (no put, remove, move or folder) and none of its calls is still running.
  void leaveCleanMarkOnRelease() noexcept { leaveCleanMark_ = true; }
  /// Deletes a clean mark of `dataDir` (a holder of the shared filing lease, which takes no
  /// lock: a later lock holder must not trust a mark from before it).
  static void forgetCleanMark(const std::string& dataDir) noexcept;

 private:
  void release() noexcept;  ///< leaves the mark if asked, then unlocks
  std::string dataDir_;
  std::string targetName_;  ///< DocumentTarget::describe(): the mark names its target
  bool leaveCleanMark_ = false;

  // --- recover() leftovers (issue 15, startcost)
  /// recover() named leftovers it could not remove: no clean mark, whatever the run wrote.
  bool leftoversRemain_ = false;
};

}  // namespace ambita::filing
