#include "dms/http/RetryPolicy.h"

#include <gtest/gtest.h>

namespace dms::http {
namespace {

using std::chrono::milliseconds;

struct FakeClock {
  std::chrono::steady_clock::time_point now{};
  RetryPolicy::Clock fn() {
    return [this] { return now; };
  }
};

TEST(RetryPolicyTest, ExponentialBackoffWithJitterWithinBounds) {
  FakeClock clock;
  RetryPolicy p({6, milliseconds(100), milliseconds(1000), milliseconds(60'000)}, clock.fn(), 42);
  const auto start = clock.now;
  const long long bases[] = {100, 200, 400, 800, 1000};
  for (int failures = 1; failures <= 5; ++failures) {
    auto d = p.nextDelay(failures, start);
    ASSERT_TRUE(d.has_value()) << failures;
    EXPECT_GE(d->count(), bases[failures - 1] / 2) << failures;
    EXPECT_LE(d->count(), bases[failures - 1]) << failures;
  }
  EXPECT_FALSE(p.nextDelay(6, start).has_value());  // attempts used up
}

TEST(RetryPolicyTest, JitterVaries) {
  RetryPolicy p({5, milliseconds(1000), milliseconds(1000), milliseconds(60'000)}, {}, 7);
  std::set<long long> seen;
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 20; ++i) seen.insert(p.nextDelay(1, start)->count());
  EXPECT_GT(seen.size(), 5u);
}

TEST(RetryPolicyTest, RetryAfterRaisesDelayAndTotalTimeBounds) {
  FakeClock clock;
  RetryPolicy p({10, milliseconds(100), milliseconds(200), milliseconds(5000)}, clock.fn(), 1);
  const auto start = clock.now;
  EXPECT_EQ(p.nextDelay(1, start, milliseconds(3000))->count(), 3000);
  EXPECT_FALSE(p.nextDelay(1, start, milliseconds(6000)).has_value());  // beyond total
  clock.now += milliseconds(4950);
  EXPECT_FALSE(p.nextDelay(2, start).has_value());  // would end after maxTotal
}

// Issue 13 item 8: a server asking for an hour's pause must not park a call (and stop())
// for an hour; the wait is capped and the call tries again after it.
TEST(RetryPolicyTest, RetryAfterIsCapped) {
  FakeClock clock;
  RetryPolicy p({10, milliseconds(100), milliseconds(200), milliseconds(7'200'000)}, clock.fn(), 1);
  auto d = p.nextDelay(1, clock.now, milliseconds(3'600'000));
  ASSERT_TRUE(d.has_value());
  EXPECT_LE(d->count(), 60'000);
  EXPECT_GE(d->count(), 100);
}

}  // namespace
}  // namespace dms::http
