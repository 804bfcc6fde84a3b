#include "dms/http/RetryPolicy.h"

#include <algorithm>

#include "dms/http/RetryAfter.h"

namespace dms::http {

using std::chrono::milliseconds;

bool isRetryableStatus(int status) {
  if (status == 408 || status == 423 || status == 429) return true;
  return status >= 500 && status <= 599 && status != 501 && status != 505 && status != 507 &&
         status != 508;
}

RetryPolicy::RetryPolicy(RetrySettings settings, Clock clock, std::uint64_t seed)
    : settings_(settings), clock_(std::move(clock)), random_(seed ? seed : std::random_device{}()) {
  if (!clock_) clock_ = [] { return std::chrono::steady_clock::now(); };
}

std::optional<milliseconds> RetryPolicy::nextDelay(int failures,
                                                   std::chrono::steady_clock::time_point started,
                                                   std::optional<milliseconds> retryAfter) {
  if (failures >= settings_.maxAttempts) return std::nullopt;
  const int shift = std::clamp(failures - 1, 0, 30);
  const long long initial = std::max<long long>(settings_.initialBackoff.count(), 0);
  const long long cap = std::max<long long>(settings_.maxBackoff.count(), initial);
  const long long base = std::min<long long>(cap, initial << std::min(shift, 20));
  long long delay = base;
  if (settings_.jitter && base > 1) {
    // Jitter spreads clients that failed together so they do not come back together.
    std::lock_guard lock(mutex_);
    delay = std::uniform_int_distribution<long long>(base / 2, base)(random_);
  }
  // However long the server asks for, one pause is capped (stop() ends it at once anyway).
  if (retryAfter) delay = std::max<long long>(delay, capRetryAfter(*retryAfter).count());
  const auto elapsed = std::chrono::duration_cast<milliseconds>(clock_() - started);
  if (elapsed + milliseconds(delay) > settings_.maxTotal) return std::nullopt;
  return milliseconds(delay);
}

}  // namespace dms::http
