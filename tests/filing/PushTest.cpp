#include <gtest/gtest.h>

#include "EngineFixture.h"
#include "filing/AuditLog.h"
#include "push/Poller.h"
#include "push/PushEndpoint.h"
#include "push/PushInbox.h"

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
  auto due = store_->dueMessages(std::numeric_limits<std::int64_t>::max(), 100);
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

// Found by tests/fuzz/fuzz_push_request: a query with a broken %-escape made Poco::URI throw,
// and the endpoint answered 500 "internal error" to what is the sender's mistake.
TEST_F(PushTest, EndpointRefusesMalformedQueryAsBadRequest) {
  push::PushInbox inbox(*store_);
  push::PushEndpoint endpoint(inbox, logger_, "s3cret", 1024);
  dms::HttpRequest request;
  request.body = R"({"orderCollectionId": 5})";
  for (const char* query : {"token=s3cret%", "tokez%=s3cret", "token=%zz"}) {
    request.query = query;
    auto answer = endpoint.handle(request);
    EXPECT_EQ(answer.status, 400) << query << ": " << answer.body;
    EXPECT_NE(answer.body.find("malformed query"), std::string::npos) << answer.body;
    EXPECT_EQ(answer.body.find("s3cret"), std::string::npos) << answer.body;
  }
  EXPECT_EQ(*store_->inboxSize(), 0u);
}

}  // namespace
}  // namespace ambita::test
