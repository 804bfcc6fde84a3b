#include "SharedSync.h"

namespace dms::filesystem {

int SharedSync::syncAfterNow() {
  std::unique_lock lock(mutex_);
  // A round running now may have started before the caller's writes: only the next one counts.
  const std::uint64_t needed = roundsStarted_ + 1;
  while (roundsFinished_ < needed) {
    if (running_) {
      ++waiting_;
      roundFinished_.wait(lock);
      --waiting_;
      continue;
    }
    // Nobody syncs: this caller runs round `needed` for itself and everyone waiting for it.
    const std::uint64_t round = ++roundsStarted_;
    running_ = true;
    lock.unlock();
    const int result = sync_();
    lock.lock();
    running_ = false;
    roundsFinished_ = round;
    lastResult_ = result;
    roundFinished_.notify_all();
  }
  return lastResult_;
}

std::size_t SharedSync::waitingCallers() {
  std::lock_guard lock(mutex_);
  return waiting_;
}

}  // namespace dms::filesystem
