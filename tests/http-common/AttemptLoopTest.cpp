// The one attempt loop both HTTP clients retry with (issue 8 item 3): counting, giving up,
// final failures, uncounted repeats, Retry-After capped, and stop; retries counted for metrics.
#include <gtest/gtest.h>

#include <chrono>
#include <vector>

#include "dms/http/AttemptLoop.h"
#include "dms/http/RetryAfter.h"

namespace dms::http {
namespace {

using namespace std::chrono_literals;
using std::chrono::milliseconds;

/// Three attempts at most, 1 ms then 2 ms apart (no jitter): fast and exact.
RetryPolicy quickPolicy() {
  RetrySettings settings;
  settings.maxAttempts = 3;
  settings.initialBackoff = 1ms;
  settings.maxBackoff = 1000ms;
  settings.maxTotal = 60s;
  settings.jitter = false;
  return RetryPolicy(settings);
}

Error unavailable(std::string why) {
  return fail(ErrorCode::Unavailable, std::move(why));
}

TEST(AttemptLoop, RetriesUntilDoneWithTheBackoffSchedule) {
  RetryPolicy policy = quickPolicy();
  StopSignal stop;
  AttemptLoop loop(policy, stop);
  std::vector<milliseconds> pauses;
  const Status result = loop.run(
      [](int attempt) {
        return attempt < 3 ? Step::failure(unavailable("503 #" + std::to_string(attempt)))
                           : Step::done();
      },
      [&](const Error&, milliseconds delay, int) { pauses.push_back(delay); });
  EXPECT_TRUE(result);
  EXPECT_EQ(loop.failures(), 2);
  EXPECT_EQ(pauses, (std::vector<milliseconds>{1ms, 2ms}));
}

TEST(AttemptLoop, GivesUpWithTheLastFailureWhenAttemptsAreUsedUp) {
  RetryPolicy policy = quickPolicy();
  StopSignal stop;
  AttemptLoop loop(policy, stop);
  int attempts = 0;
  const Status result = loop.run([&](int attempt) {
    ++attempts;
    return Step::failure(unavailable("503 #" + std::to_string(attempt)));
  });
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().message, "503 #3");
  EXPECT_EQ(attempts, 3);
  EXPECT_EQ(loop.failures(), 3);
}

// CallCounters (metrics) count each retry, i.e. each pause: not the attempt that gives up, not
// a repeat, not a final failure.
TEST(AttemptLoop, CountsEachRetryIntoTheClientsCounters) {
  RetryPolicy policy = quickPolicy();
  StopSignal stop;
  CallCounters counters;
  EXPECT_TRUE(AttemptLoop(policy, stop, &counters).run([](int attempt) {
    return attempt < 3 ? Step::failure(unavailable("503")) : Step::done();
  }));
  EXPECT_EQ(counters.retries(), 2u);
  EXPECT_FALSE(AttemptLoop(policy, stop, &counters).run([](int) {
    return Step::failure(unavailable("503"));
  }));
  EXPECT_EQ(counters.retries(), 4u) << "three attempts, two pauses";
  EXPECT_FALSE(AttemptLoop(policy, stop, &counters).run([](int attempt) {
    return attempt == 1 ? Step::repeat() : Step::finalFailure(unavailable("400"));
  }));
  EXPECT_EQ(counters.retries(), 4u);
  counters.answered(204);
  counters.answered(503);
  counters.answered(99);  // not an HTTP status: not counted
  EXPECT_EQ(counters.answers(2), 1u);
  EXPECT_EQ(counters.answers(5), 1u);
  EXPECT_EQ(counters.answers(0), 0u);
}

TEST(AttemptLoop, AFinalFailureIsNotRetried) {
  RetryPolicy policy = quickPolicy();
  StopSignal stop;
  AttemptLoop loop(policy, stop);
  int attempts = 0;
  const Status result = loop.run([&](int) {
    ++attempts;
    return Step::finalFailure(fail(ErrorCode::PermissionDenied, "403"));
  });
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, ErrorCode::PermissionDenied);
  EXPECT_EQ(attempts, 1);
}

TEST(AttemptLoop, RepeatsAreNotCountedButBounded) {
  RetryPolicy policy = quickPolicy();
  StopSignal stop;
  AttemptLoop loop(policy, stop);
  // A redirect and a challenge, then success: no failure counted.
  EXPECT_TRUE(loop.run([](int attempt) { return attempt < 3 ? Step::repeat() : Step::done(); }));
  EXPECT_EQ(loop.failures(), 0);
  // A server that redirects forever cannot keep the call going.
  int attempts = 0;
  const Status endless = loop.run([&](int) {
    ++attempts;
    return Step::repeat();
  });
  ASSERT_FALSE(endless);
  EXPECT_EQ(endless.error().code, ErrorCode::Unavailable);
  EXPECT_EQ(attempts, AttemptLoop::kMaxRepeats + 1);
}

// A server asking for an hour gets at most kMaxRetryAfter, and stop() ends the pause at once
// (here stop comes while the loop reports the pause it is about to take).
TEST(AttemptLoop, RetryAfterIsCappedAndStopEndsThePause) {
  RetryPolicy policy = quickPolicy();
  StopSignal stop;
  AttemptLoop loop(policy, stop);
  std::vector<milliseconds> pauses;
  const auto started = std::chrono::steady_clock::now();
  const Status result = loop.run(
      [](int) {
        Error busy = fail(ErrorCode::RateLimited, "429");
        busy.retryAfter = 1h;
        return Step::failure(busy);
      },
      [&](const Error&, milliseconds delay, int) {
        pauses.push_back(delay);
        stop.stop();
      });
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, ErrorCode::Cancelled);
  EXPECT_EQ(pauses, (std::vector<milliseconds>{kMaxRetryAfter}));
  EXPECT_LT(std::chrono::steady_clock::now() - started, 30s);  // generous: "not a minute"
}

}  // namespace
}  // namespace dms::http
