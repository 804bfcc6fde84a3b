#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "events/EventDelivery.h"
#include "filing/AuditLog.h"
#include "filing/SqliteStateStore.h"
#include "support/CapturingLogger.h"
#include "support/TempDir.h"

// The delivery of the document-event outbox to the host's sink (issue 10): at least once, in
// order per order, a refused event offered again after its backoff (moved on by a test clock,
// never waited for), and the retention bound never silent.

namespace ambita::events {
namespace {

using filing::AuditLog;
using filing::Reason;

/// Takes every event, except that it refuses while `refuseOrder` names the event's order.
class RecordingSink final : public dms::EventSink {
 public:
  dms::Status deliver(const dms::DocumentEvent& event) noexcept override {
    ++calls;
    if (event.orderId == refuseOrder)
      return dms::fail(dms::ErrorCode::Unavailable, "receiver down");
    taken.push_back(event);
    return {};
  }
  std::vector<std::string> assetsOf(std::int64_t orderId) const {
    std::vector<std::string> out;
    for (const auto& e : taken)
      if (e.orderId == orderId) out.push_back(e.assetId);
    return out;
  }
  std::int64_t refuseOrder = 0;
  int calls = 0;
  std::vector<dms::DocumentEvent> taken;
};

class EventDeliveryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = filing::SqliteStateStore::open(tmp_.str() + "/state.db");
    ASSERT_TRUE(opened.ok()) << opened.error().describe();
    store_ = std::move(*opened);
  }
  void file(std::int64_t orderId, const std::string& assetId) {
    ASSERT_TRUE(
        store_->commit({}, {AuditLog::entry(orderId, assetId, "filed", Reason::Push, assetId)})
            .ok());
  }
  EventDelivery delivery(dms::EventSink* sink, DeliveryOptions options = {}) {
    return EventDelivery(*store_, sink, logger_, options, [this] { return now_; });
  }

  dms::test::TempDir tmp_;
  dms::test::CapturingLogger logger_;
  std::unique_ptr<filing::SqliteStateStore> store_;
  std::int64_t now_ = 1000;
};

TEST_F(EventDeliveryTest, DeliversEveryEventOnceInOrderPerOrder) {
  for (const char* id : {"a1", "a2", "a3"}) file(1, id);
  file(2, "b1");
  file(1, "a4");
  RecordingSink sink;
  auto events = delivery(&sink);
  EXPECT_EQ(events.deliverDue(), 5u);
  EXPECT_EQ(sink.assetsOf(1), (std::vector<std::string>{"a1", "a2", "a3", "a4"}));
  EXPECT_EQ(sink.assetsOf(2), (std::vector<std::string>{"b1"}));
  std::set<std::string> ids;
  for (const auto& e : sink.taken) ids.insert(e.id);
  EXPECT_EQ(ids.size(), 5u);
  EXPECT_EQ(*store_->outboxSize(), 0u);
  EXPECT_EQ(events.deliverDue(), 0u) << "nothing is delivered twice";
}

TEST_F(EventDeliveryTest, ARefusedEventComesAgainAfterItsBackoffBeforeItsOrdersLaterOnes) {
  file(1, "a1");
  file(1, "a2");
  file(2, "b1");
  RecordingSink sink;
  sink.refuseOrder = 1;
  auto events = delivery(&sink, DeliveryOptions{1000, 60});
  EXPECT_EQ(events.deliverDue(), 1u) << "the other order goes on";
  EXPECT_EQ(sink.assetsOf(2), (std::vector<std::string>{"b1"}));
  EXPECT_EQ(sink.calls, 2) << "a2 is not offered while a1 waits";
  EXPECT_NE(logger_.text().find("receiver down"), std::string::npos) << logger_.text();

  sink.refuseOrder = 0;
  EXPECT_EQ(events.deliverDue(), 0u) << "not before its backoff (1 s)";
  now_ += 1;
  EXPECT_EQ(events.deliverDue(), 2u);
  EXPECT_EQ(sink.assetsOf(1), (std::vector<std::string>{"a1", "a2"}));
}

TEST_F(EventDeliveryTest, ABackoffDoublesUpToTheLongest) {
  file(1, "a1");
  RecordingSink sink;
  sink.refuseOrder = 1;
  auto events = delivery(&sink, DeliveryOptions{1000, 4});
  for (std::int64_t wait : {1, 2, 4, 4}) {
    const int before = sink.calls;
    EXPECT_EQ(events.deliverDue(), 0u);
    EXPECT_EQ(sink.calls, before + 1);
    now_ += wait - 1;
    events.deliverDue();
    EXPECT_EQ(sink.calls, before + 1) << "offered before its " << wait << " s backoff";
    now_ += 1;
  }
}

TEST_F(EventDeliveryTest, WithoutASinkEventsWaitAndTheBoundDropsTheOldestWithAWarning) {
  for (const char* id : {"a1", "a2", "a3", "a4"}) file(1, id);
  auto keeping = delivery(nullptr, DeliveryOptions{10, 60});
  EXPECT_EQ(keeping.deliverDue(), 0u);
  EXPECT_EQ(*store_->outboxSize(), 4u) << "a host without a sink loses nothing";
  EXPECT_EQ(logger_.text().find("dropped"), std::string::npos);

  auto bounded = delivery(nullptr, DeliveryOptions{3, 60});
  bounded.deliverDue();
  EXPECT_EQ(*store_->outboxSize(), 3u);
  EXPECT_NE(logger_.text().find("dropped the 1 oldest undelivered document event(s)"),
            std::string::npos)
      << logger_.text();

  RecordingSink sink;
  auto later = delivery(&sink, DeliveryOptions{3, 60});
  EXPECT_EQ(later.deliverDue(), 3u);
  EXPECT_EQ(sink.assetsOf(1), (std::vector<std::string>{"a2", "a3", "a4"}));
}

/// Starts a second round from inside deliver(), as the service's thread would while a host
/// runs `sync`: deterministic, no timing.
class ReenteringSink final : public dms::EventSink {
 public:
  dms::Status deliver(const dms::DocumentEvent& event) noexcept override {
    taken.push_back(event.assetId);
    if (delivery != nullptr) secondRound.push_back(delivery->deliverDue());
    return {};
  }
  EventDelivery* delivery = nullptr;
  std::vector<std::string> taken;
  std::vector<std::size_t> secondRound;
};

TEST_F(EventDeliveryTest, ARoundThatFindsAnotherRunningLeavesTheWorkToIt) {
  file(1, "a1");
  file(1, "a2");
  ReenteringSink sink;
  auto events = delivery(&sink);
  sink.delivery = &events;
  EXPECT_EQ(events.deliverDue(), 2u);
  EXPECT_EQ(sink.taken, (std::vector<std::string>{"a1", "a2"})) << "never offered twice at once";
  EXPECT_EQ(sink.secondRound, (std::vector<std::size_t>{0, 0}));
}

}  // namespace
}  // namespace ambita::events
