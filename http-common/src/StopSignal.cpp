#include "dms/http/StopSignal.h"

#include <algorithm>

namespace dms::http {

void StopSignal::stop() noexcept {
  {
    // Set under the mutex so a sleeper between its check and its wait cannot miss it.
    std::lock_guard lock(mutex_);
    stopped_ = true;
  }
  changed_.notify_all();
}

void StopSignal::resume() noexcept {
  std::lock_guard lock(mutex_);
  stopped_ = false;
}

bool StopSignal::sleepFor(std::chrono::milliseconds delay) {
  return sleepUntil(std::chrono::steady_clock::now() +
                    std::max(delay, std::chrono::milliseconds(0)));
}

bool StopSignal::sleepUntil(std::chrono::steady_clock::time_point deadline) {
  std::unique_lock lock(mutex_);
  return !changed_.wait_until(lock, deadline, [this] { return stopped_.load(); });
}

}  // namespace dms::http
