#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "dms/http/Loopback.h"
#include "dms/http/RetryAfter.h"
#include "dms/http/StopSignal.h"

namespace dms::http {
namespace {

using namespace std::chrono_literals;
using std::chrono::milliseconds;

TEST(Loopback, OnlyThisMachineCounts) {
  for (const char* host : {"localhost", "LOCALHOST", "127.0.0.1", "127.9.8.7", "::1", "[::1]"})
    EXPECT_TRUE(isLoopbackHost(host)) << host;
  for (const char* host : {"api.ambita.com", "localhost.example.com", "128.0.0.1", "10.0.0.1",
                           "::2", "", "127.0.0.1.nip.io"})
    EXPECT_FALSE(isLoopbackHost(host)) << host;
}

TEST(RetryAfter, ParsesSecondsAndDates) {
  EXPECT_EQ(parseRetryAfter("2")->count(), 2000);
  EXPECT_EQ(parseRetryAfter(" 0 ")->count(), 0);
  EXPECT_FALSE(parseRetryAfter("").has_value());
  EXPECT_FALSE(parseRetryAfter("soon").has_value());
  EXPECT_FALSE(parseRetryAfter("-5").has_value());
  // An HTTP date in the past means "now".
  EXPECT_EQ(parseRetryAfter("Wed, 21 Oct 2015 07:28:00 GMT")->count(), 0);
}

// Issue 13 item 8: the pause for an hour (or a date years ahead, or a number too long for an
// integer) is cut to the cap, so no server can park a client; the parsed value stays the
// server's, for the error reported to the caller.
TEST(RetryAfter, PauseIsCapped) {
  const auto cap = std::chrono::duration_cast<milliseconds>(kMaxRetryAfter).count();
  EXPECT_EQ(parseRetryAfter("3600")->count(), 3'600'000);
  EXPECT_EQ(capRetryAfter(*parseRetryAfter("3600")).count(), cap);
  EXPECT_EQ(capRetryAfter(*parseRetryAfter("99999999999999999999")).count(), cap);
  EXPECT_EQ(capRetryAfter(*parseRetryAfter("Fri, 01 Jan 2100 00:00:00 GMT")).count(), cap);
  EXPECT_EQ(capRetryAfter(milliseconds(-1)).count(), 0);
  EXPECT_EQ(capRetryAfter(1500ms).count(), 1500);
}

TEST(StopSignal, SleepsAndEndsAtOnceOnStop) {
  StopSignal signal;
  EXPECT_TRUE(signal.sleepFor(1ms));
  EXPECT_TRUE(signal.sleepFor(milliseconds(-5)));
  const auto start = std::chrono::steady_clock::now();
  std::thread stopper([&] {
    std::this_thread::sleep_for(50ms);
    signal.stop();
  });
  // Generous bound: the point is "not an hour".
  EXPECT_FALSE(signal.sleepFor(3600s));
  stopper.join();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 30s);
  EXPECT_FALSE(signal.sleepFor(1h));  // stays stopped
  signal.resume();
  EXPECT_TRUE(signal.sleepFor(1ms));
}

}  // namespace
}  // namespace dms::http
