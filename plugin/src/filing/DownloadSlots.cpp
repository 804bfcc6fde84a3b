#include "filing/DownloadSlots.h"

#include <algorithm>
#include <utility>

namespace ambita::filing {

DownloadSlots::DownloadSlots(std::size_t slots, std::chrono::steady_clock::duration maxWait)
    : slots_(std::max<std::size_t>(slots, 1)), maxWait_(maxWait) {}

void DownloadSlots::Slot::release() noexcept {
  if (auto* owner = std::exchange(owner_, nullptr)) owner->giveBack();
}

dms::Result<DownloadSlots::Slot> DownloadSlots::take(const std::string& what) {
  std::unique_lock lock(mutex_);
  const bool got = freed_.wait_for(lock, maxWait_, [&] { return stop_ || taken_ < slots_; });
  if (stop_) return dms::fail(dms::ErrorCode::Cancelled, what + ": stopped before the download");
  if (!got) {
    const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(maxWait_).count();
    return dms::fail(dms::ErrorCode::Unavailable,
                     what + ": no download slot came free in " + std::to_string(seconds) +
                         " s (filing.concurrency downloads still running)");
  }
  ++taken_;
  return Slot(*this);
}

void DownloadSlots::giveBack() noexcept {
  {
    std::lock_guard lock(mutex_);
    --taken_;
  }
  freed_.notify_one();
}

void DownloadSlots::requestStop() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  freed_.notify_all();
}

void DownloadSlots::resetStop() {
  std::lock_guard lock(mutex_);
  stop_ = false;
}

}  // namespace ambita::filing
