// The engine's rules that have one home in FilingService: which orders are due for a check,
// how queued messages become one reconcile per order, tracking, the exclusive run.
#include <gtest/gtest.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <utility>
#include <vector>

#include <unistd.h>

#include "EngineFixture.h"
#include "dms/common/BookkeepingNames.h"
#include "filing/AuditLog.h"
#include "filing/FilingService.h"
#include "metrics/PluginMetrics.h"
#include "support/ForwardingTarget.h"

namespace ambita::test {
namespace {

using filing::OrderOrigin;

TEST(FilingServiceRules, OrdersDueForACheck) {
  const Poco::Timestamp now;
  const auto daysAgo = [&](int days) {
    return filing::AuditLog::at(now.epochTime() - std::int64_t{days} * 24 * 3600);
  };
  struct Case {
    std::string finishedAt;
    bool due;
    const char* why;
  };
  const std::vector<Case> cases = {
      {"", true, "not finished"},
      {daysAgo(0), true, "finished today"},
      {daysAgo(13), true, "finished within poll.finishedDays"},
      {daysAgo(14), false, "finished poll.finishedDays ago"},
      {"2020-01-01T00:00:00Z", false, "finished long ago"},
  };
  for (const auto& c : cases) {
    filing::TrackedOrder o;
    o.id = 1;
    o.finishedAt = c.finishedAt;
    EXPECT_EQ(filing::dueForCheck(o, 14), c.due) << c.why << ": " << c.finishedAt;
  }
}

TEST(FilingServiceRules, QueuedMessagesBecomeOneReconcilePerOrder) {
  const auto message = [](std::int64_t seq, std::int64_t order, const char* source) {
    filing::InboxMessage m;
    m.seq = seq;
    m.orderId = order;
    m.source = source;
    return m;
  };
  const auto queued = filing::groupByOrder(
      {message(3, 7, "poll"), message(4, 8, "poll"), message(5, 7, "push"), message(6, 8, "poll")});
  ASSERT_EQ(queued.size(), 2u);
  EXPECT_EQ(queued[0].orderId, 7);
  EXPECT_EQ(queued[0].upToSeq, 5);
  EXPECT_EQ(queued[0].messages.size(), 2u);
  EXPECT_EQ(queued[0].origin, OrderOrigin::Push) << "any push makes it a pushed order";
  EXPECT_EQ(queued[0].reason(), filing::Reason::Push);
  EXPECT_EQ(queued[1].orderId, 8);
  EXPECT_EQ(queued[1].upToSeq, 6);
  EXPECT_EQ(queued[1].origin, OrderOrigin::Poll);
  EXPECT_EQ(queued[1].reason(), filing::Reason::Poll);
}

class FilingServiceTest : public EngineFixture {};

TEST_F(FilingServiceTest, TrackAuditsOnlyWhenNewlyTracked) {
  filing::TrackedOrder o;
  o.id = 9;
  o.origin = OrderOrigin::Created;
  EXPECT_TRUE(*service_->track(o, filing::Reason::Admin, "created here"));
  EXPECT_FALSE(*service_->track(o, filing::Reason::Admin, "created here"));
  auto log = store_->audit(9, 10);
  ASSERT_TRUE(log.ok());
  ASSERT_EQ(log->size(), 1u);
  EXPECT_EQ(log->front().action, "tracked");
  EXPECT_EQ(log->front().detail, "created here");
}

// Recovery reads the orders with intents a page at a time (issue 15, branch pagerest): a crash
// that left intents in more orders than a page holds still has every one resolved.
TEST_F(FilingServiceTest, TheExclusiveRunResolvesTheIntentsOfMoreOrdersThanAPage) {
  constexpr int kOrders = 503;  // one page of 500, then 3
  // A killed run's intents: one an order, none of them stored.
  writeStateWithNumbers(kOrders,
                        "INSERT INTO assets(asset_id, order_id, category, state, path) SELECT "
                        "'asset-' || i, 7000 + i, 'PLAN', 'filing', 'Oppdrag ' || i || "
                        "'/plan.pdf' FROM n");
  auto run = service_->beginExclusiveRun();
  ASSERT_TRUE(run.ok()) << run.error().describe();
  ASSERT_TRUE(run->recovery().ok()) << run->recovery().error().describe();
  EXPECT_EQ(*run->recovery(), static_cast<std::size_t>(kOrders));
  auto left = store_->ordersWithIntentsAfter(filing::StateStore::kBeforeAnyOrder, 10);
  ASSERT_TRUE(left.ok()) << left.error().describe();
  EXPECT_TRUE(left->empty()) << "first left: order " << left->front();
  auto last = store_->asset("asset-" + std::to_string(kOrders));
  ASSERT_TRUE(last.ok() && last->has_value());
  EXPECT_EQ((*last)->state, filing::AssetState::Failed) << "never stored: filed again later";
}

TEST_F(FilingServiceTest, ExclusiveRunHoldsTheDataFolderUntilReleased) {
  {
    auto run = service_->beginExclusiveRun();
    ASSERT_TRUE(run.ok()) << run.error().describe();
    ASSERT_TRUE(run->recovery().ok());
    auto second = service_->beginExclusiveRun();
    ASSERT_FALSE(second.ok());
    EXPECT_EQ(second.error().code, dms::ErrorCode::Locked);
    auto moved = std::move(*run);  // a moved guard keeps the lock
    EXPECT_FALSE(service_->beginExclusiveRun().ok());
  }
  EXPECT_TRUE(service_->beginExclusiveRun().ok()) << "released with the guard";
}

// The target's clean mark (issue 15, startup; DataDirLock.h): a sync that wrote nothing lets the
// next lock holder skip recover()'s walk of the whole archive; anything else walks. A stale
// temporary placed by hand shows whether the walk ran.
TEST_F(FilingServiceTest, OnlyARunThatWroteNothingLetsTheNextSkipTheTargetWalk) {
  const auto stale = [&](const std::string& name) {
    const auto path = std::filesystem::path(archiveRoot_) / dms::common::makeTempName(name);
    std::ofstream(path) << "partial";
    return path;
  };
  const auto mark = std::filesystem::path(dataDir_) / "engine.clean";
  const auto run = [&] {
    auto begun = service_->beginExclusiveRun();
    if (!begun) throw std::runtime_error(begun.error().describe());
    return std::move(*begun);
  };

  const auto first = stale("first.pdf");
  run().leaveCleanMarkIfTargetUnwritten();
  EXPECT_FALSE(std::filesystem::exists(first)) << "no mark yet: the first run walks";
  EXPECT_TRUE(std::filesystem::exists(mark)) << "it wrote nothing: the mark is left";

  const auto skipped = stale("skipped.pdf");
  {
    auto second = run();  // asks for no mark, as `run` and `verify --repair` do
    EXPECT_TRUE(std::filesystem::exists(skipped)) << "the walk after a clean mark is skipped";
    EXPECT_FALSE(std::filesystem::exists(mark)) << "taken while held: a kill now leaves none";
  }
  EXPECT_FALSE(std::filesystem::exists(mark)) << "a run that did not ask leaves none";

  {
    auto third = run();
    EXPECT_FALSE(std::filesystem::exists(skipped)) << "no mark: the walk runs again";
    third.leaveCleanMarkIfTargetUnwritten();
    api_.setOrder(makeOrder(1, "FINISHED", {makeAsset("a1", "A.pdf")}));
    auto report = reconcile(1);
    ASSERT_TRUE(report.ok()) << report.error().describe();
    ASSERT_EQ(report->filed, 1u);
  }
  EXPECT_FALSE(std::filesystem::exists(mark)) << "a run that wrote to the target leaves none";
  const auto afterWrites = stale("after-writes.pdf");
  run().leaveCleanMarkIfTargetUnwritten();
  EXPECT_FALSE(std::filesystem::exists(afterWrites)) << "after a run that wrote: walked";

  // A mark naming another target (the configuration changed) is not trusted.
  ASSERT_TRUE(std::filesystem::exists(mark));
  std::ofstream(mark, std::ios::trunc) << "filesystem:/elsewhere";
  const auto otherTarget = stale("other-target.pdf");
  run();
  EXPECT_FALSE(std::filesystem::exists(otherTarget)) << "a mark of another target: walked";
  EXPECT_FALSE(std::filesystem::exists(mark));
}

/// Forwards to a target whose recover() names `left` leftovers it could not remove (Incomplete),
/// as a connector does on a badly broken tree, until `left` is 0.
class LeavingLeftovers final : public dms::test::ForwardingTarget {
 public:
  using ForwardingTarget::ForwardingTarget;
  int left = 0;

 protected:
  std::optional<dms::Error> around(const dms::test::TargetCall& call,
                                   const Forward& forward) override {
    forward();
    if (call.method != dms::test::TargetMethod::Recover || left == 0) return std::nullopt;
    std::string named;
    for (int i = 0; i < left; ++i) named += "'a/.dms-tmp-" + std::to_string(i) + "' (EACCES), ";
    return dms::fail(dms::ErrorCode::Incomplete, "recover: could not remove " + named);
  }
};

// The record `status` and /metrics read (issue 15, gaps): kept from a recover() that named
// leftovers until one that leaves none, and bounded however many it named (the log has all).
TEST_F(FilingServiceTest, TheLeftoversRecordIsBoundedAndGoesWithACleanRecover) {
  LeavingLeftovers target(*fsTarget_);
  target.left = 10000;
  EXPECT_FALSE(filing::targetLeftovers(dataDir_)) << "no record before any recover()";
  auto leftovers = filing::recoverTarget(target, logger_, dataDir_);
  ASSERT_TRUE(leftovers.ok()) << leftovers.error().describe();
  EXPECT_TRUE(*leftovers);
  const auto record = filing::targetLeftovers(dataDir_);
  ASSERT_TRUE(record);
  EXPECT_EQ(record->target, target.describe());
  EXPECT_FALSE(record->at.empty());
  EXPECT_TRUE(record->message.starts_with("recover: could not remove 'a/.dms-tmp-0' (EACCES)"))
      << record->message.substr(0, 200);
  EXPECT_LT(record->message.size(), 4100u);
  EXPECT_TRUE(record->message.ends_with("(the rest in the log)"));
  EXPECT_NE(logger_.text().find("'a/.dms-tmp-9999'"), std::string::npos) << "the log has all";

  target.left = 0;
  leftovers = filing::recoverTarget(target, logger_, dataDir_);
  ASSERT_TRUE(leftovers.ok()) << leftovers.error().describe();
  EXPECT_FALSE(*leftovers);
  EXPECT_FALSE(filing::targetLeftovers(dataDir_)) << "a clean recover() removes the record";
}

// /metrics reads the push inbox from the state: the commit that answers an order's messages is
// seen there while it still waits for its log sync (the store's lock is released by then).
// Whoever sees the messages answered must find the order's files counted: the metrics route's
// test once saw the inbox empty and the order FINISHED with files not counted yet.
TEST_F(FilingServiceTest, AnOrdersFilesAreCountedBeforeItsMessagesAreSeenAnswered) {
  metrics::PluginMetrics metrics;
  reconciler_->countInto(&metrics.filing());
  api_.setOrder(
      makeOrder(41, "FINISHED", {makeAsset("a1", "kart.pdf")}, {makeAsset("a2", "tegning.pdf")}));
  filing::InboxMessage push;
  push.orderId = 41;
  push.status = "FINISHED";
  push.source = "push";
  push.receivedAt = filing::AuditLog::now();
  ASSERT_TRUE(store_->enqueue(push).ok());
  // At each sync of the log (a commit written and visible, not yet reported): the inbox's size
  // and the files counted.
  std::vector<std::pair<std::size_t, std::uint64_t>> seenAtSync;
  store_->logSyncForTest().setSyncForTest([&](int fd) {
    const auto inbox = store_->inboxSize();
    seenAtSync.emplace_back(inbox ? *inbox : 99, metrics.filing().filed->value());
    return ::fdatasync(fd) == 0 ? 0 : errno;
  });

  auto queued = service_->queuedOrders(0, 3600, 10);
  ASSERT_TRUE(queued.ok()) << queued.error().describe();
  ASSERT_EQ(queued->size(), 1u);
  auto report = service_->reconcileQueued(queued->front());
  ASSERT_TRUE(report.ok()) << report.error().describe();
  ASSERT_EQ(report->filed, 2u) << ::testing::PrintToString(report->problems);
  bool answered = false;
  for (const auto& [inbox, filed] : seenAtSync)
    if (inbox == 0) {
      answered = true;
      EXPECT_EQ(filed, 2u) << "the messages were seen answered before the files were counted";
    }
  EXPECT_TRUE(answered) << "no sync saw the messages answered";
}

}  // namespace
}  // namespace ambita::test
