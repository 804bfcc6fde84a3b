#pragma once
/// The Retry-After header (RFC 9110 §10.2.3), read the same way by every client.

#include <chrono>
#include <optional>
#include <string>

namespace dms::http {

/// The longest pause a server's Retry-After can impose on one retry. Longer requests (an hour,
/// a date next year) are cut to this for the pause: the call tries again then, and the
/// caller's own bounds (attempts, total time, stop) decide the rest.
inline constexpr std::chrono::seconds kMaxRetryAfter{60};

/// Parses a Retry-After value: delta-seconds or an IMF-fixdate (relative to now; a past date
/// is 0). nullopt when empty or unparsable. The server's value as is (errors report it to the
/// caller, who may schedule a later try); a number of more than 9 digits reads as 999999999 s.
/// Pause with capRetryAfter() of it.
std::optional<std::chrono::milliseconds> parseRetryAfter(const std::string& value);

/// How long to pause for a Retry-After of `delay`: at most kMaxRetryAfter, never negative.
std::chrono::milliseconds capRetryAfter(std::chrono::milliseconds delay);

}  // namespace dms::http
