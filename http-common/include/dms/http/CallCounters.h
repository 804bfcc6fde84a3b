#pragma once
/// What an HTTP client counts of its calls, for metrics: the answers it received by status
/// class (1xx .. 5xx) and the retries its attempt loops made (AttemptLoop counts them, before
/// each pause). One per client; lock-free; read at any time from any thread.

#include <array>
#include <atomic>
#include <cstdint>

namespace dms::http {

class CallCounters {
 public:
  /// Counts one answer with HTTP status `status`; a status outside 100..599 is not counted.
  void answered(int status) noexcept {
    if (status >= 100 && status <= 599)
      byClass_[static_cast<std::size_t>(status / 100)].fetch_add(1, std::memory_order_relaxed);
  }
  void retried() noexcept { retries_.fetch_add(1, std::memory_order_relaxed); }

  /// Answers of class `statusClass` (1 for 1xx ... 5 for 5xx); 0 for any other class.
  std::uint64_t answers(int statusClass) const noexcept {
    if (statusClass < 1 || statusClass > 5) return 0;
    return byClass_[static_cast<std::size_t>(statusClass)].load(std::memory_order_relaxed);
  }
  std::uint64_t retries() const noexcept { return retries_.load(std::memory_order_relaxed); }

 private:
  std::array<std::atomic<std::uint64_t>, 6> byClass_{};  ///< index = status / 100; [0] unused
  std::atomic<std::uint64_t> retries_{0};
};

}  // namespace dms::http
