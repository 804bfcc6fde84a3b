// The pure planning step (filing/OrderPlan): order + what the state knows + configuration +
// the retry rule -> one action per asset, table-driven.
#include <gtest/gtest.h>

#include "EngineFixture.h"
#include "filing/OrderPlan.h"

namespace ambita::test {
namespace {

using filing::AssetRecord;
using filing::AssetState;
using filing::PlannedAction;

constexpr std::int64_t kNow = 1'000'000;

struct Case {
  const char* name;
  std::string orderStatus;
  std::string assetStatus;
  std::optional<AssetState> known;  ///< the state's record of the asset, if any
  int attempts = 0;                 ///< of a Failed record
  std::int64_t notBefore = 0;       ///< of a Failed record
  bool retryFailedNow = false;      ///< an administrator's sync
  filing::WithdrawnPolicy policy = filing::WithdrawnPolicy::Delete;
  PlannedAction expected;
};

std::string describe(const Case& c) {
  return std::string(c.name) + " (order " + c.orderStatus + ", asset " + c.assetStatus + ")";
}

TEST(OrderPlan, OneActionPerAsset) {
  using enum PlannedAction;
  const auto failed = AssetState::Failed;
  const auto filed = AssetState::Filed;
  const std::vector<Case> cases = {
      {"new file", "FINISHED", "OK", std::nullopt, 0, 0, false, {}, File},
      {"already filed", "FINISHED", "OK", filed, 0, 0, false, {}, Keep},
      {"already removed", "PROGRESS", "OK", AssetState::Removed, 0, 0, false, {}, Keep},
      {"failed, backoff over", "FINISHED", "OK", failed, 1, kNow - 1, false, {}, File},
      {"failed, backoff running", "FINISHED", "OK", failed, 1, kNow + 60, false, {}, Wait},
      {"failed, backoff running, sync", "FINISHED", "OK", failed, 1, kNow + 60, true, {}, File},
      {"failed, clock set back", "FINISHED", "OK", failed, 1, kNow + 7200, false, {}, File},
      {"given up", "FINISHED", "OK", failed, 10, 0, false, {}, Wait},
      {"given up, even for sync", "FINISHED", "OK", failed, 10, 0, true, {}, Wait},
      {"withdrawn, filed", "FINISHED", "DELETED", filed, 0, 0, false, {}, Remove},
      {"withdrawn, filed, move", "FINISHED", "DELETED", filed, 0, 0, false,
       filing::WithdrawnPolicy::Move, Move},
      {"withdrawn before filing",
       "PROGRESS",
       "DELETED",
       std::nullopt,
       0,
       0,
       false,
       {},
       NoteRemoved},
      // A failed attempt may have placed its file (placed, then the sync failed): looked for.
      {"withdrawn after failing", "PROGRESS", "DELETED", failed, 2, 0, false, {}, Remove},
      {"withdrawn and removed", "FINISHED", "DELETED", AssetState::Removed, 0, 0, false, {}, Keep},
      {"unknown asset status", "FINISHED", "SOMETHING_NEW", std::nullopt, 0, 0, false, {}, Skip},
      {"cancelled order, filed", "CANCELLED", "OK", filed, 0, 0, false, {}, Remove},
      {"refunded order, filed, move", "REFUNDED", "OK", filed, 0, 0, false,
       filing::WithdrawnPolicy::Move, Move},
      {"cancelled order, failed", "CANCELLED", "OK", failed, 1, 0, false, {}, Remove},
  };
  for (const auto& c : cases) {
    filing::FilingConfig config;
    config.withdrawnPolicy = c.policy;
    auto asset = makeAsset("a1", "A.pdf");
    asset.status = c.assetStatus;
    const auto order = EngineFixture::makeOrder(7, c.orderStatus, {asset});
    std::map<std::string, AssetRecord> known;
    if (c.known) {
      AssetRecord r;
      r.assetId = "a1";
      r.orderId = 7;
      r.state = *c.known;
      r.path = "folder/A.pdf";
      r.attempts = c.attempts;
      r.notBeforeEpoch = c.notBefore;
      known.emplace("a1", r);
    }
    const auto plan = filing::planOrder(order, known, config, {kNow, c.retryFailedNow});
    ASSERT_EQ(plan.assets.size(), c.known || !filing::isWithdrawnOrder(c.orderStatus) ? 1u : 0u)
        << describe(c);
    const auto& planned = plan.assets.front();
    EXPECT_EQ(toString(planned.action), toString(c.expected)) << describe(c);
    EXPECT_EQ(planned.context.asset.id, "a1") << describe(c);
    EXPECT_FALSE(planned.why.empty()) << describe(c);
  }
}

// A failed attempt that never chose a name (its download failed) left no file: withdrawn, it
// is only noted (and kept, in a withdrawn order), with no look at the target.
TEST(OrderPlan, AFailedAttemptWithoutANameIsOnlyNotedWhenWithdrawn) {
  filing::FilingConfig config;
  AssetRecord failed;
  failed.assetId = "a1";
  failed.orderId = 7;
  failed.state = AssetState::Failed;
  failed.attempts = 1;
  auto asset = makeAsset("a1", "A.pdf");
  asset.status = "DELETED";
  const auto deleted = filing::planOrder(EngineFixture::makeOrder(7, "PROGRESS", {asset}),
                                         {{"a1", failed}}, config, {kNow, false});
  ASSERT_EQ(deleted.assets.size(), 1u);
  EXPECT_EQ(toString(deleted.assets.front().action), toString(PlannedAction::NoteRemoved));
  const auto cancelled =
      filing::planOrder(EngineFixture::makeOrder(7, "CANCELLED", {makeAsset("a1", "A.pdf")}),
                        {{"a1", failed}}, config, {kNow, false});
  ASSERT_EQ(cancelled.assets.size(), 1u);
  EXPECT_EQ(toString(cancelled.assets.front().action), toString(PlannedAction::Keep));
}

TEST(OrderPlan, BothLevelsEachAssetOnceAndAWithdrawnOrderPlansWhatIsKnown) {
  filing::FilingConfig config;
  const auto order = EngineFixture::makeOrder(7, "FINISHED", {makeAsset("a1", "A.pdf")},
                                              {makeAsset("b1", "B.pdf"), makeAsset("a1", "A.pdf")});
  const auto plan = filing::planOrder(order, {}, config, {kNow, false});
  ASSERT_EQ(plan.assets.size(), 2u) << "an asset listed at both levels is planned once";
  const auto byId = plan.byId();
  ASSERT_EQ(byId.size(), 2u);
  ASSERT_TRUE(byId.contains("a1"));
  ASSERT_TRUE(byId.contains("b1"));
  EXPECT_EQ(byId.at("b1")->context.asset.id, "b1");

  // Cancelled: a filed asset Ambita no longer lists is still removed.
  AssetRecord gone;
  gone.assetId = "z9";
  gone.orderId = 7;
  gone.state = AssetState::Filed;
  const auto cancelled = EngineFixture::makeOrder(7, "CANCELLED", {});
  const auto withdrawn = filing::planOrder(cancelled, {{"z9", gone}}, config, {kNow, false});
  ASSERT_EQ(withdrawn.assets.size(), 1u);
  EXPECT_TRUE(withdrawn.withdrawnOrder);
  EXPECT_EQ(withdrawn.assets.front().action, PlannedAction::Remove);

  // Cancelled and still listed: each known asset takes its own walked context.
  AssetRecord filedA = gone, filedB = gone;
  filedA.assetId = "a1";
  filedB.assetId = "b1";
  const auto listed = EngineFixture::makeOrder(7, "CANCELLED", {makeAsset("a1", "A.pdf")},
                                               {makeAsset("b1", "B.pdf")});
  const auto both =
      filing::planOrder(listed, {{"a1", filedA}, {"b1", filedB}}, config, {kNow, false});
  ASSERT_EQ(both.assets.size(), 2u);
  for (const auto& planned : both.assets) {
    EXPECT_EQ(planned.action, PlannedAction::Remove) << planned.context.asset.id;
    EXPECT_EQ(planned.context.asset.name,
              planned.context.asset.id == "a1" ? "orig-A.pdf" : "orig-B.pdf");
  }
}

}  // namespace
}  // namespace ambita::test
