#pragma once
/// The host's log, handed to modules. Modules never print to stdout/stderr themselves.

#include <string_view>

namespace dms {

enum class LogLevel { Debug, Info, Warning, Error };

/// Thread-safe. Messages must not contain secrets (the host also masks configured secret
/// values as a second line of defence).
class Logger {
 public:
  virtual ~Logger() = default;
  virtual void log(LogLevel level, std::string_view source, std::string_view message) noexcept = 0;

  void debug(std::string_view source, std::string_view m) noexcept { log(LogLevel::Debug, source, m); }
  void info(std::string_view source, std::string_view m) noexcept { log(LogLevel::Info, source, m); }
  void warning(std::string_view source, std::string_view m) noexcept { log(LogLevel::Warning, source, m); }
  void error(std::string_view source, std::string_view m) noexcept { log(LogLevel::Error, source, m); }
};

}  // namespace dms
