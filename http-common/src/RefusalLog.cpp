#include "dms/http/RefusalLog.h"

#include <chrono>

namespace dms::http {

SecondsClock steadySeconds() {
  return [] {
    return static_cast<std::int64_t>(std::chrono::duration_cast<std::chrono::seconds>(
                                         std::chrono::steady_clock::now().time_since_epoch())
                                         .count());
  };
}

RefusalLog::RefusalLog(Logger& logger, std::string source, Counted counted, SecondsClock clock)
    : logger_(logger),
      source_(std::move(source)),
      counted_(std::move(counted)),
      clock_(std::move(clock)) {}

bool RefusalLog::windowOver(std::int64_t now) const {
  // A clock set back counts as a new window too: better one line too many than none.
  return now < windowStart_ || now - windowStart_ >= kWindowSeconds;
}

std::string RefusalLog::endWindow() {
  std::uint64_t total = 0;
  std::string byKind;
  for (const auto& [kind, count] : heldBack_) {
    total += count;
    byKind += (byKind.empty() ? "" : ", ") + std::to_string(count) + " " + kind;
  }
  heldBack_.clear();
  windowOpen_ = false;
  if (total == 0) return {};
  return std::to_string(total) + " more " + (total == 1 ? counted_.one : counted_.many) +
         " in that minute (" + byKind + "; not logged one by one)";
}

void RefusalLog::logSummary(const std::string& summary) noexcept {
  if (!summary.empty()) logger_.warning(source_, summary);
}

void RefusalLog::refused(std::string_view kind, LogLevel level, const std::string& message) {
  std::string summary;
  {
    std::lock_guard lock(mutex_);
    const std::int64_t now = clock_();
    if (windowOpen_ && !windowOver(now)) {
      const auto held = heldBack_.find(kind);
      if (held != heldBack_.end())
        ++held->second;
      else
        heldBack_.emplace(kind, 1);
      return;
    }
    if (windowOpen_) summary = endWindow();
    windowOpen_ = true;
    windowStart_ = now;
  }
  logSummary(summary);
  logger_.log(level, source_,
              message + " (further " + counted_.many + " this minute are counted, not logged)");
}

void RefusalLog::endWindowAndLog(bool always) noexcept {
  try {
    std::string summary;
    {
      std::lock_guard lock(mutex_);
      if (!windowOpen_ || !(always || windowOver(clock_()))) return;
      summary = endWindow();
    }
    logSummary(summary);
  } catch (...) {  // NOLINT: out of memory for one log line; the caller's work goes on
  }
}

void RefusalLog::flushIfDue() noexcept {
  endWindowAndLog(false);
}

void RefusalLog::flush() noexcept {
  endWindowAndLog(true);
}

}  // namespace dms::http
