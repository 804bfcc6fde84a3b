#include "filing/DataDirLock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace ambita::filing {

dms::Result<DataDirLock> DataDirLock::acquire(const std::string& dataDir,
                                              dms::DocumentTarget& target) {
  const std::string file = dataDir + "/engine.lock";
  const int fd = ::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0)
    return dms::fail(dms::ErrorCode::Unavailable,
                     "cannot open lock file " + file + ": " + std::strerror(errno));
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    ::close(fd);
    if (err == EWOULDBLOCK)
      return dms::fail(dms::ErrorCode::Locked,
                       "another dms-host process (run or sync) is filing with data dir " + dataDir +
                           "; stop it or wait for it to finish");
    return dms::fail(dms::ErrorCode::Unavailable,
                     "cannot lock " + file + ": " + std::strerror(err));
  }
  DataDirLock lock(fd);
  // Only now is no put of this data folder running elsewhere: the temporaries are stale.
  if (auto recovered = target.recover(); !recovered) {
    auto error = recovered.error();
    error.message = "target: recover() failed: " + error.message;
    return error;  // `lock` is released on the way out
  }
  return lock;
}

DataDirLock& DataDirLock::operator=(DataDirLock&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = other.fd_;
    other.fd_ = -1;
  }
  return *this;
}

DataDirLock::~DataDirLock() {
  if (fd_ >= 0) ::close(fd_);  // closing releases the flock
}

}  // namespace ambita::filing
