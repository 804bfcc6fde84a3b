#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <future>
#include <mutex>
#include <sstream>
#include <thread>
#include <vector>

#include "EngineFixture.h"
#include "commands/AdminCommands.h"
#include "filing/AuditLog.h"
#include "push/Poller.h"
#include "push/PushEndpoint.h"
#include "push/PushInbox.h"
#include "push/PushWorkers.h"

namespace ambita::test {
namespace {

using filing::TrackedOrder;

class PushTest : public EngineFixture {
 protected:
  void track(std::int64_t id, const std::string& finishedAt) {
    TrackedOrder o;
    o.id = id;
    o.trackedAt = filing::AuditLog::now();
    ASSERT_TRUE(store_->trackOrder(o).ok());
    if (!finishedAt.empty()) {
      ASSERT_TRUE(store_->updateOrderStatus(id, "FINISHED", finishedAt, true).ok());
    }
  }
};

TEST_F(PushTest, PollerQueuesOpenAndRecentlyFinishedOrdersOnce) {
  track(1, "");                       // open
  track(2, filing::AuditLog::now());  // finished just now
  track(3, "2020-01-01T00:00:00Z");   // finished long ago
  push::PushInbox inbox(*store_);
  push::Poller poller(inbox, logger_, std::chrono::minutes(10), 14);
  EXPECT_EQ(poller.pollOnce(), 2u);
  std::set<std::int64_t> queued;
  auto due = store_->dueMessages(std::numeric_limits<std::int64_t>::max(), 0, 100);
  ASSERT_TRUE(due.ok());
  for (const auto& m : *due) {
    queued.insert(m.orderId);
    EXPECT_EQ(m.source, "poll");
  }
  EXPECT_EQ(queued, (std::set<std::int64_t>{1, 2}));
  EXPECT_EQ(poller.pollOnce(), 0u) << "orders already waiting are not queued twice";
}

TEST_F(PushTest, PollerThreadStartsAndStopsPromptly) {
  track(1, "");
  push::PushInbox inbox(*store_);
  push::Poller poller(inbox, logger_, std::chrono::minutes(60), 14);
  const auto start = std::chrono::steady_clock::now();
  poller.start();
  // The first round runs at once.
  for (int i = 0; i < 200 && *store_->inboxSize() == 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_EQ(*store_->inboxSize(), 1u);
  poller.stop();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5))
      << "stop does not wait for the interval";
}

// ambita_push_messages_coalesced_total counts a push merged into its order's waiting message
// (not a poll's message, not a push for an order not waiting), once per merge.
TEST_F(PushTest, PushesMergedIntoAWaitingMessageAreCountedAsCoalesced) {
  metrics::Registry registry;
  metrics::PushMetrics pushMetrics(registry);
  push::PushInbox inbox(*store_);
  inbox.countInto(&pushMetrics);
  const auto message = [](std::int64_t order) {
    api::PushMessage m;
    m.orderCollectionId = order;
    return m;
  };
  ASSERT_TRUE(inbox.add(message(7), "push").ok());
  ASSERT_TRUE(inbox.add(message(7), "push").ok());
  ASSERT_TRUE(inbox.add(message(7), "poll").ok());
  ASSERT_TRUE(inbox.add(message(8), "push").ok());
  EXPECT_EQ(*store_->inboxSize(), 2u);
  EXPECT_NE(registry.render().find("\nambita_push_messages_coalesced_total 1\n"),
            std::string::npos)
      << registry.render();
}

// An Ambita outage (or expired credentials) must not lose an order heard of only by a push: it
// is retried with capped backoff for push.retryDays, shown as waiting, and only then given up
// and audited.
TEST_F(PushTest, OrderWhoseGetKeepsFailingIsRetriedForDaysThenGivenUp) {
  push::PushInbox inbox(*store_, 100, clock());
  push::OrderRetry retry;  // 15 s doubling to 1 h, for 7 days
  push::PushWorkers workers(inbox, *service_, logger_, 1, retry);
  api_.setOrder(makeOrder(5, "FINISHED", {makeAsset("a1", "A.pdf")}));
  api_.failGetOrder(5, dms::ErrorCode::Unavailable);
  api::PushMessage m;
  m.orderCollectionId = 5;
  ASSERT_TRUE(inbox.add(m, "push").ok());

  // A day of outage: 30 hourly attempts and more, far beyond the old limit of 8.
  for (int hour = 0; hour < 30; ++hour) {
    workers.drainForTest();
    advanceClock(3600);
  }
  EXPECT_GE(api_.getOrders(), 30);
  EXPECT_LE(api_.getOrders(), 32) << "one GET per backoff window";
  EXPECT_EQ(*store_->inboxSize(), 1u) << "still waiting, not dropped";
  commands::AdminCommands admin(*service_, *config_);
  std::ostringstream out, err;
  ASSERT_EQ(admin.run("status", {}, {&out, &err, false}), 0) << err.str();
  EXPECT_NE(out.str().find("waiting: order 5 (push)"), std::string::npos) << out.str();
  EXPECT_NE(out.str().find("injected"), std::string::npos) << "shows why: " << out.str();

  // Ambita is back: the order is filed.
  api_.failGetOrder(5, std::nullopt);
  EXPECT_EQ(workers.drainForTest(), 1u);
  EXPECT_EQ(tree().size(), 1u);
  EXPECT_EQ(*store_->inboxSize(), 0u);

  // An id Ambita never answers for is given up after push.retryDays, and audited.
  api_.failGetOrder(6, dms::ErrorCode::Unauthenticated);
  m.orderCollectionId = 6;
  ASSERT_TRUE(inbox.add(m, "push").ok());
  for (int hour = 0; hour < 7 * 24 + 2 && *store_->inboxSize() > 0; ++hour) {
    workers.drainForTest();
    advanceClock(3600);
  }
  EXPECT_EQ(*store_->inboxSize(), 0u);
  auto log = store_->audit(6, 10);
  ASSERT_TRUE(log.ok());
  ASSERT_FALSE(log->empty());
  EXPECT_EQ(log->back().action, "failed");
  EXPECT_NE(log->back().detail.find("gave up"), std::string::npos) << log->back().detail;
}

// Issue 13, the clock jumping: an order whose GET failed waits at most the longest backoff
// after the clock was set back by days, instead of as long as the clock went back.
TEST_F(PushTest, FailedOrderIsRetriedAfterTheClockWasSetBack) {
  push::PushInbox inbox(*store_, 100, clock());
  push::PushWorkers workers(inbox, *service_, logger_, 1);  // backoff capped at 1 h
  api_.setOrder(makeOrder(5, "FINISHED", {makeAsset("a1", "A.pdf")}));
  api_.failGetOrder(5, dms::ErrorCode::Unavailable);
  api::PushMessage m;
  m.orderCollectionId = 5;
  ASSERT_TRUE(inbox.add(m, "push").ok());
  EXPECT_EQ(workers.drainForTest(), 1u);
  api_.failGetOrder(5, std::nullopt);
  advanceClock(-10 * 24 * 3600);
  EXPECT_EQ(workers.drainForTest(), 1u) << "retried now, not in ten days";
  EXPECT_EQ(tree().size(), 1u);
  EXPECT_EQ(*store_->inboxSize(), 0u);
}

// Issue 13, the clock jumping: a clock set forward by more than push.retryDays does not make an
// order that has failed once give up; the give-up window counts each gap between two attempts
// at most as the longest backoff.
TEST_F(PushTest, ClockSetForwardDoesNotGiveUpAnOrderEarly) {
  push::PushInbox inbox(*store_, 100, clock());
  push::PushWorkers workers(inbox, *service_, logger_, 1);  // 7 days, backoff capped at 1 h
  api_.failGetOrder(6, dms::ErrorCode::Unavailable);
  api::PushMessage m;
  m.orderCollectionId = 6;
  ASSERT_TRUE(inbox.add(m, "push").ok());
  EXPECT_EQ(workers.drainForTest(), 1u);
  advanceClock(8 * 24 * 3600);
  EXPECT_EQ(workers.drainForTest(), 1u);
  EXPECT_EQ(*store_->inboxSize(), 1u) << "still waiting after two attempts an hour apart";
  auto log = store_->audit(6, 10);
  ASSERT_TRUE(log.ok());
  for (const auto& entry : *log) EXPECT_NE(entry.action, "failed") << entry.detail;
}

TEST(PushEndpoint, ConstantTimeEqualsComparesWholeStrings) {
  using push::PushEndpoint;
  EXPECT_TRUE(PushEndpoint::constantTimeEquals("abc", "abc"));
  EXPECT_FALSE(PushEndpoint::constantTimeEquals("abc", "abd"));
  EXPECT_FALSE(PushEndpoint::constantTimeEquals("abc", "abcd"));
  EXPECT_FALSE(PushEndpoint::constantTimeEquals("", "a"));
  EXPECT_TRUE(PushEndpoint::constantTimeEquals("", ""));
}

TEST_F(PushTest, EndpointAnswersJsonAndAcceptsUrlEncodedToken) {
  push::PushInbox inbox(*store_);
  push::PushEndpoint endpoint(inbox, logger_, "a b&c", 1024);
  dms::HttpRequest request;
  request.body = R"({"orderCollectionId": 5, "status": "NEW"})";
  request.query = "token=a%20b%26c";
  auto ok = endpoint.handle(request);
  EXPECT_EQ(ok.status, 200);
  EXPECT_EQ(ok.contentType, "application/json");
  EXPECT_EQ(ok.body, R"({"orderCollectionId":5,"status":"queued"})");
  request.body = R"({"orderCollectionId": "abc"})";
  auto bad = endpoint.handle(request);
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(bad.body.find("orderCollectionId"), std::string::npos) << bad.body;
  EXPECT_EQ(*store_->inboxSize(), 1u);
}

/// Waits (at most 10 s: a failure, not a timing) until `ready` holds.
template <class Condition>
bool eventually(Condition ready) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!ready()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return true;
}

struct HeldCommit {
  bool leaderCommitting = false;  ///< push 0's commit was seen running (held)
  bool allWaiting = false;        ///< every follower was seen waiting for the next commit
};

/// Sends push 0 (`send(0)`, on its own thread) and holds its commit until pushes 1..followers
/// (each on its own thread) wait for the next one; runs `whileHeld`, lets the commit go and
/// waits for every answer.
HeldCommit sendWithTheFirstCommitHeld(push::PushInbox& inbox, int followers,
                                      const std::function<void(int)>& send,
                                      const std::function<void()>& whileHeld = {}) {
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  inbox.setBeforeCommitForTest([released] { released.wait(); });
  HeldCommit held;
  std::vector<std::thread> threads;
  threads.emplace_back(send, 0);
  held.leaderCommitting = eventually([&] { return inbox.commitRunningForTest(); });
  for (int i = 1; i <= followers; ++i) threads.emplace_back(send, i);
  held.allWaiting =
      eventually([&] { return inbox.waitingPushesForTest() == std::size_t(followers); });
  if (whileHeld) whileHeld();
  release.set_value();
  for (auto& thread : threads) thread.join();
  return held;
}

// Issue 15 (group commit): pushes arriving while a commit runs are stored together in the next
// transaction, each answered only once its own transaction committed; beyond the bound a push
// is refused at once with 503 and a retry hint, and counted.
TEST_F(PushTest, PushesArrivingDuringACommitShareTheNextOneAndAreAnsweredAfterIt) {
  push::PushInbox inbox(*store_);
  constexpr int kFollowers = 19;
  inbox.setMaxWaitingPushesForTest(kFollowers);
  push::PushEndpoint endpoint(inbox, logger_, "", 1024);

  std::vector<int> statuses(kFollowers + 1, 0);
  std::vector<int> storedWhenAnswered(kFollowers + 1, 0);
  auto send = [&](int i) {
    dms::HttpRequest request;
    request.body = R"({"orderCollectionId": )" + std::to_string(100 + i) + "}";
    statuses[i] = endpoint.handle(request).status;
    auto due = store_->dueMessages(std::numeric_limits<std::int64_t>::max(), 0, 1000);
    if (due)
      for (const auto& m : *due) storedWhenAnswered[i] += m.orderId == 100 + i ? 1 : 0;
  };
  dms::HttpResponse refused;
  const auto held = sendWithTheFirstCommitHeld(inbox, kFollowers, send, [&] {
    dms::HttpRequest surplus;
    surplus.body = R"({"orderCollectionId": 999})";
    refused = endpoint.handle(surplus);
  });
  ASSERT_TRUE(held.leaderCommitting);
  ASSERT_TRUE(held.allWaiting);

  EXPECT_EQ(refused.status, 503);
  EXPECT_NE(refused.body.find("\"retryAfterSeconds\":1"), std::string::npos) << refused.body;
  EXPECT_EQ(inbox.busyRefusals(), 1u);
  for (int i = 0; i <= kFollowers; ++i) {
    EXPECT_EQ(statuses[i], 200) << "push " << i;
    EXPECT_EQ(storedWhenAnswered[i], 1) << "push " << i << " was answered before its commit";
  }
  EXPECT_EQ(inbox.pushCommitsForTest(), 2u) << "the first push alone, then the 19 together";
  EXPECT_EQ(*store_->inboxSize(), std::size_t(kFollowers + 1));
}

// Issue 15 (branch push): the workers are woken once for a group commit, not once for each of
// its pushes (each wake sends idle workers to query the inbox beside the next commit).
TEST_F(PushTest, AGroupCommitWakesTheWorkersOnce) {
  push::PushInbox inbox(*store_);
  constexpr int kFollowers = 5;
  push::PushEndpoint endpoint(inbox, logger_, "", 1024);
  std::vector<int> statuses(kFollowers + 1, 0);
  auto send = [&](int i) {
    dms::HttpRequest request;
    request.body = R"({"orderCollectionId": )" + std::to_string(100 + i) + "}";
    statuses[i] = endpoint.handle(request).status;
  };
  const auto before = inbox.wakeupsForTest();
  const auto held = sendWithTheFirstCommitHeld(inbox, kFollowers, send);
  ASSERT_TRUE(held.leaderCommitting);
  ASSERT_TRUE(held.allWaiting);

  for (int i = 0; i <= kFollowers; ++i) EXPECT_EQ(statuses[i], 200) << "push " << i;
  ASSERT_EQ(inbox.pushCommitsForTest(), 2u) << "the first push alone, then the 5 together";
  EXPECT_EQ(inbox.wakeupsForTest() - before, 2u) << "one wake-up for each commit";
  EXPECT_EQ(*store_->inboxSize(), std::size_t(kFollowers + 1));
}

// Issue 15 (branch pushtail): once the service moved the state's checkpoints off the commits,
// the push workers run them (between orders, and when a push commit wakes them): without that
// the log would only be copied into state.db at its bound, four intervals later.
TEST_F(PushTest, TheWorkersRunADueCheckpointOfTheState) {
  store_->moveCheckpointsOffCommits();
  std::vector<filing::AuditEntry> audit;  // about one page each: the commit crosses the interval
  for (int i = 0; i < filing::SqliteStateStore::kCheckpointFrames + 100; ++i)
    audit.push_back(
        filing::AuditLog::entry(1, "", "filed", filing::Reason::Sync, "", std::string(3900, 'x')));
  ASSERT_TRUE(store_->commit({}, audit).ok());
  ASSERT_EQ(store_->checkpointsOffCommitsForTest(), 0u);

  push::PushInbox inbox(*store_);
  push::PushWorkers workers(inbox, *service_, logger_, 1);
  workers.start();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (store_->checkpointsOffCommitsForTest() == 0 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  workers.stop();
  EXPECT_EQ(store_->checkpointsOffCommitsForTest(), 1u);
  EXPECT_EQ(store_->checkpointsInCommitsForTest(), 0u);
}

// Issue 11 (branch pagerest): with several hosts sharing the inbox, a worker whose process
// already reconciles an order waits before claiming another, so that an idle host takes it
// first; stop() ends that wait. Without the wait the second worker fetches order 2 at once.
TEST_F(PushTest, AWorkerWithAnOrderInFlightWaitsBeforeClaimingAnotherAndStopEndsTheWait) {
  api_.setOrder(makeOrder(1, "FINISHED", {makeAsset("a1", "A.pdf")}));
  api_.setOrder(makeOrder(2, "FINISHED", {makeAsset("a2", "B.pdf")}));
  std::mutex mutex;
  std::condition_variable changed;
  bool firstStarted = false, released = false;
  std::atomic<bool> secondFetched{false};
  api_.onGetOrder([&](std::int64_t id) {
    if (id == 2) secondFetched = true;
    if (id != 1) return;
    std::unique_lock lock(mutex);
    firstStarted = true;
    changed.notify_all();
    changed.wait(lock, [&] { return released; });
  });
  push::PushInbox inbox(*store_);
  for (std::int64_t order : {1, 2}) {
    api::PushMessage m;
    m.orderCollectionId = order;
    ASSERT_TRUE(inbox.add(m, "push").ok());
  }
  push::PushWorkers workers(inbox, *service_, logger_, 2);
  workers.setClaimPausePerOrderInFlight(std::chrono::minutes(10));  // longer than the test
  workers.start();
  {
    std::unique_lock lock(mutex);
    changed.wait(lock, [&] { return firstStarted; });
  }
  // The second worker is free; a second gives it ample time to claim order 2 if it would.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(1);
  while (!secondFetched && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  EXPECT_FALSE(secondFetched) << "claimed while an order of this process was in flight";
  // stop() ends the pausing worker's ten minutes at once (else this test times out). The first
  // worker is let go once stop() has woken the inbox, i.e. after it marked the workers stopping.
  const auto wakeups = inbox.wakeupsForTest();
  std::thread stopping([&] { workers.stop(); });
  while (inbox.wakeupsForTest() == wakeups)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  {
    std::lock_guard lock(mutex);
    released = true;
  }
  changed.notify_all();
  stopping.join();
  EXPECT_FALSE(secondFetched);
}

TEST_F(PushTest, AHostAloneClaimsWithoutPausing) {
  // The pause shares orders out between hosts of one PostgreSQL state; with a state of its own
  // (SQLite) a host has nobody to leave an order to, so a pause would only delay it.
  ASSERT_FALSE(store_->sharedByProcesses());
  push::PushInbox inbox(*store_);
  push::PushWorkers workers(inbox, *service_, logger_, 2);
  EXPECT_EQ(workers.claimPausePerOrderInFlight(), std::chrono::milliseconds(0));
}

TEST_F(PushTest, EndpointAnswers400ToBadPercentEncodingInTheQuery) {
  push::PushInbox inbox(*store_);
  push::PushEndpoint endpoint(inbox, logger_, "push-secret", 1024);
  dms::HttpRequest request;
  request.body = R"({"orderCollectionId": 5, "status": "NEW"})";
  // Also found by tests/fuzz/fuzz_push_request: Poco::URI throws on a broken %-escape.
  for (const std::string query : {"orderId=%zz", "token=push-secret&x=%", "token=%4",
                                  "token=push-secret%", "tokez%=push-secret"}) {
    request.query = query;
    const auto answer = endpoint.handle(request);
    EXPECT_EQ(answer.status, 400) << query << ": " << answer.body;
    EXPECT_NE(answer.body.find("malformed query string"), std::string::npos) << answer.body;
    EXPECT_EQ(answer.body.find("push-secret"), std::string::npos) << answer.body;
  }
  EXPECT_EQ(*store_->inboxSize(), 0u);
}

// Issue 13: a full inbox refuses every further push with 503. Logging each refusal would let
// anyone who can reach the route fill the log; the first refusal of a minute is logged, the
// rest are counted into one line once the minute has passed.
TEST_F(PushTest, RefusedPushFloodLogsOneLineAMinute) {
  push::PushInbox inbox(*store_, 10, clock());
  push::PushEndpoint endpoint(inbox, logger_, "", 1024);
  dms::HttpRequest request;
  request.remoteAddress = "192.0.2.7";
  const auto pushFor = [&](int order) {
    request.body = R"({"orderCollectionId": )" + std::to_string(order) + "}";
    return endpoint.handle(request).status;
  };
  for (int order = 1; order <= 10; ++order) ASSERT_EQ(pushFor(order), 200);
  for (int order = 11; order <= 510; ++order) ASSERT_EQ(pushFor(order), 503);

  const auto linesWith = [&](const std::string& text) {
    std::size_t n = 0;
    for (const auto& line : logger_.lines()) n += line.find(text) != std::string::npos ? 1 : 0;
    return n;
  };
  EXPECT_EQ(linesWith("could not be stored"), 1u) << "500 refusals, one line:\n"
                                                  << logger_.text().substr(0, 2000);
  EXPECT_EQ(linesWith("refused in that minute"), 0u) << "the minute has not passed yet";

  advanceClock(61);
  EXPECT_EQ(pushFor(511), 503);
  EXPECT_EQ(linesWith("499 more pushes refused in that minute (499 answered 503"), 1u)
      << logger_.text().substr(0, 2000);
  EXPECT_EQ(linesWith("could not be stored"), 2u) << "a new minute logs its first refusal";
}

// The same for pushes without the shared secret: whoever can reach the route must not be able
// to write one log line per request.
TEST_F(PushTest, PushesWithoutTheTokenLogOneLineAMinute) {
  push::PushInbox inbox(*store_, 100, clock());
  push::PushEndpoint endpoint(inbox, logger_, "push-secret", 1024);
  dms::HttpRequest request;
  request.remoteAddress = "192.0.2.8";
  request.body = R"({"orderCollectionId": 5})";
  for (int i = 0; i < 200; ++i) ASSERT_EQ(endpoint.handle(request).status, 401);
  request.query = "token=guess";
  ASSERT_EQ(endpoint.handle(request).status, 403);
  std::size_t pushLines = 0;
  for (const auto& line : logger_.lines())
    pushLines += line.find("[ambita.push]") != std::string::npos;
  EXPECT_EQ(pushLines, 1u) << logger_.text().substr(0, 2000);

  advanceClock(61);
  request.query = "token=push-secret";
  ASSERT_EQ(endpoint.handle(request).status, 200) << "an accepted push reports the minute too";
  EXPECT_NE(logger_.text().find("200 more pushes refused in that minute (199 answered 401, "
                                "1 answered 403"),
            std::string::npos)
      << logger_.text();
  EXPECT_EQ(logger_.text().find("push-secret"), std::string::npos) << "never the secret";
}

}  // namespace
}  // namespace ambita::test
