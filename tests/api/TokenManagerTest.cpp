// The token manager alone, with a scripted fetch and an injected clock (no network).

#include "api/TokenManager.h"

#include <atomic>
#include <chrono>
#include <limits>
#include <thread>

#include <gtest/gtest.h>

namespace ambita::api {
namespace {

using namespace std::chrono_literals;

ClientOptions credentials() {
  ClientOptions o;
  o.clientId = "client";
  o.clientSecret = "client-secret";
  o.username = "user";
  o.password = "user-password";
  return o;
}

TokenResponse tokenValidFor(std::chrono::seconds life, const std::string& name) {
  TokenResponse t;
  t.accessToken = "access-" + name;
  t.refreshToken = "refresh-" + name;
  t.expiresIn = life;
  return t;
}

/// A token fetch that blocks (as on a slow network) until release(); answers "access-1".
class BlockingFetch {
 public:
  TokenManager::Fetch function() {
    return [this](const TokenManager::Form&) -> dms::Result<TokenResponse> {
      started_ = true;
      const auto giveUp = std::chrono::steady_clock::now() + 30s;
      while (!released_ && std::chrono::steady_clock::now() < giveUp)
        std::this_thread::sleep_for(1ms);
      return tokenValidFor(3600s, "1");
    };
  }
  void awaitStart() const {
    while (!started_) std::this_thread::sleep_for(1ms);
  }
  void release() { released_ = true; }

 private:
  std::atomic<bool> started_{false};
  std::atomic<bool> released_{false};
};

// Issue 13 item 8: an `expires_in` near the largest integer overflowed the renewal time, which
// then lay in the past: every call renewed the token (one grant per API call).
TEST(TokenManagerTest, HugeExpiresInIsClampedNotOverflowed) {
  const auto start = std::chrono::steady_clock::now();
  auto now = start;
  int fetches = 0;
  TokenManager tokens(
      credentials(),
      [&](const TokenManager::Form&) -> dms::Result<TokenResponse> {
        ++fetches;
        return tokenValidFor(std::chrono::seconds(std::numeric_limits<std::int64_t>::max() / 2),
                             std::to_string(fetches));
      },
      nullptr, [&] { return now; });
  auto first = tokens.accessToken();
  ASSERT_TRUE(first) << first.error().describe();
  now = start + 1h;
  auto second = tokens.accessToken();
  ASSERT_TRUE(second) << second.error().describe();
  EXPECT_EQ(*second, *first);
  EXPECT_EQ(fetches, 1);
  // The clamp is a day: after that the token is renewed, without any overflow.
  now = start + 24h + 1s;
  auto third = tokens.accessToken();
  ASSERT_TRUE(third) << third.error().describe();
  EXPECT_NE(*third, *first);
  EXPECT_EQ(fetches, 2);
}

// Issue 13 item 1, at the unit level: while one thread's token request is under way (here:
// blocked until released), invalidate() from another thread must not wait for it. It used to
// block on the mutex the renewal held across the network call.
TEST(TokenManagerTest, InvalidateNeverWaitsForARenewalInProgress) {
  BlockingFetch fetch;
  TokenManager tokens(credentials(), fetch.function(), nullptr);
  std::thread renewer([&] { (void)tokens.accessToken(); });
  fetch.awaitStart();
  std::atomic<bool> invalidated{false};
  std::thread invalidator([&] {
    tokens.invalidate("access-old");
    (void)tokens.secrets();
    invalidated = true;
  });
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (!invalidated && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(1ms);
  const bool invalidateReturned = invalidated;
  fetch.release();
  invalidator.join();
  renewer.join();
  EXPECT_TRUE(invalidateReturned) << "invalidate() waited for the renewal's network call";
}

// A caller waiting for another thread's renewal gives up when cancelled, and at the latest
// after maxWait, with a clear error.
TEST(TokenManagerTest, WaitingForAnotherRenewalIsCancellable) {
  BlockingFetch fetch;
  ClientOptions o = credentials();
  o.maxWait = 200ms;
  TokenManager tokens(o, fetch.function(), nullptr);
  std::thread renewer([&] { (void)tokens.accessToken(); });
  fetch.awaitStart();
  auto cancelled = tokens.accessToken([] { return true; });
  auto timedOut = tokens.accessToken();
  fetch.release();
  renewer.join();
  ASSERT_FALSE(cancelled);
  EXPECT_EQ(cancelled.error().code, dms::ErrorCode::Cancelled);
  ASSERT_FALSE(timedOut);
  EXPECT_EQ(timedOut.error().code, dms::ErrorCode::Unavailable);
  EXPECT_NE(timedOut.error().message.find("did not finish"), std::string::npos)
      << timedOut.error().message;
  auto after = tokens.accessToken();
  ASSERT_TRUE(after) << after.error().describe();
  EXPECT_EQ(*after, "access-1");
}

}  // namespace
}  // namespace ambita::api
