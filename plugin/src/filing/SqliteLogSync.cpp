// Group commit of the SQLite state's write-ahead log (issue 15, branch groupcommit): see
// SqliteLogSync.h for why one fdatasync after the store's mutex is released keeps every
// reported commit.
#include "filing/SqliteLogSync.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <utility>

namespace ambita::filing {

/// One open descriptor of the log; closed when the last sync using it is done.
struct SqliteLogSync::Descriptor {
  int fd = -1;
  dev_t device = 0;
  ino_t inode = 0;
  ~Descriptor() {
    if (fd >= 0) ::close(fd);
  }
};

namespace {

int syncData(int fd) {
  return ::fdatasync(fd) == 0 ? 0 : errno;
}

}  // namespace

SqliteLogSync::SqliteLogSync(std::string logFile)
    : logFile_(std::move(logFile)), sync_(&syncData) {}

SqliteLogSync::~SqliteLogSync() = default;

std::shared_ptr<SqliteLogSync::Descriptor> SqliteLogSync::openLog(std::string& error) {
  struct stat named {};
  if (::stat(logFile_.c_str(), &named) != 0) {
    error = "the log " + logFile_ + " cannot be found: " + std::strerror(errno);
    return nullptr;
  }
  if (log_ && log_->device == named.st_dev && log_->inode == named.st_ino) return log_;
  auto opened = std::make_shared<Descriptor>();
  opened->fd = ::open(logFile_.c_str(), O_RDONLY | O_CLOEXEC);
  struct stat held {};
  if (opened->fd < 0 || ::fstat(opened->fd, &held) != 0) {
    error = "the log " + logFile_ + " cannot be opened: " + std::strerror(errno);
    return nullptr;
  }
  opened->device = held.st_dev;
  opened->inode = held.st_ino;
  log_ = std::move(opened);
  return log_;
}

void SqliteLogSync::syncNow(std::unique_lock<std::mutex>& lock, bool leading) {
  if (leading) syncing_ = true;
  // Every commit numbered up to `covers` was written before the sync below starts.
  const std::uint64_t covers = commitsWritten();
  std::string error;
  auto log = openLog(error);
  const SyncFunction sync = sync_;
  lock.unlock();
  const int failedWith = log ? sync(log->fd) : 0;
  lock.lock();
  if (leading) syncing_ = false;
  ++syncs_;
  if (!log || failedWith != 0) {
    if (log) error = "fdatasync of " + logFile_ + " failed: " + std::strerror(failedWith);
    if (!failed_)
      failed_ = dms::fail(dms::ErrorCode::Unavailable,
                          "state database: a commit could not be made durable (" + error +
                              "); no later commit is reported done: restart the service");
  } else if (covers > durable_) {
    durable_ = covers;
  }
  synced_.notify_all();
}

dms::Status SqliteLogSync::waitDurable(std::uint64_t commit) {
  std::unique_lock lock(mutex_);
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(kLongestWaitSeconds);
  while (durable_ < commit) {
    if (failed_) return *failed_;
    if (!syncing_ || cancelled_) {
      syncNow(lock, !syncing_);
      continue;
    }
    // A sync is running; it may have started before this commit was written: the next one
    // (led by whichever waiting thread finds no sync running) covers it.
    if (synced_.wait_until(lock, deadline) == std::cv_status::timeout && syncing_ &&
        durable_ < commit)
      return dms::fail(dms::ErrorCode::Unavailable,
                       "state database: syncing the log " + logFile_ + " took over " +
                           std::to_string(kLongestWaitSeconds) + " s; the commit is not reported");
  }
  return {};
}

void SqliteLogSync::cancelWaits() noexcept {
  {
    std::lock_guard lock(mutex_);
    cancelled_ = true;
  }
  synced_.notify_all();
}

void SqliteLogSync::resumeWaits() noexcept {
  std::lock_guard lock(mutex_);
  cancelled_ = false;
}

std::uint64_t SqliteLogSync::syncsForTest() const {
  std::lock_guard lock(mutex_);
  return syncs_;
}

void SqliteLogSync::setSyncForTest(SyncFunction sync) {
  std::lock_guard lock(mutex_);
  sync_ = std::move(sync);
}

}  // namespace ambita::filing
