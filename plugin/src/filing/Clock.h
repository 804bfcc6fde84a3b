#pragma once
/// Seconds since the epoch, injectable: retry backoff (of an inbox order, of one asset) is
/// tested by moving a clock forward (or back) instead of waiting. The rules below keep a clock
/// that jumps from stretching a wait beyond the longest backoff or cutting a retry window short.

#include <Poco/Timestamp.h>

#include <cstdint>
#include <functional>

namespace ambita::filing {

using EpochClock = std::function<std::int64_t()>;

/// The system clock.
inline EpochClock systemClock() {
  return [] { return static_cast<std::int64_t>(Poco::Timestamp().epochTime()); };
}

/// Exponential backoff: `first` seconds after the first failure, doubling, capped at `cap`.
inline std::int64_t backoffSeconds(int failures, std::int64_t first, std::int64_t cap) {
  std::int64_t delay = first;
  for (int i = 1; i < failures && delay < cap; ++i) delay *= 2;
  return delay < cap ? delay : cap;
}

/// Whether a retry scheduled for `notBefore` is due at `now`. A wait longer than
/// `longestWait` (the backoff's cap) can only come from the clock having been set back since
/// the retry was scheduled: then it is due at once, rather than after the size of the jump.
inline bool retryDue(std::int64_t notBefore, std::int64_t now, std::int64_t longestWait) {
  return notBefore <= now || notBefore - now > longestWait;
}

/// The time between two attempts as counted towards giving up: `now - since`, but never below
/// 0 (a clock set back) and never above `longestWait` (a clock set forward, or a process that
/// was not running), so no jump of the clock can make something give up early.
inline std::int64_t countedWait(std::int64_t since, std::int64_t now, std::int64_t longestWait) {
  const std::int64_t waited = now - since;
  return waited < 0 ? 0 : (waited > longestWait ? longestWait : waited);
}

}  // namespace ambita::filing
