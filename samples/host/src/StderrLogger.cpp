#include "StderrLogger.h"

#include <Poco/DateTimeFormatter.h>
#include <Poco/Timestamp.h>

#include <algorithm>

namespace dms::host {

namespace {

const char* levelName(LogLevel level) {
  switch (level) {
    case LogLevel::Debug:
      return "DEBUG";
    case LogLevel::Info:
      return "INFO ";
    case LogLevel::Warning:
      return "WARN ";
    case LogLevel::Error:
      return "ERROR";
  }
  return "?    ";
}

}  // namespace

StderrLogger::StderrLogger(std::ostream& out, LogLevel minimum) : out_(out), minimum_(minimum) {}

void StderrLogger::addSecret(const std::string& value) {
  if (value.size() < kMinMaskedLength) return;
  std::lock_guard lock(mutex_);
  if (std::find(secrets_.begin(), secrets_.end(), value) != secrets_.end()) return;
  secrets_.push_back(value);
  // Longest first, so that a secret containing another one is masked whole.
  std::sort(secrets_.begin(), secrets_.end(),
            [](const auto& a, const auto& b) { return a.size() > b.size(); });
}

void StderrLogger::setMinimum(LogLevel minimum) {
  std::lock_guard lock(mutex_);
  minimum_ = minimum;
}

std::string StderrLogger::mask(std::string text) const {
  std::lock_guard lock(mutex_);
  return maskLocked(std::move(text));
}

std::string StderrLogger::maskLocked(std::string text) const {
  for (const auto& secret : secrets_) {
    for (std::size_t pos = text.find(secret); pos != std::string::npos;
         pos = text.find(secret, pos + 8))
      text.replace(pos, secret.size(), "********");
  }
  return text;
}

void StderrLogger::log(LogLevel level, std::string_view source, std::string_view message) noexcept {
  try {
    std::lock_guard lock(mutex_);
    if (static_cast<int>(level) < static_cast<int>(minimum_)) return;
    std::string text(message);
    // One line per message, whatever the module wrote.
    for (auto& c : text)
      if (c == '\n' || c == '\r') c = ' ';
    std::string line = Poco::DateTimeFormatter::format(Poco::Timestamp(), "%Y-%m-%dT%H:%M:%S.%iZ");
    line += " ";
    line += levelName(level);
    line += " [";
    line += source;
    line += "] ";
    line += text;
    line = maskLocked(std::move(line));
    line += '\n';
    out_.write(line.data(), static_cast<std::streamsize>(line.size()));
    out_.flush();
  } catch (...) {
    // A log line is not worth failing the caller for.
  }
}

}  // namespace dms::host
