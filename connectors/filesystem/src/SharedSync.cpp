#include "SharedSync.h"

#include <algorithm>
#include <cstring>
#include <optional>

#include "dms/common/ErrnoMapping.h"

namespace dms::filesystem {

dms::Status SharedSync::syncAfterNow(std::uint64_t writesAfter) {
  std::unique_lock lock(mutex_);
  const auto deadline = std::chrono::steady_clock::now() + longestWait_;
  // Syncs numbered up to `calledAfter` may have started before the caller's writes.
  const std::uint64_t calledAfter = started_;
  callers_.insert(calledAfter);
  int result = 0;
  std::optional<dms::Error> notAnswered;
  while (!answer(calledAfter, result)) {
    const bool coveredByARunningSync = running_.upper_bound(calledAfter) != running_.end();
    if (!coveredByARunningSync && inFlight_ < kMostInFlight) {
      run(lock, ++started_);
      continue;
    }
    if (cancelled_) {
      notAnswered = unanswered(true);
      break;
    }
    ++waiting_;
    const bool timedOut = syncFinished_.wait_until(lock, deadline) == std::cv_status::timeout;
    --waiting_;
    if (timedOut && !answer(calledAfter, result)) {
      notAnswered = unanswered(false);
      break;
    }
  }
  callers_.erase(callers_.find(calledAfter));
  forgetAnswered();
  if (notAnswered) return *notAnswered;
  if (result != 0)
    return dms::fail(common::errorCodeForErrno(result),
                     "cannot sync the filesystem of " + root_ + ": " + std::strerror(result));
  if (lastFailedEnded_ > writesAfter)
    return dms::fail(common::errorCodeForErrno(lastFailure_),
                     "cannot sync the filesystem of " + root_ + ": " + std::strerror(lastFailure_) +
                         " (told to another batch's syncfs that ended after these writes began: "
                         "the kernel may have dropped their pages)");
  return {};
}

std::uint64_t SharedSync::markBeforeWrites() {
  std::lock_guard lock(mutex_);
  return ended_;
}

dms::Error SharedSync::unanswered(bool cancelled) const {
  if (cancelled)
    return dms::fail(dms::ErrorCode::Cancelled,
                     "the filesystem target " + root_ +
                         " is stopping: its data was still being synced by another batch's "
                         "syncfs, so it is not reported durable");
  return dms::fail(dms::ErrorCode::Unavailable,
                   "syncing the filesystem of " + root_ + " took over " +
                       std::to_string(longestWait_.count()) +
                       " ms (other batches' syncfs still run); the data is not reported durable");
}

void SharedSync::cancelWaits() noexcept {
  {
    std::lock_guard lock(mutex_);
    cancelled_ = true;
  }
  syncFinished_.notify_all();
}

void SharedSync::resumeWaits() noexcept {
  std::lock_guard lock(mutex_);
  cancelled_ = false;
}

bool SharedSync::answer(std::uint64_t calledAfter, int& result) const {
  bool answered = false;
  for (auto it = finished_.upper_bound(calledAfter); it != finished_.end(); ++it) {
    if (!answered) result = it->second;
    answered = true;
    if (it->second != 0) {
      result = it->second;
      break;
    }
  }
  return answered;
}

void SharedSync::run(std::unique_lock<std::mutex>& lock, std::uint64_t round) {
  int slot = 0;
  while ((busySlots_ & (1u << slot)) != 0) ++slot;  // inFlight_ < kMostInFlight: one is free
  busySlots_ |= 1u << slot;
  running_.insert(round);
  mostInFlight_ = std::max(mostInFlight_, ++inFlight_);
  lock.unlock();
  const int result = sync_(slot);
  lock.lock();
  busySlots_ &= ~(1u << slot);
  running_.erase(round);
  --inFlight_;
  finished_[round] = result;
  ++ended_;
  if (result != 0) {
    lastFailedEnded_ = ended_;
    lastFailure_ = result;
  }
  syncFinished_.notify_all();
}

void SharedSync::forgetAnswered() {
  // A caller asks only for syncs numbered above its `calledAfter`; later callers for syncs
  // started after them, so results below the lowest present caller's are no longer asked for.
  const std::uint64_t keepAbove = callers_.empty() ? started_ : *callers_.begin();
  finished_.erase(finished_.begin(), finished_.upper_bound(keepAbove));
}

std::size_t SharedSync::waitingCallers() {
  std::lock_guard lock(mutex_);
  return waiting_;
}

int SharedSync::mostInFlight() {
  std::lock_guard lock(mutex_);
  return mostInFlight_;
}

}  // namespace dms::filesystem
