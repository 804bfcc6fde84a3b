#include "dms/http/RetryAfter.h"

#include <algorithm>
#include <cctype>
#include <regex>

#include <Poco/DateTime.h>
#include <Poco/DateTimeFormat.h>
#include <Poco/DateTimeParser.h>
#include <Poco/Exception.h>
#include <Poco/Timestamp.h>

namespace dms::http {

using std::chrono::milliseconds;

milliseconds capRetryAfter(milliseconds delay) {
  return std::clamp<milliseconds>(delay, milliseconds(0), kMaxRetryAfter);
}

std::optional<milliseconds> parseRetryAfter(const std::string& value) {
  std::string v = value;
  while (!v.empty() && std::isspace(static_cast<unsigned char>(v.back()))) v.pop_back();
  while (!v.empty() && std::isspace(static_cast<unsigned char>(v.front()))) v.erase(0, 1);
  if (v.empty()) return std::nullopt;
  if (std::all_of(v.begin(), v.end(), [](unsigned char c) { return std::isdigit(c); })) {
    // More digits would overflow the milliseconds; nobody waits that long anyway.
    if (v.size() > 9) return milliseconds(999'999'999LL * 1000);
    return milliseconds(std::stoll(v) * 1000);
  }
  // IMF-fixdate only (RFC 9110); Poco's parser alone would accept almost any text.
  static const std::regex kHttpDate(
      R"(^[A-Za-z]{3}, \d{2} [A-Za-z]{3} \d{4} \d{2}:\d{2}:\d{2} GMT$)");
  if (!std::regex_match(v, kHttpDate)) return std::nullopt;
  try {
    int tzd = 0;
    Poco::DateTime when = Poco::DateTimeParser::parse(Poco::DateTimeFormat::HTTP_FORMAT, v, tzd);
    when.makeUTC(tzd);
    const Poco::Timestamp::TimeDiff diff = when.timestamp() - Poco::Timestamp();
    return milliseconds(std::max<Poco::Timestamp::TimeDiff>(diff / 1000, 0));
  } catch (const Poco::Exception&) {
    return std::nullopt;
  }
}

}  // namespace dms::http
