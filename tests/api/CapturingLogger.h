#pragma once
/// A dms::Logger that keeps every line, so tests can check what was (and was not) logged.

#include <mutex>
#include <string>
#include <vector>

#include "dms/Logger.h"

namespace ambita::test {

class CapturingLogger : public dms::Logger {
 public:
  void log(dms::LogLevel level, std::string_view source,
           std::string_view message) noexcept override;
  std::vector<std::string> lines() const;
  /// All lines joined by newlines.
  std::string text() const;

 private:
  mutable std::mutex mutex_;
  std::vector<std::string> lines_;
};

}  // namespace ambita::test
