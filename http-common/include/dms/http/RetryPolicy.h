#pragma once
/// Whether and how long to wait before trying a failed call again, for both HTTP clients (the
/// Ambita API client and the WebDAV connector): which HTTP statuses are worth another try,
/// exponential backoff (with jitter unless turned off), the server's Retry-After honoured up to
/// kMaxRetryAfter, bounded by attempts and by total time.

#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <random>
#include <string>

namespace dms::http {

struct RetrySettings {
  int maxAttempts = 5;                            ///< first try included
  std::chrono::milliseconds initialBackoff{500};  ///< delay after the first failure (max)
  std::chrono::milliseconds maxBackoff{30'000};
  std::chrono::milliseconds maxTotal{120'000};  ///< whole call, sleeps included
  /// Spread each delay over [b/2, b], so clients that failed together do not come back
  /// together. Off: exactly b (a fixed schedule).
  bool jitter = true;
};

/// The HTTP statuses another try may fix, for every client: 408 (request timeout), 423 (locked
/// by someone else), 429 (rate limited) and 5xx, except those that describe the server or the
/// request rather than a moment (501 Not Implemented, 505 HTTP Version Not Supported,
/// 507 Insufficient Storage, 508 Loop Detected).
bool isRetryableStatus(int status);

/// Thread-safe (one policy serves every call of a client). Clock and random seed are
/// injectable so tests check the schedule exactly.
class RetryPolicy {
 public:
  using Clock = std::function<std::chrono::steady_clock::time_point()>;

  explicit RetryPolicy(RetrySettings settings, Clock clock = {}, std::uint64_t seed = 0);

  /// The delay before attempt `failures + 1`, or nullopt when the call must give up: attempts
  /// used up, or waiting would pass `started + maxTotal`. The delay is drawn uniformly from
  /// [b/2, b] (exactly b without jitter) with b = min(maxBackoff, initialBackoff *
  /// 2^(failures-1)); a Retry-After from the
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

}  // namespace dms::http
