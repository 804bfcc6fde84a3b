#include "push/RefusalLog.h"

namespace ambita::push {
namespace {

constexpr const char* kSource = "ambita.push";

}  // namespace

std::string RefusalLog::endWindowIfDue(std::int64_t now) {
  // A clock set back counts as a new window too: better one line too many than none.
  if (windowOpen_ && now >= windowStart_ && now - windowStart_ < kWindowSeconds) return {};
  std::uint64_t total = 0;
  std::string byStatus;
  for (const auto& [status, count] : heldBack_) {
    total += count;
    byStatus += (byStatus.empty() ? "" : ", ") + std::to_string(count) + " answered " +
                std::to_string(status);
  }
  heldBack_.clear();
  windowOpen_ = false;
  if (total == 0) return {};
  return std::to_string(total) + " more push" + (total == 1 ? "" : "es") +
         " refused in the last minute (" + byStatus + "; not logged one by one)";
}

void RefusalLog::refused(int status, dms::LogLevel level, const std::string& message) {
  std::string summary;
  {
    std::lock_guard lock(mutex_);
    const std::int64_t now = clock_();
    summary = endWindowIfDue(now);
    if (windowOpen_) {
      ++heldBack_[status];
      return;
    }
    windowOpen_ = true;
    windowStart_ = now;
  }
  if (!summary.empty()) logger_.warning(kSource, summary);
  logger_.log(level, kSource, message + " (further refusals this minute are counted, not logged)");
}

void RefusalLog::flushIfDue() {
  std::string summary;
  {
    std::lock_guard lock(mutex_);
    if (!windowOpen_) return;
    summary = endWindowIfDue(clock_());
  }
  if (!summary.empty()) logger_.warning(kSource, summary);
}

}  // namespace ambita::push
