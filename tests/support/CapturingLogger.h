#pragma once
/// A dms::Logger that keeps every line ("warning [source] message"), so tests can check what
/// was logged and, above all, what was not (secrets). Thread-safe.

#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "dms/Logger.h"

namespace dms::test {

class CapturingLogger final : public Logger {
 public:
  void log(LogLevel level, std::string_view source, std::string_view message) noexcept override;
  std::vector<std::string> lines() const;
  /// All lines, each ended by '\n'.
  std::string text() const;

 private:
  mutable std::mutex mutex_;
  std::vector<std::string> lines_;
};

}  // namespace dms::test
