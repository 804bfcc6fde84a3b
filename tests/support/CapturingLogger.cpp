#include "support/CapturingLogger.h"

namespace dms::test {

void CapturingLogger::log(LogLevel level, std::string_view source,
                          std::string_view message) noexcept {
  static constexpr const char* kNames[] = {"debug", "info", "warning", "error"};
  try {
    std::lock_guard lock(mutex_);
    lines_.push_back(std::string(kNames[static_cast<int>(level)]) + " [" + std::string(source) +
                     "] " + std::string(message));
  } catch (...) {  // a logger must not throw; a test that runs out of memory fails elsewhere
  }
}

std::vector<std::string> CapturingLogger::lines() const {
  std::lock_guard lock(mutex_);
  return lines_;
}

std::string CapturingLogger::text() const {
  std::string out;
  for (const auto& line : lines()) out += line + "\n";
  return out;
}

}  // namespace dms::test
