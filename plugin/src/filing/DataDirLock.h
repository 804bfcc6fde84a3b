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

#include <string>

#include "dms/DocumentTarget.h"
#include "dms/Error.h"

namespace ambita::filing {

class DataDirLock {
 public:
  /// Takes the lock without waiting, then calls `target.recover()` (once per acquisition) to
  /// delete what puts of a killed process left behind. Errors: Locked ("another dms-host ...
  /// is filing with data dir X"), Unavailable (cannot create the lock file), or the error of
  /// recover() ("target: recover() failed: ..."); on any error the lock is not held.
  static dms::Result<DataDirLock> acquire(const std::string& dataDir, dms::DocumentTarget& target);

  DataDirLock(DataDirLock&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  DataDirLock& operator=(DataDirLock&& other) noexcept;
  DataDirLock(const DataDirLock&) = delete;
  DataDirLock& operator=(const DataDirLock&) = delete;
  ~DataDirLock();

 private:
  explicit DataDirLock(int fd) : fd_(fd) {}
  int fd_ = -1;
};

}  // namespace ambita::filing
