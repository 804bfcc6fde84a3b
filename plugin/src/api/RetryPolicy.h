#pragma once
/// When and how long to wait before trying a failed call again: exponential backoff with
/// jitter, the server's Retry-After honoured, bounded by attempts and by total time.

#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <random>
#include <string>

namespace ambita::api {

struct RetrySettings {
  int maxAttempts = 5;                            ///< first try included
  std::chrono::milliseconds initialBackoff{500};  ///< delay after the first failure (max)
  std::chrono::milliseconds maxBackoff{30'000};
  std::chrono::milliseconds maxTotal{120'000};  ///< whole call, sleeps included
};

/// Thread-safe (one policy serves every call of a client). Clock and random seed are
/// injectable so tests check the schedule exactly.
class RetryPolicy {
 public:
  using Clock = std::function<std::chrono::steady_clock::time_point()>;

  explicit RetryPolicy(RetrySettings settings, Clock clock = {}, std::uint64_t seed = 0);

  /// The delay before attempt `failures + 1`, or nullopt when the call must give up: attempts
  /// used up, or waiting would pass `started + maxTotal`. The delay is drawn uniformly from
  /// [b/2, b] with b = min(maxBackoff, initialBackoff * 2^(failures-1)); a Retry-After from the
  /// server raises it to at least that value (never lowers it), capped at
  /// dms::http::kMaxRetryAfter.
  std::optional<std::chrono::milliseconds> nextDelay(
      int failures, std::chrono::steady_clock::time_point started,
      std::optional<std::chrono::milliseconds> retryAfter = std::nullopt);

  std::chrono::steady_clock::time_point now() const { return clock_(); }
  const RetrySettings& settings() const { return settings_; }

 private:
  RetrySettings settings_;
  Clock clock_;
  std::mutex mutex_;
  std::mt19937_64 random_;
};

}  // namespace ambita::api
