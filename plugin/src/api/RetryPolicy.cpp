#include "api/RetryPolicy.h"

#include <algorithm>
#include <cctype>
#include <regex>

#include <Poco/DateTime.h>
#include <Poco/DateTimeFormat.h>
#include <Poco/DateTimeParser.h>
#include <Poco/Exception.h>
#include <Poco/Timestamp.h>

namespace ambita::api {

using std::chrono::milliseconds;

RetryPolicy::RetryPolicy(RetrySettings settings, Clock clock, std::uint64_t seed)
    : settings_(settings), clock_(std::move(clock)), random_(seed ? seed : std::random_device{}()) {
  if (!clock_) clock_ = [] { return std::chrono::steady_clock::now(); };
}

std::optional<milliseconds> RetryPolicy::nextDelay(int failures,
                                                   std::chrono::steady_clock::time_point started,
                                                   std::optional<milliseconds> retryAfter) {
  if (failures >= settings_.maxAttempts) return std::nullopt;
  const int shift = std::clamp(failures - 1, 0, 30);
  const long long initial = std::max<long long>(settings_.initialBackoff.count(), 0);
  const long long cap = std::max<long long>(settings_.maxBackoff.count(), initial);
  const long long base = std::min<long long>(cap, initial << std::min(shift, 20));
  long long delay = base;
  if (base > 1) {
    // Jitter spreads clients that failed together so they do not come back together.
    std::lock_guard lock(mutex_);
    delay = std::uniform_int_distribution<long long>(base / 2, base)(random_);
  }
  if (retryAfter && retryAfter->count() > delay) delay = retryAfter->count();
  const auto elapsed = std::chrono::duration_cast<milliseconds>(clock_() - started);
  if (elapsed + milliseconds(delay) > settings_.maxTotal) return std::nullopt;
  return milliseconds(delay);
}

std::optional<milliseconds> RetryPolicy::parseRetryAfter(const std::string& value) {
  std::string v = value;
  while (!v.empty() && std::isspace(static_cast<unsigned char>(v.back()))) v.pop_back();
  while (!v.empty() && std::isspace(static_cast<unsigned char>(v.front()))) v.erase(0, 1);
  if (v.empty()) return std::nullopt;
  if (std::all_of(v.begin(), v.end(), [](unsigned char c) { return std::isdigit(c); })) {
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

}  // namespace ambita::api
