#pragma once
/// Seconds since the epoch, injectable: retry backoff (of an inbox order, of one asset) is
/// tested by moving a clock forward instead of waiting.

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

}  // namespace ambita::filing
