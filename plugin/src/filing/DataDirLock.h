#pragma once
/// An exclusive advisory lock (flock) on `<dataDir>/engine.lock`, held while this process files
/// documents (`run`, `sync`, `verify --repair`), so that two processes never work on the same
/// state and spool at once. The kernel releases it when the process dies (kill -9 included).

#include <string>

#include "dms/Error.h"

namespace ambita::filing {

class DataDirLock {
 public:
  /// Takes the lock without waiting. Errors: Locked ("another dms-host ... is filing with data
  /// dir X"), Unavailable (cannot create the lock file).
  static dms::Result<DataDirLock> acquire(const std::string& dataDir);

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
