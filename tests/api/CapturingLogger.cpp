#include "CapturingLogger.h"

namespace ambita::test {

void CapturingLogger::log(dms::LogLevel level, std::string_view source,
                          std::string_view message) noexcept {
  static const char* kNames[] = {"debug", "info", "warning", "error"};
  std::lock_guard lock(mutex_);
  lines_.push_back(std::string(kNames[static_cast<int>(level)]) + " [" + std::string(source) +
                   "] " + std::string(message));
}

std::vector<std::string> CapturingLogger::lines() const {
  std::lock_guard lock(mutex_);
  return lines_;
}

std::string CapturingLogger::text() const {
  std::string all;
  for (const auto& l : lines()) all += l + "\n";
  return all;
}

}  // namespace ambita::test
