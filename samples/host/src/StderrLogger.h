#pragma once
/// The host's log: one line per message on stderr with time, level and source. Every
/// registered secret value is replaced by ******** (a second line of defence: modules must not
/// log secrets in the first place), and every control character is escaped (escapeControls).

#include <mutex>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "dms/Logger.h"

namespace dms::host {

class StderrLogger final : public Logger {
 public:
  /// Writes to `out` (std::cerr in dms-host), messages below `minimum` are dropped.
  explicit StderrLogger(std::ostream& out, LogLevel minimum = LogLevel::Info);

  /// Shorter values are not masked: masking every "a" or "12" would garble every line.
  static constexpr std::size_t kMinMaskedLength = 4;

  /// Adds a value to mask in every later message (ignored below kMinMaskedLength). Thread-safe.
  void addSecret(const std::string& value);
  void setMinimum(LogLevel minimum);

  /// `text` with every C0 control, DEL and C1 control escaped: \n \r \t, "\x1b" for other
  /// bytes below 0x20 and 0x7F, "\u009b" for U+0080-U+009F, and "\x9b" for each byte that is
  /// not part of well-formed UTF-8 (raw 0x80-0x9F bytes act as C1 controls in 8-bit terminals).
  /// Other Unicode is kept.
  static std::string escapeControls(std::string_view text);

  /// The text with every secret replaced (for messages the host prints itself).
  std::string mask(std::string text) const;

  // dms::Logger
  void log(LogLevel level, std::string_view source, std::string_view message) noexcept override;

 private:
  std::string maskLocked(std::string text) const;

  mutable std::mutex mutex_;
  std::ostream& out_;
  LogLevel minimum_;
  std::vector<std::string> secrets_;
};

}  // namespace dms::host
