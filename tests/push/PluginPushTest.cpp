// The push route through the plugin object, as dms-host serves it.
#include <gtest/gtest.h>

#include <sstream>

#include "PluginFixture.h"

namespace ambita::test {
namespace {

class PluginPushTest : public PluginFixture {};

TEST_F(PluginPushTest, PushEndpointChecksAndQueuesWithoutWaiting) {
  makePlugin(std::string(R"("push": {"secret": ")") + kPushSecret + R"(", "maxBytes": 1024})");
  const std::string good =
      R"({"orderCollectionId": 1, "status": "UPDATED", "reference": "Oppdrag 117"})";
  EXPECT_EQ(push(good).status, 401);
  EXPECT_EQ(push(good, "token=wrong").status, 403);
  EXPECT_EQ(push(good, std::string("token=") + kPushSecret + "x").status, 403);
  auto bad = push("{not json", std::string("token=") + kPushSecret);
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(bad.body.find("error"), std::string::npos);
  EXPECT_EQ(push(R"({"status": "UPDATED"})", std::string("token=") + kPushSecret).status, 400);
  EXPECT_EQ(push(std::string(2000, ' '), std::string("token=") + kPushSecret).status, 413);

  auto order1 = makeOrder(1, "FINISHED", {makeAsset("a1", "A.pdf")});
  order1.reference = "Oppdrag 117";
  api_.setOrder(order1);
  // Duplicates and an older-style message: one reconcile answers them all.
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(push(good, std::string("token=") + kPushSecret).status, 200);
  auto old = push(R"({"orderId": "1", "status": "FINISHED"})", std::string("token=") + kPushSecret);
  EXPECT_EQ(old.status, 200);
  EXPECT_NE(old.body.find("queued"), std::string::npos);
  EXPECT_EQ(api_.getOrders(), 0) << "the handler never reconciles";
  EXPECT_EQ(*plugin_->stateForTest().inboxSize(), 1u) << "merged into one message per order";

  EXPECT_EQ(plugin_->workersForTest().drainForTest(), 1u);
  EXPECT_EQ(api_.getOrders(), 1);
  EXPECT_EQ(*plugin_->stateForTest().inboxSize(), 0u);
  EXPECT_EQ(tree().count("Oppdrag 117/1/Plan og regulering/A.pdf"), 1u)
      << "the order's reference (from the GET) names the folder";
  auto order = plugin_->stateForTest().order(1);
  EXPECT_EQ((*order)->origin, filing::OrderOrigin::Push);
  EXPECT_EQ(logger_.text().find(kPushSecret), std::string::npos) << "the secret is never logged";
  EXPECT_EQ(logger_.text().find("client-s3cret"), std::string::npos);
}

// Refused pushes are logged bounded (the first of a minute in full, the rest counted): the
// count of the last minute is logged when the service stops, not lost for want of a next push.
TEST_F(PluginPushTest, StopLogsTheRefusedPushesHeldBack) {
  makePlugin(std::string(R"("push": {"secret": ")") + kPushSecret + R"("})");
  ASSERT_TRUE(plugin_->startService().ok());
  const std::string good = R"({"orderCollectionId": 1})";
  for (int i = 0; i < 3; ++i) ASSERT_EQ(push(good).status, 401);
  ASSERT_EQ(push(good, "token=guess").status, 403);
  plugin_->stop();
  const std::string log = logger_.text();
  EXPECT_NE(log.find("push from 127.0.0.1 refused: no token"), std::string::npos) << log;
  const auto summary = log.find(
      "3 more pushes refused in that minute (2 answered 401, 1 answered 403; not logged "
      "one by one)");
  EXPECT_NE(summary, std::string::npos) << log;
  EXPECT_LT(summary, log.find("service stopped")) << log;
}

// Without push.secret anyone can queue pushes, as often as they like: the first of a minute is
// logged in full, the rest are counted (the count logged at stop at the latest). With a secret
// only its holder gets that far, and each queued push has its line.
TEST_F(PluginPushTest, PushesQueuedWithoutATokenAreLoggedBounded) {
  makePlugin();
  ASSERT_TRUE(plugin_->startService().ok());
  for (int i = 0; i < 50; ++i)
    ASSERT_EQ(push(R"({"orderCollectionId": )" + std::to_string(1000 + i) + "}").status, 200);
  plugin_->stop();
  const std::string log = logger_.text();
  EXPECT_NE(log.find("push (no status) for order 1000 queued (from 127.0.0.1, no token asked)"),
            std::string::npos)
      << log;
  EXPECT_EQ(log.find("for order 1001 queued"), std::string::npos) << log;
  const auto summary = log.find(
      "49 more pushes queued without a token in that minute (49 queued; not logged one by one)");
  EXPECT_NE(summary, std::string::npos) << log;
  EXPECT_LT(summary, log.find("service stopped")) << log;
}

TEST_F(PluginPushTest, PushesQueuedWithTheSecretAreEachLogged) {
  makePlugin(std::string(R"("push": {"secret": ")") + kPushSecret + R"("})");
  ASSERT_TRUE(plugin_->startService().ok());
  for (int i = 0; i < 3; ++i)
    ASSERT_EQ(push(R"({"orderCollectionId": )" + std::to_string(1000 + i) + "}",
                   std::string("token=") + kPushSecret)
                  .status,
              200);
  plugin_->stop();
  const std::string log = logger_.text();
  for (int i = 0; i < 3; ++i)
    EXPECT_NE(log.find("push (no status) for order " + std::to_string(1000 + i) + " queued"),
              std::string::npos)
        << log;
  EXPECT_EQ(log.find("queued without a token"), std::string::npos) << log;
}

TEST_F(PluginPushTest, PushForAnUnknownOrderIsPostponedAndNotTracked) {
  makePlugin();
  EXPECT_EQ(push(R"({"orderCollectionId": 777})").status, 200);
  EXPECT_EQ(plugin_->workersForTest().drainForTest(), 1u);
  EXPECT_EQ(*plugin_->stateForTest().inboxSize(), 1u) << "postponed, not lost";
  EXPECT_FALSE(plugin_->stateForTest().order(777)->has_value()) << "not tracked on the body's word";
}

// A push names an order id and nothing more: a forged body cannot file a real order under
// another case, through the service's workers or through sync.
TEST_F(PluginPushTest, PushBodyCannotChooseTheFolder) {
  makePlugin();
  for (std::int64_t id : {1, 2}) {
    auto order = makeOrder(id, "FINISHED", {makeAsset("a" + std::to_string(id), "A.pdf")});
    order.reference = "Oppdrag " + std::to_string(id);
    api_.setOrder(order);
    EXPECT_EQ(push(R"({"orderCollectionId": )" + std::to_string(id) +
                   R"(, "reference": "Forged case", "technicalReference": "forged"})")
                  .status,
              200);
  }
  EXPECT_EQ(plugin_->workersForTest().drainForTest(), 2u);
  EXPECT_EQ(tree().count("Oppdrag 1/1/Plan og regulering/A.pdf"), 1u);
  EXPECT_EQ(tree().count("Oppdrag 2/2/Plan og regulering/A.pdf"), 1u);
  EXPECT_EQ((*plugin_->stateForTest().order(1))->reference, "Oppdrag 1");
  auto order3 = makeOrder(3, "FINISHED", {makeAsset("a3", "A.pdf")});
  order3.reference = "Oppdrag 3";
  api_.setOrder(order3);
  EXPECT_EQ(push(R"({"orderCollectionId": 3, "reference": "Forged case"})").status, 200);
  EXPECT_EQ(run("sync", {}).code, 0);
  EXPECT_EQ(tree().count("Oppdrag 3/3/Plan og regulering/A.pdf"), 1u);
  for (const auto& [path, file] : tree()) EXPECT_EQ(path.find("Forged"), std::string::npos) << path;
}

// Forged or unknown ids stay cheap: repeated pushes of one id cost one GET per backoff window,
// and the inbox holds at most push.maxQueuedOrders orders.
TEST_F(PluginPushTest, RepeatedPushesOfAnUnknownOrderCostOneGetPerBackoffWindow) {
  makePlugin(R"("push": {"maxQueuedOrders": 10})");
  EXPECT_EQ(push(R"({"orderCollectionId": 777})").status, 200);
  EXPECT_EQ(plugin_->workersForTest().drainForTest(), 1u);
  EXPECT_EQ(api_.getOrders(), 1);
  for (int i = 0; i < 20; ++i) EXPECT_EQ(push(R"({"orderCollectionId": 777})").status, 200);
  plugin_->workersForTest().drainForTest();
  EXPECT_EQ(api_.getOrders(), 1) << "postponed: more pushes of the id bring no earlier GET";
  EXPECT_EQ(*plugin_->stateForTest().inboxSize(), 1u);
  for (int id = 1000; id < 1009; ++id)
    EXPECT_EQ(push(R"({"orderCollectionId": )" + std::to_string(id) + "}").status, 200);
  auto full = push(R"({"orderCollectionId": 2000})");
  EXPECT_EQ(full.status, 503) << "the inbox is bounded";
  EXPECT_EQ(push(R"({"orderCollectionId": 1000})").status, 200) << "a waiting id is merged";
  EXPECT_EQ(*plugin_->stateForTest().inboxSize(), 10u);
}

}  // namespace
}  // namespace ambita::test
