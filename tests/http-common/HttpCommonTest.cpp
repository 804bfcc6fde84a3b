#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <optional>
#include <thread>

#include "dms/http/Loopback.h"
#include "dms/http/RetryAfter.h"
#include "dms/http/SessionPool.h"
#include "dms/http/StatusErrors.h"
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

// One map for both HTTP clients (issue 8): they used to disagree on an unknown 4xx (the API
// client said InvalidArgument, the WebDAV client Internal).
TEST(StatusErrors, OneMapForEveryClient) {
  const std::pair<int, ErrorCode> table[] = {
      {400, ErrorCode::InvalidArgument},
      {401, ErrorCode::Unauthenticated},
      {403, ErrorCode::PermissionDenied},
      {404, ErrorCode::NotFound},
      {410, ErrorCode::NotFound},
      {405, ErrorCode::NotSupported},
      {501, ErrorCode::NotSupported},
      {409, ErrorCode::Conflict},
      {412, ErrorCode::AlreadyExists},
      {413, ErrorCode::InsufficientStorage},
      {507, ErrorCode::InsufficientStorage},
      {423, ErrorCode::Locked},
      {429, ErrorCode::RateLimited},
      {408, ErrorCode::Unavailable},
      {500, ErrorCode::Unavailable},
      {502, ErrorCode::Unavailable},
      {503, ErrorCode::Unavailable},
      {599, ErrorCode::Unavailable},
      {418, ErrorCode::InvalidArgument},
      {422, ErrorCode::InvalidArgument},
      {499, ErrorCode::InvalidArgument},
      {302, ErrorCode::Internal},
      {100, ErrorCode::Internal},
      {600, ErrorCode::Internal},
  };
  for (const auto& [status, code] : table)
    EXPECT_EQ(toString(errorCodeForStatus(status)), toString(code)) << status;
}

/// A pool of one session to a loopback origin; sessions connect lazily, so no server is needed
/// to lend them.
std::shared_ptr<SessionPool> poolOfOne(std::chrono::milliseconds maxWait) {
  SessionPool::Settings settings;
  settings.maxPerOrigin = 1;
  settings.maxWait = maxWait;
  return SessionPool::create(settings);
}

Origin loopbackOrigin() {
  return *Origin::of(Poco::URI("http://127.0.0.1:9/"));
}

TEST(SessionPool, WaitForABusySessionHasADeadline) {
  auto pool = poolOfOne(100ms);
  StopSignal stop;
  auto held = pool->acquire(loopbackOrigin(), false, stop);
  ASSERT_TRUE(held) << held.error().describe();
  auto waited = pool->acquire(loopbackOrigin(), false, stop);
  ASSERT_FALSE(waited);
  EXPECT_EQ(waited.error().code, ErrorCode::Unavailable) << waited.error().describe();
  EXPECT_NE(waited.error().message.find("no free connection to http://127.0.0.1:9"),
            std::string::npos)
      << waited.error().message;
}

TEST(SessionPool, StopEndsAWaitForABusySession) {
  auto pool = poolOfOne(1h);
  StopSignal stop;
  std::optional<Result<SessionPool::Lease>> held(pool->acquire(loopbackOrigin(), false, stop));
  ASSERT_TRUE(*held) << held->error().describe();
  auto waiting =
      std::async(std::launch::async, [&] { return pool->acquire(loopbackOrigin(), false, stop); });
  stop.stop();
  const bool returned = waiting.wait_for(30s) == std::future_status::ready;
  held.reset();  // gives the session back, so a waiter that missed the stop ends too
  ASSERT_TRUE(returned) << "still waiting 30 s after stop()";
  auto waited = waiting.get();
  ASSERT_FALSE(waited);
  EXPECT_EQ(waited.error().code, ErrorCode::Cancelled);
}

TEST(SessionPool, ASessionGivenBackIsLentAgainAndTheBoundIsPerOrigin) {
  auto pool = poolOfOne(1h);
  StopSignal stop;
  {
    auto first = pool->acquire(loopbackOrigin(), false, stop);
    ASSERT_TRUE(first);
    // Another origin has its own bound.
    auto other = pool->acquire(*Origin::of(Poco::URI("http://localhost:9/")), false, stop);
    ASSERT_TRUE(other);
  }
  auto again = pool->acquire(loopbackOrigin(), false, stop);
  EXPECT_TRUE(again);
  EXPECT_EQ(pool->sessionsCreatedForTest(), 3u);  // never connected: not kept for reuse
}

TEST(SessionPool, AnHttpsOriginWithoutTlsSetUpIsRefused) {
  auto pool = poolOfOne(100ms);
  StopSignal stop;
  const Origin https = *Origin::of(Poco::URI("https://127.0.0.1:9/"));
  for (int attempt = 0; attempt < 2; ++attempt) {
    // The second one would wait (and end Unavailable) if the first had kept its place.
    auto lease = pool->acquire(https, false, stop);
    ASSERT_FALSE(lease);
    EXPECT_EQ(lease.error().code, ErrorCode::Internal) << lease.error().describe();
  }
}

}  // namespace
}  // namespace dms::http
