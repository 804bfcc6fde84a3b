#include "SharedSync.h"

#include <algorithm>

namespace dms::filesystem {

int SharedSync::syncAfterNow() {
  std::unique_lock lock(mutex_);
  // Syncs numbered up to `calledAfter` may have started before the caller's writes.
  const std::uint64_t calledAfter = started_;
  callers_.insert(calledAfter);
  int result = 0;
  while (!answer(calledAfter, result)) {
    const bool coveredByARunningSync = running_.upper_bound(calledAfter) != running_.end();
    if (!coveredByARunningSync && inFlight_ < kMostInFlight) {
      run(lock, ++started_);
      continue;
    }
    ++waiting_;
    syncFinished_.wait(lock);
    --waiting_;
  }
  callers_.erase(callers_.find(calledAfter));
  forgetAnswered();
  return result;
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
