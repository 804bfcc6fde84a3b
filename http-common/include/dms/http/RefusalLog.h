#pragma once
/// Logs what clients cause at will (refused pushes, refused or closed connections, refused
/// requests, failed logins) without letting them fill the log: the first refusal of a window
/// (one minute) is logged in full; the refusals after it in the same window are only counted,
/// by kind, and the count is logged as one line ("199 more connections refused in that minute
/// (199 over the address's cap; not logged one by one)") once the window has passed: at the
/// next refusal, at flushIfDue() (which its owner calls regularly or on its next request) or at
/// flush() (its owner's stop: no count is lost). Nothing is logged under the lock. Thread-safe.

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>

#include "dms/Logger.h"

namespace dms::http {

/// Whole seconds on any clock (tests move it); a clock set back only starts a new window.
using SecondsClock = std::function<std::int64_t()>;

/// The steady clock in seconds.
SecondsClock steadySeconds();

class RefusalLog {
 public:
  static constexpr std::int64_t kWindowSeconds = 60;

  /// What the log counts, as its lines name it: {"push refused", "pushes refused"}.
  struct Counted {
    std::string one;
    std::string many;
  };

  /// `logger` outlives this; `source` is the log lines' source.
  RefusalLog(Logger& logger, std::string source, Counted counted,
             SecondsClock clock = steadySeconds());

  /// One refusal of `kind` (how the summary counts it: "answered 503", "over the address's
  /// cap"), described by `message` (no secret in it), logged at `level` when it opens a window.
  void refused(std::string_view kind, LogLevel level, const std::string& message);
  /// Logs the count of the last window when it has passed.
  void flushIfDue() noexcept;
  /// Logs the count held back so far at once, even within the window (its owner stops).
  void flush() noexcept;

 private:
  /// Closes the window and returns its summary ("" when nothing was held back). Called with
  /// mutex_ held.
  std::string endWindow();
  /// Whether the open window has ended at `now`. Called with mutex_ held.
  bool windowOver(std::int64_t now) const;
  /// Ends the open window when it is over (`always`: at once) and logs its summary.
  void endWindowAndLog(bool always) noexcept;
  void logSummary(const std::string& summary) noexcept;

  Logger& logger_;
  const std::string source_;
  const Counted counted_;
  const SecondsClock clock_;
  std::mutex mutex_;
  bool windowOpen_ = false;
  std::int64_t windowStart_ = 0;
  std::map<std::string, std::uint64_t, std::less<>> heldBack_;  ///< kind -> refusals not logged
};

}  // namespace dms::http
