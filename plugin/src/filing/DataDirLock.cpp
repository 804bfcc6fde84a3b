#include "filing/DataDirLock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>

#include "filing/AuditLog.h"

namespace ambita::filing {

namespace {

std::string cleanMarkPath(const std::string& dataDir) {
  return dataDir + "/engine.clean";
}

/// Where the mark is written before it is renamed into place, and where a taken mark goes.
std::string partialMarkPath(const std::string& dataDir) {
  return cleanMarkPath(dataDir) + ".partial";
}

/// Takes the clean mark away, durably: a put this holder makes after it must never meet a mark
/// that a power cut brought back. True when it named `targetName` and is gone for good. It is
/// renamed to the name writeCleanMark() writes under, not deleted: the same file then serves
/// every run, and no run pays for allocating a new inode (~0.7 ms on a busy ext4; issue 15,
/// startcost).
bool takeCleanMark(const std::string& dataDir, const std::string& targetName) {
  const auto path = cleanMarkPath(dataDir);
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  const std::string named((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  in.close();
  if (::rename(path.c_str(), partialMarkPath(dataDir).c_str()) != 0) return false;
  const int folder = ::open(dataDir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (folder < 0) return false;
  const bool synced = ::fsync(folder) == 0;
  ::close(folder);
  return synced && named == targetName;
}

/// Writes `text` whole under `partial`, then renames it to `path`: a reader never meets a torn
/// file. Not synced (see the callers). False when it could not.
bool replaceWhole(const std::string& path, const std::string& partial,
                  const std::string& text) noexcept {
  const int fd = ::open(partial.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return false;
  const bool written = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  const bool closed = ::close(fd) == 0;
  if (written && closed && ::rename(partial.c_str(), path.c_str()) == 0) return true;
  ::unlink(partial.c_str());
  return false;
}

/// Written whole under another name (the file takeCleanMark() left, truncated), then renamed: a
/// torn mark never names the target. Not synced: a mark lost in a power cut costs the next
/// holder one walk, nothing more.
void writeCleanMark(const std::string& dataDir, const std::string& targetName) noexcept {
  replaceWhole(cleanMarkPath(dataDir), partialMarkPath(dataDir), targetName);
}

std::string leftoversPath(const std::string& dataDir) {
  return dataDir + "/target.leftovers";
}

/// The record keeps this much of recover()'s message (it names every leftover: thousands of
/// paths on a badly broken target); the log has all of it.
constexpr std::size_t kLeftoversMessageLimit = 4000;

/// Not synced: a record lost in a power cut comes back with the next walk, which the missing
/// clean mark brings.
void recordLeftovers(const std::string& dataDir, const std::string& targetName, std::string message,
                     dms::Logger& logger) {
  if (message.size() > kLeftoversMessageLimit)
    message = message.substr(0, kLeftoversMessageLimit) + " ... (the rest in the log)";
  const TargetLeftovers record{AuditLog::now(), targetName, message};
  const std::string text = record.at + "\n" + record.target + "\n" + record.message;
  if (!replaceWhole(leftoversPath(dataDir), leftoversPath(dataDir) + ".partial", text))
    logger.warning("ambita.filing", "cannot write " + leftoversPath(dataDir) +
                                        ": status and /metrics will not show the leftovers");
}

}  // namespace

std::optional<TargetLeftovers> targetLeftovers(const std::string& dataDir) {
  std::ifstream in(leftoversPath(dataDir), std::ios::binary);
  if (!in) return std::nullopt;
  TargetLeftovers record;
  std::getline(in, record.at);
  std::getline(in, record.target);
  record.message.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  return record;
}

dms::Result<bool> recoverTarget(dms::DocumentTarget& target, dms::Logger& logger,
                                const std::string& dataDir) {
  auto recovered = target.recover();
  if (recovered) {
    ::unlink(leftoversPath(dataDir).c_str());
    return false;
  }
  auto error = recovered.error();
  if (error.code == dms::ErrorCode::Incomplete) {
    logger.error("ambita.filing",
                 "target " + target.describe() +
                     ": recover() could not remove everything an interrupted run left; filing "
                     "goes on, and the next run tries again: " +
                     error.message);
    recordLeftovers(dataDir, target.describe(), error.message, logger);
    return true;
  }
  error.message = "target: recover() failed: " + error.message;
  return error;
}

dms::Result<DataDirLock> DataDirLock::acquire(const std::string& dataDir,
                                              dms::DocumentTarget& target, dms::Logger& logger) {
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
  lock.dataDir_ = dataDir;
  lock.targetName_ = target.describe();
  // The previous holder wrote nothing and ended normally: nothing of a put can be left.
  if (takeCleanMark(dataDir, lock.targetName_)) return lock;
  // Only now is no put of this data folder running elsewhere: the temporaries are stale.
  auto leftovers = recoverTarget(target, logger, dataDir);
  if (!leftovers) return leftovers.error();  // `lock` is released on the way out
  lock.leftoversRemain_ = *leftovers;
  return lock;
}

void DataDirLock::forgetCleanMark(const std::string& dataDir) noexcept {
  ::unlink(cleanMarkPath(dataDir).c_str());
}

DataDirLock::DataDirLock(DataDirLock&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)),
      dataDir_(std::move(other.dataDir_)),
      targetName_(std::move(other.targetName_)),
      leaveCleanMark_(other.leaveCleanMark_),
      leftoversRemain_(other.leftoversRemain_) {}

DataDirLock& DataDirLock::operator=(DataDirLock&& other) noexcept {
  if (this != &other) {
    release();
    fd_ = std::exchange(other.fd_, -1);
    dataDir_ = std::move(other.dataDir_);
    targetName_ = std::move(other.targetName_);
    leaveCleanMark_ = other.leaveCleanMark_;
    leftoversRemain_ = other.leftoversRemain_;
  }
  return *this;
}

DataDirLock::~DataDirLock() {
  release();
}

void DataDirLock::release() noexcept {
  if (fd_ < 0) return;
  // Written while the lock is still held: no other holder can have begun.
  if (leaveCleanMark_ && !leftoversRemain_) writeCleanMark(dataDir_, targetName_);
  ::close(fd_);  // closing releases the flock
  fd_ = -1;
}

}  // namespace ambita::filing
