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

void appendHex(std::string& out, const char* prefix, unsigned char byte) {
  static constexpr char kDigits[] = "0123456789abcdef";
  out += prefix;
  out += kDigits[byte >> 4];
  out += kDigits[byte & 0xF];
}

/// Length of the well-formed UTF-8 sequence starting at text[i], or 0 when it is not one
/// (stray continuation byte, overlong form, surrogate, beyond U+10FFFF, cut short).
std::size_t utf8SequenceLength(std::string_view text, std::size_t i) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char lead = byte(i);
  std::size_t length = 0;
  unsigned char low = 0x80;  // allowed range of the second byte
  unsigned char high = 0xBF;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    if (lead == 0xE0) low = 0xA0;   // overlong
    if (lead == 0xED) high = 0x9F;  // surrogates
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    if (lead == 0xF0) low = 0x90;   // overlong
    if (lead == 0xF4) high = 0x8F;  // beyond U+10FFFF
  } else {
    return 0;
  }
  if (i + length > text.size()) return 0;
  if (byte(i + 1) < low || byte(i + 1) > high) return 0;
  for (std::size_t k = 2; k < length; ++k)
    if (byte(i + k) < 0x80 || byte(i + k) > 0xBF) return 0;
  return length;
}

}  // namespace

std::string StderrLogger::escapeControls(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c == '\n' || c == '\r' || c == '\t') {
      out += c == '\n' ? "\\n" : c == '\r' ? "\\r" : "\\t";
      ++i;
    } else if (c < 0x20 || c == 0x7F) {
      appendHex(out, "\\x", c);
      ++i;
    } else if (c < 0x80) {
      out += static_cast<char>(c);
      ++i;
    } else if (const std::size_t length = utf8SequenceLength(text, i); length == 0) {
      appendHex(out, "\\x", c);  // not UTF-8: a raw 0x80-0x9F byte is a C1 control elsewhere
      ++i;
    } else if (c == 0xC2 && static_cast<unsigned char>(text[i + 1]) <= 0x9F) {
      appendHex(out, "\\u00", static_cast<unsigned char>(text[i + 1]));  // U+0080-U+009F
      i += 2;
    } else {
      out.append(text.substr(i, length));
      i += length;
    }
  }
  return out;
}

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
    // Masked before escaping, so that a secret is found as it was registered. Escaped so that
    // one message is one line and remote text (paths, order ids, push bodies) cannot steer the
    // terminal or forge lines.
    const std::string text = escapeControls(maskLocked(std::string(message)));
    std::string line = Poco::DateTimeFormatter::format(Poco::Timestamp(), "%Y-%m-%dT%H:%M:%S.%iZ");
    line += " ";
    line += levelName(level);
    line += " [";
    line += escapeControls(source);
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
