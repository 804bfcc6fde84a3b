// Group commit of the SQLite state's write-ahead log (issue 15, branches groupcommit, pushsync):
// see SqliteLogSync.h for why overlapping fdatasyncs after the store's mutex is released keep
// every reported commit.
#include "filing/SqliteLogSync.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <utility>

namespace ambita::filing {

namespace {

int syncData(int fd) {
  return ::fdatasync(fd) == 0 ? 0 : errno;
}

/// A descriptor of the log; closed with its owner.
struct Descriptor {
  int fd = -1;
  Descriptor() = default;
  Descriptor(const Descriptor&) = delete;
  Descriptor& operator=(const Descriptor&) = delete;
  ~Descriptor() {
    if (fd >= 0) ::close(fd);
  }
  /// Opens `path`; false (errno set) if it cannot, or if it is not the file `named`.
  bool open(const std::string& path, const struct stat& named) {
    fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    struct stat held {};
    if (fd < 0 || ::fstat(fd, &held) != 0) return false;
    if (held.st_dev == named.st_dev && held.st_ino == named.st_ino) return true;
    errno = ESTALE;  // created again between the stat and the open
    return false;
  }
};

}  // namespace

/// One descriptor of the log for each sync that may run at once, opened together (so each one
/// is told of a writeback error after their opening: SqliteLogSync.h). Kept until the last sync
/// using them is done.
struct SqliteLogSync::Descriptors {
  std::array<Descriptor, kMostSyncsInFlight> each;
  dev_t device = 0;
  ino_t inode = 0;
};

SqliteLogSync::SqliteLogSync(std::string logFile)
    : logFile_(std::move(logFile)), sync_(&syncData) {}

SqliteLogSync::~SqliteLogSync() = default;

std::shared_ptr<SqliteLogSync::Descriptors> SqliteLogSync::openLog(std::string& error) {
  struct stat named {};
  if (::stat(logFile_.c_str(), &named) != 0) {
    error = "the log " + logFile_ + " cannot be found: " + std::strerror(errno);
    return nullptr;
  }
  if (log_ && log_->device == named.st_dev && log_->inode == named.st_ino) return log_;
  auto opened = std::make_shared<Descriptors>();
  for (auto& descriptor : opened->each)
    if (!descriptor.open(logFile_, named)) {
      error = "the log " + logFile_ + " cannot be opened: " + std::strerror(errno);
      return nullptr;
    }
  opened->device = named.st_dev;
  opened->inode = named.st_ino;
  log_ = std::move(opened);
  return log_;
}

dms::Status SqliteLogSync::syncNow(std::unique_lock<std::mutex>& lock) {
  // Every commit numbered up to `covers` was written before the sync below starts.
  const std::uint64_t covers = commitsWritten();
  startedCovers_ = std::max(startedCovers_, covers);
  std::string error;
  auto log = openLog(error);
  // A free descriptor of the log; none only after cancelWaits() with every one in use: then a
  // descriptor of this sync's own, opened now. The kernel tells it of an error nobody has seen,
  // not of one a running sync was already told of: what those syncs report is also needed.
  int slot = 0;
  while (slot < kMostSyncsInFlight && (busy_ & (1u << slot)) != 0) ++slot;
  Descriptor own;
  int fd = -1;
  const bool ownDescriptor = log && slot == kMostSyncsInFlight;
  const auto endedBefore = slotSyncsEnded_;  // every slot is busy when ownDescriptor
  if (log && slot < kMostSyncsInFlight) {
    fd = log->each[static_cast<std::size_t>(slot)].fd;
    busy_ |= 1u << slot;
    mostInFlight_ = std::max(mostInFlight_, ++inFlight_);
  } else if (ownDescriptor) {
    struct stat named {};
    named.st_dev = log->device;
    named.st_ino = log->inode;
    if (own.open(logFile_, named))
      fd = own.fd;
    else
      error = "the log " + logFile_ + " cannot be opened: " + std::strerror(errno);
  }
  const SyncFunction sync = sync_;
  lock.unlock();
  const int failedWith = fd >= 0 ? sync(fd) : 0;
  lock.lock();
  if (log && slot < kMostSyncsInFlight) {
    busy_ &= ~(1u << slot);
    --inFlight_;
    ++slotSyncsEnded_[static_cast<std::size_t>(slot)];
  }
  ++syncs_;
  synced_.notify_all();
  if (fd < 0 || failedWith != 0) {
    if (fd >= 0) error = "fdatasync of " + logFile_ + " failed: " + std::strerror(failedWith);
    if (!failed_)
      failed_ = dms::fail(dms::ErrorCode::Unavailable,
                          "state database: a commit could not be made durable (" + error +
                              "); no later commit is reported done: restart the service");
    return *failed_;
  }
  if (failed_) return *failed_;  // after a failure nothing more is reported
  // A sync on a descriptor of its own vouches only once the syncs running when it was opened
  // have ended (their errors are in failed_ then); it does not wait for them (stop() is on).
  if (ownDescriptor)
    for (std::size_t i = 0; i < endedBefore.size(); ++i)
      if (slotSyncsEnded_[i] == endedBefore[i])
        return dms::fail(dms::ErrorCode::Unavailable,
                         "state database: stopping, the log " + logFile_ +
                             " was synced while its other syncs still ran; they may have been "
                             "told of a lost page this sync was not, so the commit is not "
                             "reported durable");
  durable_ = std::max(durable_, covers);
  return {};
}

dms::Status SqliteLogSync::waitDurable(std::uint64_t commit) {
  std::unique_lock lock(mutex_);
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(kLongestWaitSeconds);
  while (durable_ < commit) {
    if (failed_) return *failed_;
    // Not covered by a sync that started after it: start one, unless the bound is reached.
    if (cancelled_ || (startedCovers_ < commit && inFlight_ < kMostSyncsInFlight)) {
      // Its failure is not this commit's when a sync that ended first vouched for it.
      if (auto synced = syncNow(lock); !synced && durable_ < commit) return synced;
      continue;
    }
    // A running sync covers this commit, or the most syncs allowed run: wait for one to end.
    ++waiting_;
    const bool timedOut = synced_.wait_until(lock, deadline) == std::cv_status::timeout;
    --waiting_;
    if (timedOut && durable_ < commit && !failed_ && !cancelled_)
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

int SqliteLogSync::mostSyncsInFlightForTest() const {
  std::lock_guard lock(mutex_);
  return mostInFlight_;
}

int SqliteLogSync::waitingForTest() const {
  std::lock_guard lock(mutex_);
  return waiting_;
}

void SqliteLogSync::setSyncForTest(SyncFunction sync) {
  std::lock_guard lock(mutex_);
  sync_ = std::move(sync);
}

}  // namespace ambita::filing
