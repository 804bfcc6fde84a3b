// Fulfilment script, push messages and payload generations of the sandbox.
#include <gtest/gtest.h>

#include <set>
#include <thread>

#include "PushReceiver.h"
#include "SandboxTestUtil.h"

namespace dms::test {
namespace {

using Poco::JSON::Array;
using Poco::JSON::Object;

std::vector<std::string> statuses(const std::vector<Object::Ptr>& messages) {
  std::vector<std::string> result;
  for (const auto& message : messages) result.push_back(message->getValue<std::string>("status"));
  return result;
}

std::vector<std::string> names(const Array::Ptr& array) {
  std::vector<std::string> result;
  for (std::size_t i = 0; i < array->size(); ++i)
    result.push_back(array->get(static_cast<unsigned>(i)).toString());
  return result;
}

Object::Ptr getOrder(const SandboxProcess& sandbox, const std::string& token, std::int64_t id) {
  RawReply reply = rawRequest(sandbox, "GET", "/kode/v1/orders/" + std::to_string(id), "", token);
  EXPECT_EQ(reply.status, 200) << reply.body;
  return parseObject(reply.body);
}

TEST(SandboxScript, StepsGoThroughTheOrderAndPushEachStep) {
  PushReceiver receiver;
  SandboxProcess sandbox({"--push-url", receiver.url()});
  const std::string token = sandbox.passwordToken();
  const std::int64_t id = sandbox.createDemoOrder("assignment-7", "dms-case-7");
  ASSERT_EQ(receiver.waitFor(1).size(), 1u);

  auto summary = sandbox.step(id);
  EXPECT_EQ(names(summary->getArray("ran")), std::vector<std::string>{"progress"});
  EXPECT_EQ(getOrder(sandbox, token, id)->getValue<std::string>("status"), "PROGRESS");

  sandbox.step(id);  // orderFile
  auto order = getOrder(sandbox, token, id);
  auto supplierOrder = order->getArray("orders")->getObject(0);
  ASSERT_EQ(supplierOrder->getArray("assets")->size(), 1u);
  auto asset = supplierOrder->getArray("assets")->getObject(0);
  EXPECT_EQ(asset->getValue<std::string>("assetStatus"), "OK");
  EXPECT_EQ(asset->getValue<std::string>("downloadUrl"),
            sandbox.baseUrl() + "/shopping/v2/assets/" + asset->getValue<std::string>("id"));
  EXPECT_EQ(asset->getValue<std::string>("id").size(), 32u);

  summary = sandbox.step(id, 0);  // everything that remains
  EXPECT_EQ(names(summary->getArray("ran")),
            (std::vector<std::string>{"lineFile", "lineFile", "lineFile", "lineFile", "finish"}));
  EXPECT_EQ(summary->getArray("remaining")->size(), 0u);
  order = getOrder(sandbox, token, id);
  EXPECT_EQ(order->getValue<std::string>("status"), "FINISHED");
  auto lines = order->getArray("orders")->getObject(0)->getArray("orderLines");
  EXPECT_EQ(lines->getObject(0)->getArray("assets")->size(), 0u);  // the package line itself
  for (unsigned i = 1; i < lines->size(); ++i) {
    EXPECT_EQ(lines->getObject(i)->getValue<std::string>("status"), "FINISHED");
    ASSERT_EQ(lines->getObject(i)->getArray("assets")->size(), 1u);
  }
  // The regulation plan's file has a Norwegian name and its product's category.
  auto planAsset = lines->getObject(2)->getArray("assets")->getObject(0);
  EXPECT_EQ(planAsset->getValue<std::string>("name"), "Reguleringskart æøå.pdf");
  EXPECT_EQ(planAsset->getValue<std::string>("productCategory"), "PLAN_KART_REGULERING");

  auto messages = receiver.waitFor(8);
  EXPECT_EQ(statuses(messages),
            (std::vector<std::string>{"NEW", "UPDATED", "UPDATED", "UPDATED", "UPDATED", "UPDATED",
                                      "UPDATED", "FINISHED"}));
  EXPECT_EQ(messages[0]->getValue<std::int64_t>("orderCollectionId"), id);
  EXPECT_EQ(messages[0]->getValue<std::string>("reference"), "assignment-7");
  EXPECT_EQ(messages[0]->getValue<std::string>("technicalReference"), "dms-case-7");
  // No further steps: stepping a finished order runs nothing.
  EXPECT_EQ(sandbox.step(id)->getArray("ran")->size(), 0u);
}

TEST(SandboxScript, ExtraStepsFileAfterFinishedWithdrawAndRefund) {
  PushReceiver receiver;
  SandboxProcess sandbox({"--push-url", receiver.url(), "--extra-steps", "fileAfterFinished"});
  const std::string token = sandbox.passwordToken();
  const std::int64_t id =
      sandbox.createOrder("cadastre", cadastreBody({"WI99990400"}));  // one normal line
  sandbox.setExtraSteps(id, {"fileAfterFinished", "withdraw", "refund"});
  auto summary = sandbox.step(id, 0);
  EXPECT_EQ(names(summary->getArray("done")),
            (std::vector<std::string>{"progress", "orderFile", "lineFile", "finish",
                                      "fileAfterFinished", "withdraw", "refund"}));
  auto order = getOrder(sandbox, token, id);
  EXPECT_EQ(order->getValue<std::string>("status"), "REFUNDED");
  auto assets = order->getArray("orders")->getObject(0)->getArray("assets");
  ASSERT_EQ(assets->size(), 2u);  // the order-level file and the one after FINISHED
  // The newest file was withdrawn: DELETED in the order, 404 on download.
  auto withdrawn = assets->getObject(1);
  EXPECT_EQ(withdrawn->getValue<std::string>("assetStatus"), "DELETED");
  RawReply download = rawRequest(
      sandbox, "GET", "/shopping/v2/assets/" + withdrawn->getValue<std::string>("id"), "", token);
  EXPECT_EQ(download.status, 404);
  EXPECT_EQ(statuses(receiver.waitFor(8)),
            (std::vector<std::string>{"NEW", "UPDATED", "UPDATED", "UPDATED", "FINISHED", "UPDATED",
                                      "UPDATED", "REFUNDED"}));
}

TEST(SandboxScript, AssetSizeRangeSpreadsScriptedFileSizes) {
  // The benchmark of issue 15 row 1 needs scripted files of 20-200 KB (sync_bench_row1).
  SandboxProcess sandbox({"--asset-size", "20480-204800"});
  std::set<std::uint64_t> sizes;
  for (int k = 0; k < 2; ++k) {
    const std::int64_t id = sandbox.createDemoOrder();
    sandbox.step(id, 0);
    auto order =
        sandbox.control("GET", "/_sandbox/orders/" + std::to_string(id)).extract<Object::Ptr>();
    auto supplier = order->getArray("orders")->getObject(0);
    std::vector<Array::Ptr> lists = {supplier->getArray("assets")};
    auto lines = supplier->getArray("orderLines");
    for (std::size_t i = 0; i < lines->size(); ++i)
      lists.push_back(lines->getObject(static_cast<unsigned>(i))->getArray("assets"));
    for (const auto& list : lists)
      for (std::size_t i = 0; list && i < list->size(); ++i) {
        const auto size =
            sandbox
                .assetInfo(list->getObject(static_cast<unsigned>(i))->getValue<std::string>("id"))
                .size;
        EXPECT_GE(size, 20480u);
        EXPECT_LE(size, 204800u);
        sizes.insert(size);
      }
  }
  EXPECT_EQ(sizes.size(), 10u);  // two Meglerpakke orders: 5 scripted files each, all different
  // A reversed range is refused at start, naming the flag.
  EXPECT_THROW(SandboxProcess({"--asset-size", "200-100"}), std::runtime_error);
}

TEST(SandboxScript, CancelAndRefundEndpointsActAtOnce) {
  PushReceiver receiver;
  SandboxProcess sandbox;
  sandbox.setPushUrl(receiver.url());
  const std::int64_t id = sandbox.createDemoOrder();
  sandbox.step(id, 2);
  sandbox.cancel(id);
  auto summaries = sandbox.control("GET", "/_sandbox/orders").extract<Array::Ptr>();
  EXPECT_EQ(summaries->getObject(0)->getValue<std::string>("status"), "CANCELLED");
  EXPECT_EQ(summaries->getObject(0)->getArray("remaining")->size(), 0u);
  sandbox.refund(id);
  EXPECT_EQ(statuses(receiver.waitFor(5)),
            (std::vector<std::string>{"NEW", "UPDATED", "UPDATED", "CANCELLED", "REFUNDED"}));
  // The push log shows delivery results (recorded just after the receiver answered).
  Array::Ptr pushes;
  for (int i = 0; i < 100; ++i) {
    pushes = sandbox.pushes();
    if (pushes->getObject(4)->getValue<std::string>("result") != "pending") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_EQ(pushes->size(), 5u);
  EXPECT_EQ(pushes->getObject(4)->getValue<std::string>("result"), "HTTP 204");
}

// Issue 12: one line cancelled or refunded on its own stays so while the order goes on, and
// --price sets what the catalogue, quotes and orders show.
TEST(SandboxScript, OneLineCanBeCancelledOrRefundedAndPricesSet) {
  SandboxProcess sandbox({"--price", "WI99990400=0.10"});
  const std::int64_t id =
      sandbox.createOrder("cadastre", cadastreBody({"WI99990400", "WI99990900"}));
  const auto path = "/_sandbox/orders/" + std::to_string(id);
  auto lines = sandbox.control("GET", path)
                   .extract<Object::Ptr>()
                   ->getArray("orders")
                   ->getObject(0)
                   ->getArray("orderLines");
  ASSERT_EQ(lines->size(), 2u);
  EXPECT_DOUBLE_EQ(lines->getObject(0)->getValue<double>("priceNet"), 0.1);
  EXPECT_DOUBLE_EQ(lines->getObject(0)->getValue<double>("priceVat"), 0.13);
  const auto first = lines->getObject(0)->getValue<std::int64_t>("id");
  const auto second = lines->getObject(1)->getValue<std::int64_t>("id");
  sandbox.control("POST", path + "/lines/" + std::to_string(first) + "/cancel");
  sandbox.control("POST", path + "/lines/" + std::to_string(second) + "/refund");
  sandbox.step(id, 0);  // the order finishes; the lines keep their own status
  auto order = sandbox.control("GET", path).extract<Object::Ptr>();
  EXPECT_EQ(order->getValue<std::string>("status"), "FINISHED");
  lines = order->getArray("orders")->getObject(0)->getArray("orderLines");
  EXPECT_EQ(lines->getObject(0)->getValue<std::string>("status"), "CANCELLED");
  EXPECT_EQ(lines->getObject(1)->getValue<std::string>("status"), "REFUNDED");
  EXPECT_EQ(sandbox.request("POST", path + "/lines/42/cancel").status, 404);

  // An unknown product is refused at start (the message on stderr names it).
  EXPECT_THROW(SandboxProcess({"--price", "WI00000000=1"}), std::runtime_error);
}

TEST(SandboxScript, StepIntervalAdvancesOpenOrdersByClock) {
  SandboxProcess sandbox({"--step-interval-ms", "20"});
  const std::int64_t id = sandbox.createOrder("cadastre", cadastreBody({"WI99990400"}));
  std::string status;
  for (int i = 0; i < 200 && status != "FINISHED"; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    status = sandbox.control("GET", "/_sandbox/orders/" + std::to_string(id))
                 .extract<Object::Ptr>()
                 ->getValue<std::string>("status");
  }
  EXPECT_EQ(status, "FINISHED");
}

TEST(SandboxScript, UnreachablePushUrlNeverBlocksTheApi) {
  // Port 9 on loopback: nothing listens; each push fails and is recorded, the API answers.
  SandboxProcess sandbox({"--push-url", "http://127.0.0.1:9/push"});
  const std::int64_t id = sandbox.createDemoOrder();
  sandbox.step(id, 0);
  Array::Ptr pushes;
  for (int i = 0; i < 100; ++i) {
    pushes = sandbox.pushes();
    if (pushes->getObject(pushes->size() - 1)->getValue<std::string>("result") != "pending") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(pushes->size(), 8u);
  EXPECT_EQ(pushes->getObject(0)->getValue<std::string>("result").rfind("error: ", 0), 0u);
}

TEST(SandboxGeneration, OldGenerationUsesCodeObjectsIsoDatesAndNoLineAssets) {
  SandboxProcess sandbox;
  const std::string token = sandbox.passwordToken();
  const std::int64_t id = sandbox.createDemoOrder();
  sandbox.step(id, 0);
  auto fresh = getOrder(sandbox, token, id);
  sandbox.setGeneration(id, "old");
  auto old = getOrder(sandbox, token, id);

  EXPECT_EQ(fresh->getValue<std::string>("dateOrdered").size(), 19u);  // dd.MM.yyyy HH:mm:ss
  EXPECT_EQ(fresh->getValue<std::string>("dateOrdered")[2], '.');
  const std::string isoDate = old->getValue<std::string>("dateOrdered");
  EXPECT_EQ(isoDate[4], '-');
  EXPECT_EQ(isoDate[10], 'T');
  EXPECT_EQ(isoDate.substr(19), "+0000");

  auto oldOrder = old->getArray("orders")->getObject(0);
  auto oldLines = oldOrder->getArray("orderLines");
  auto package = oldLines->getObject(0);
  EXPECT_EQ(package->getObject("productType")->getValue<std::string>("code"), "1");
  EXPECT_EQ(package->getObject("status")->getValue<std::string>("code"), "FINISHED");
  EXPECT_EQ(oldLines->getObject(1)->getObject("productType")->getValue<std::string>("code"), "0");
  for (unsigned i = 0; i < oldLines->size(); ++i) {
    EXPECT_FALSE(oldLines->getObject(i)->has("assets"));
    EXPECT_FALSE(oldLines->getObject(i)->has("packageLineId"));
    EXPECT_FALSE(oldLines->getObject(i)->has("dateStatus"));
  }
  // Every file is still reported: the line files moved to the supplier-order level.
  EXPECT_EQ(oldOrder->getArray("assets")->size(), 5u);
  EXPECT_EQ(fresh->getArray("orders")->getObject(0)->getArray("assets")->size(), 1u);
}

TEST(SandboxGeneration, GenerationFlagSetsTheDefault) {
  SandboxProcess sandbox({"--generation", "old"});
  const std::string token = sandbox.passwordToken();
  const std::int64_t id = sandbox.createDemoOrder();
  auto line = getOrder(sandbox, token, id)
                  ->getArray("orders")
                  ->getObject(0)
                  ->getArray("orderLines")
                  ->getObject(0);
  EXPECT_TRUE(line->getObject("status"));
  sandbox.setGeneration(id, "new");
  line = getOrder(sandbox, token, id)
             ->getArray("orders")
             ->getObject(0)
             ->getArray("orderLines")
             ->getObject(0);
  EXPECT_EQ(line->getValue<std::string>("status"), "NEW");
}

}  // namespace
}  // namespace dms::test
