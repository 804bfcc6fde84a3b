#pragma once
/// Logs refused pushes without letting whoever sends them fill the log: the first refusal of
/// a window (one minute) is logged in full; the refusals after it in the same window are only
/// counted, and the count is logged as one line ("N more pushes refused in the last minute")
/// when the window has passed and the endpoint is next called. Thread-safe.

#include <cstdint>
#include <map>
#include <mutex>
#include <string>

#include "dms/Logger.h"
#include "filing/Clock.h"

namespace ambita::push {

class RefusalLog {
 public:
  static constexpr std::int64_t kWindowSeconds = 60;

  /// `logger` outlives this; `clock` gives the seconds since the epoch (tests move it).
  RefusalLog(dms::Logger& logger, filing::EpochClock clock)
      : logger_(logger), clock_(std::move(clock)) {}

  /// One refused push: answered with `status`, described by `message` (no secret in it).
  void refused(int status, dms::LogLevel level, const std::string& message);
  /// Logs the count of the last window when it has passed (called on every push).
  void flushIfDue();

 private:
  /// When the open window has ended at `now`: closes it and returns its summary ("" when
  /// nothing was held back). Called with mutex_ held.
  std::string endWindowIfDue(std::int64_t now);

  dms::Logger& logger_;
  filing::EpochClock clock_;
  std::mutex mutex_;
  bool windowOpen_ = false;
  std::int64_t windowStart_ = 0;
  std::map<int, std::uint64_t> heldBack_;  ///< HTTP status -> refusals not logged one by one
};

}  // namespace ambita::push
