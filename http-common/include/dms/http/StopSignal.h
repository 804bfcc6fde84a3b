#pragma once
/// A stop flag that every wait of a client watches: retry sleeps end at once when stop() is
/// called, instead of after the full backoff or Retry-After. One per client (not global), so
/// two plugin instances in one host never stop each other.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>

namespace dms::http {

class StopSignal {
 public:
  /// Wakes every sleeper and makes future sleeps return false at once. Thread-safe, noexcept.
  void stop() noexcept;
  /// Undoes stop() (a plugin started again). Thread-safe.
  void resume() noexcept;
  bool stopped() const noexcept { return stopped_.load(); }

  /// Sleeps `delay` (negative: not at all); false when stopped before or during the sleep.
  bool sleepFor(std::chrono::milliseconds delay);
  /// Sleeps until `deadline`; false when stopped before or during the sleep.
  bool sleepUntil(std::chrono::steady_clock::time_point deadline);

 private:
  std::atomic<bool> stopped_{false};
  std::mutex mutex_;
  std::condition_variable changed_;
};

}  // namespace dms::http
