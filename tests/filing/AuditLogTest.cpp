// AuditLog's time stamps: the same text Poco's ISO 8601 formatter wrote before (issue 15
// replaced it with a cheaper one in AuditLog::at), so stored audit times and tracked-at values
// keep their form.

#include <gtest/gtest.h>

#include <Poco/DateTimeFormat.h>
#include <Poco/DateTimeFormatter.h>
#include <Poco/Timestamp.h>

#include <cstdint>
#include <ctime>
#include <regex>

#include "filing/AuditLog.h"

namespace {

using ambita::filing::AuditLog;

std::string pocoIso8601(std::int64_t epochSeconds) {
  return Poco::DateTimeFormatter::format(Poco::Timestamp::fromEpochTime(epochSeconds),
                                         Poco::DateTimeFormat::ISO8601_FORMAT);
}

TEST(AuditLogTime, AtWritesWhatPocosIso8601FormatterWrote) {
  for (const std::int64_t epoch :
       {std::int64_t{0}, std::int64_t{-86400}, std::int64_t{59},
        std::int64_t{951782400} /* 2000-02-29 */, std::int64_t{1764460799},
        std::int64_t{1798761599}, std::int64_t{4102444800} /* 2100-01-01 */,
        std::int64_t{-30610224000} /* year 999: zero-padded */,
        std::int64_t{253402300799} /* 9999-12-31T23:59:59 */}) {
    EXPECT_EQ(AuditLog::at(epoch), pocoIso8601(epoch)) << "epoch " << epoch;
  }
  EXPECT_EQ(AuditLog::at(1764460800), "2025-11-30T00:00:00Z");
}

TEST(AuditLogTime, NowIsTheCurrentSecondInThatForm) {
  const auto before = std::time(nullptr);
  const auto stamp = AuditLog::now();
  const auto after = std::time(nullptr);
  EXPECT_TRUE(std::regex_match(stamp, std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)"))) << stamp;
  EXPECT_TRUE(stamp == AuditLog::at(before) || stamp == AuditLog::at(after)) << stamp;
}

}  // namespace
