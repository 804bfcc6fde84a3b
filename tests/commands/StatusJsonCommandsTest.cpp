// Status as data: every administrator's command with --json, parsed back with Poco::JSON, as
// the host's admin API and a host with its own UI read it (plugin/README.md, "Status as
// data"); exit codes 0/1/2; and the action commands while the service runs in the same plugin
// object (queued to it instead of failing on the data folder's lock).
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <thread>
#include <vector>

#include "PluginFixture.h"

namespace ambita::test {
namespace {

using Poco::JSON::Array;
using Poco::JSON::Object;

class StatusJsonCommandsTest : public PluginFixture {
 protected:
  /// Runs the command with --json; the exit code must be `expectedCode` and stdout one JSON
  /// object, returned.
  Object::Ptr json(const std::string& name, std::vector<std::string> args, int expectedCode = 0) {
    args.push_back("--json");
    auto r = run(name, args);
    EXPECT_EQ(r.code, expectedCode) << name << ": " << r.out << r.err;
    try {
      return Poco::JSON::Parser().parse(r.out).extract<Object::Ptr>();
    } catch (const Poco::Exception& e) {
      ADD_FAILURE() << name << ": stdout is not one JSON object (" << e.displayText()
                    << "): " << r.out;
      return new Object;
    }
  }

  static std::vector<std::int64_t> orderIds(const Object::Ptr& listing) {
    std::vector<std::int64_t> ids;
    auto orders = listing->getArray("orders");
    for (std::size_t i = 0; orders && i < orders->size(); ++i)
      ids.push_back(orders->getObject(static_cast<unsigned>(i))->getValue<std::int64_t>("orderId"));
    return ids;
  }

  /// Waits (at most 60 s, polling the state) until `done` holds.
  static bool eventually(const std::function<bool()>& done) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (std::chrono::steady_clock::now() < deadline) {
      if (done()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return done();
  }

  bool filed(const std::string& assetId) {
    auto a = plugin_->stateForTest().asset(assetId);
    return a.ok() && a->has_value() && (*a)->state == filing::AssetState::Filed;
  }

  /// Orders 1 (reference "Oppdrag A", finished), 2 (no reference, in progress) and 3 (its
  /// asset fails to download), tracked and synced.
  void threeOrdersSynced() {
    makePlugin();
    api_.setOrder(makeOrder(1, "FINISHED", {makeAsset("a1", "Kart.pdf")}));
    api_.setOrder(makeOrder(2, "PROGRESS", {makeAsset("b1", "B.pdf")}));
    api_.setOrder(makeOrder(3, "FINISHED", {makeAsset("c1", "C.pdf")}));
    api_.failDownload(makeAsset("c1", "C.pdf").downloadUrl, dms::ErrorCode::Unavailable);
    ASSERT_EQ(run("track", {"1", "--reference", "Oppdrag A"}).code, 0);
    ASSERT_EQ(run("track", {"2"}).code, 0);
    ASSERT_EQ(run("track", {"3", "--reference", "Hytte"}).code, 0);
    EXPECT_EQ(run("sync", {}).code, 1) << "order 3's asset failed";
  }
};

TEST_F(StatusJsonCommandsTest, StatusListsPagesSearchesAndFiltersAsJson) {
  threeOrdersSynced();
  auto all = json("status", {});
  EXPECT_EQ(all->getValue<int>("total"), 3);
  EXPECT_EQ(all->getValue<int>("page"), 1);
  EXPECT_EQ(all->getValue<int>("perPage"), 50);
  EXPECT_EQ(orderIds(all), (std::vector<std::int64_t>{3, 2, 1})) << "newest tracked first";

  auto two = all->getArray("orders")->getObject(1);
  EXPECT_TRUE(two->isNull("reference"));
  EXPECT_EQ(two->getValue<std::string>("status"), "PROGRESS");
  EXPECT_EQ(two->getValue<std::string>("origin"), "admin");
  EXPECT_EQ(two->getValue<int>("filed"), 1);
  EXPECT_EQ(two->getValue<int>("removed"), 0);
  EXPECT_EQ(two->getValue<int>("failed"), 0);
  EXPECT_FALSE(two->isNull("lastChecked"));
  auto three = all->getArray("orders")->getObject(0);
  EXPECT_EQ(three->getValue<int>("failed"), 1);
  EXPECT_EQ(three->getValue<std::string>("reference"), "Hytte");

  auto page2 = json("status", {"--page", "2", "--per-page", "2"});
  EXPECT_EQ(page2->getValue<int>("total"), 3);
  EXPECT_EQ(page2->getValue<int>("perPage"), 2);
  EXPECT_EQ(orderIds(page2), (std::vector<std::int64_t>{1}));
  EXPECT_EQ(orderIds(json("status", {"--search", "oppdrag a"})), (std::vector<std::int64_t>{1}));
  EXPECT_EQ(orderIds(json("status", {"--search", "2"})), (std::vector<std::int64_t>{2}));
  EXPECT_EQ(orderIds(json("status", {"--state", "failing"})), (std::vector<std::int64_t>{3}));
  EXPECT_EQ(orderIds(json("status", {"--state", "active"})), (std::vector<std::int64_t>{2}));
  EXPECT_EQ(orderIds(json("status", {"--state", "finished"})), (std::vector<std::int64_t>{3, 1}));

  auto text = run("status", {"--per-page", "1"});
  EXPECT_EQ(text.code, 0);
  EXPECT_NE(text.out.find("1 of 3 order(s) shown"), std::string::npos) << text.out;

  for (const auto& bad : std::vector<std::vector<std::string>>{{"--per-page", "0"},
                                                               {"--per-page", "501"},
                                                               {"--page", "x"},
                                                               {"--state", "done"},
                                                               {"x1"}}) {
    auto args = bad;
    args.push_back("--json");
    auto r = run("status", args);
    EXPECT_EQ(r.code, 2) << ::testing::PrintToString(bad);
    EXPECT_TRUE(r.out.empty()) << "stdout stays empty on bad usage: " << r.out;
    EXPECT_NE(r.err.find("usage: status"), std::string::npos) << r.err;
  }
}

TEST_F(StatusJsonCommandsTest, StatusOfOneOrderHasItsAssetsAndAuditAndAnUnknownOrderIsAnError) {
  threeOrdersSynced();
  auto one = json("status", {"1"});
  EXPECT_EQ(one->getObject("order")->getValue<std::int64_t>("orderId"), 1);
  auto assets = one->getArray("assets");
  ASSERT_EQ(assets->size(), 1u);
  auto a1 = assets->getObject(0);
  EXPECT_EQ(a1->getValue<std::string>("assetId"), "a1");
  EXPECT_EQ(a1->getValue<std::string>("name"), "Kart.pdf");
  EXPECT_EQ(a1->getValue<std::string>("state"), "filed");
  EXPECT_EQ(a1->getValue<std::string>("category"), "PLAN_KART_REGULERING");
  EXPECT_EQ(a1->getValue<std::int64_t>("size"), 1000);
  EXPECT_TRUE(a1->isNull("lastError"));
  EXPECT_NE(a1->getValue<std::string>("path").find("Kart.pdf"), std::string::npos);
  bool filedAudited = false;
  auto audit = one->getArray("audit");
  for (std::size_t i = 0; i < audit->size(); ++i) {
    auto e = audit->getObject(static_cast<unsigned>(i));
    filedAudited |= e->getValue<std::string>("action") == "filed" && !e->isNull("path");
    EXPECT_TRUE(e->isNull("actor"));
  }
  EXPECT_TRUE(filedAudited);

  auto c1 = json("status", {"3"})->getArray("assets")->getObject(0);
  EXPECT_EQ(c1->getValue<std::string>("state"), "failed");
  EXPECT_TRUE(c1->isNull("size"));
  EXPECT_FALSE(c1->isNull("lastError"));

  auto unknown = json("status", {"99"}, 1);
  EXPECT_EQ(unknown->getValue<std::string>("error"), "order 99 is not tracked");
}

TEST_F(StatusJsonCommandsTest, StatusOfOneOrderHasItsCostFromTheLedger) {
  threeOrdersSynced();
  // Order 1: line 11 charged 520.00 + 130.00 VAT; line 12 charged 0.10 + 0.03 VAT, then
  // credited (cancelled). Order 3: charged, never credited. Order 2: nothing in the ledger.
  std::vector<filing::LedgerEntry> entries{{0, 1, 11, "charge", 52000, 65000, "FINISHED", "t"},
                                           {0, 1, 12, "charge", 10, 13, "NEW", "t"},
                                           {0, 1, 12, "credit", -10, -13, "CANCELLED", "t"},
                                           {0, 3, 31, "charge", 165040, 206300, "FINISHED", "t"}};
  ASSERT_TRUE(plugin_->stateForTest().recordCosts({}, entries).ok());

  auto cost = json("status", {"1"})->getObject("cost");
  ASSERT_TRUE(cost);
  EXPECT_EQ(cost->getValue<std::int64_t>("netOre"), 52000);
  EXPECT_EQ(cost->getValue<std::int64_t>("vatOre"), 13000);
  EXPECT_EQ(cost->getValue<std::int64_t>("grossOre"), 65000);
  EXPECT_EQ(cost->getValue<std::string>("net"), "520.00");
  EXPECT_EQ(cost->getValue<std::string>("vat"), "130.00");
  EXPECT_EQ(cost->getValue<std::string>("gross"), "650.00");
  EXPECT_TRUE(cost->getValue<bool>("credited"));

  auto charged = json("status", {"3"})->getObject("cost");
  ASSERT_TRUE(charged);
  EXPECT_EQ(charged->getValue<std::int64_t>("vatOre"), 41260);
  EXPECT_EQ(charged->getValue<std::string>("gross"), "2063.00");
  EXPECT_FALSE(charged->getValue<bool>("credited"));

  auto none = json("status", {"2"});
  EXPECT_TRUE(none->has("cost"));
  EXPECT_TRUE(none->isNull("cost"));

  auto text = run("status", {"1"});
  EXPECT_NE(text.out.find("cost:      520.00 NOK net + 130.00 VAT = 650.00 NOK (credited)"),
            std::string::npos)
      << text.out;
  EXPECT_EQ(run("status", {"2"}).out.find("cost:"), std::string::npos);
}

TEST_F(StatusJsonCommandsTest, FailuresAreListedAndRetryFilesThemAgain) {
  threeOrdersSynced();
  auto failures = json("failures", {})->getArray("failures");
  ASSERT_EQ(failures->size(), 1u);
  auto f = failures->getObject(0);
  EXPECT_EQ(f->getValue<std::int64_t>("orderId"), 3);
  EXPECT_EQ(f->getValue<std::string>("assetId"), "c1");
  EXPECT_FALSE(f->getValue<std::string>("error").empty());
  EXPECT_TRUE(f->has("since"));

  EXPECT_EQ(json("retry", {"99"}, 1)->getValue<std::string>("error"), "order 99 is not tracked");
  EXPECT_NE(json("retry", {"3", "--asset", "a1"}, 1)->getValue<std::string>("error").find("a1"),
            std::string::npos)
      << "an asset of another order";
  EXPECT_EQ(run("retry", {}).code, 2);

  api_.failDownload(makeAsset("c1", "C.pdf").downloadUrl, std::nullopt);
  auto retried = json("retry", {"3", "--actor", "alice"});
  EXPECT_EQ(retried->getValue<std::int64_t>("orderId"), 3);
  EXPECT_FALSE(retried->getValue<bool>("queued")) << "no service runs";
  EXPECT_EQ(retried->getValue<int>("retried"), 1);
  EXPECT_TRUE(filed("c1"));
  EXPECT_EQ(json("failures", {})->getArray("failures")->size(), 0u);
  auto audit = json("audit", {"--order", "3"})->getArray("audit");
  bool askedByAlice = false;
  for (std::size_t i = 0; i < audit->size(); ++i) {
    auto e = audit->getObject(static_cast<unsigned>(i));
    askedByAlice |= !e->isNull("actor") && e->getValue<std::string>("actor") == "alice";
  }
  EXPECT_TRUE(askedByAlice);
}

TEST_F(StatusJsonCommandsTest, TrackSyncPreviewVerifyAndAuditAsJson) {
  makePlugin();
  api_.setOrder(makeOrder(7, "FINISHED", {makeAsset("a1", "A.pdf")}));
  auto tracked = json("track", {"7", "--actor", "bob"});
  EXPECT_EQ(tracked->getValue<std::int64_t>("orderId"), 7);
  EXPECT_TRUE(tracked->getValue<bool>("tracked"));
  EXPECT_FALSE(json("track", {"7"})->getValue<bool>("tracked"));
  auto trackedEntry = json("audit", {"--order", "7"})->getArray("audit")->getObject(0);
  EXPECT_EQ(trackedEntry->getValue<std::string>("action"), "tracked");
  EXPECT_EQ(trackedEntry->getValue<std::string>("actor"), "bob");

  auto preview = json("preview", {"--order", "7"});
  EXPECT_EQ(preview->getArray("assets")->getObject(0)->getValue<std::string>("action"), "file");

  auto sync = json("sync", {"--order", "7"});
  EXPECT_EQ(sync->getValue<std::int64_t>("orderId"), 7);
  EXPECT_FALSE(sync->getValue<bool>("queued"));
  EXPECT_EQ(sync->getValue<int>("filed"), 1);
  EXPECT_EQ(sync->getValue<int>("failed"), 0);
  EXPECT_EQ(json("preview", {"--order", "7"})
                ->getArray("assets")
                ->getObject(0)
                ->getValue<std::string>("action"),
            "none");

  auto clean = json("verify", {});
  EXPECT_EQ(clean->getValue<int>("ok"), 1);
  EXPECT_TRUE(clean->getValue<bool>("clean"));
  EXPECT_FALSE(clean->getValue<bool>("repaired"));
  const auto path =
      json("status", {"7"})->getArray("assets")->getObject(0)->getValue<std::string>("path");
  std::filesystem::remove(std::filesystem::path(archiveRoot_) / path);
  auto missing = json("verify", {}, 1);
  EXPECT_EQ(missing->getValue<int>("missing"), 1);
  EXPECT_TRUE(missing->has("error"));
  EXPECT_EQ(missing->getArray("findings")->getObject(0)->getValue<std::string>("kind"), "missing");
  auto repaired = json("verify", {"--repair", "--actor", "carol"});
  EXPECT_EQ(repaired->getValue<int>("filedAgain"), 1);
  EXPECT_TRUE(repaired->getValue<bool>("repaired"));
  EXPECT_TRUE(repaired->getValue<bool>("clean"));
  EXPECT_EQ(json("audit", {})->getArray("audit")->size(),
            json("audit", {"--limit", "100"})->getArray("audit")->size());

  api_.failGetOrder(7, dms::ErrorCode::Unavailable);
  auto failed = json("sync", {"--order", "7"}, 1);
  EXPECT_TRUE(failed->has("error"));
}

// The defect: with the service running in the same plugin object (dms-host run with its admin
// API), `sync --order` and `retry` failed on the data folder's lock the service holds.
TEST_F(StatusJsonCommandsTest, WhileTheServiceRunsSyncIsQueuedToItAndCommandsRunConcurrently) {
  makePlugin();
  api_.setOrder(makeOrder(9, "FINISHED", {makeAsset("a9", "A.pdf")}));
  api_.setOrder(makeOrder(10, "FINISHED", {makeAsset("a10", "B.pdf")}));
  ASSERT_TRUE(plugin_->startService().ok());

  std::vector<std::thread> callers;
  std::vector<Run> results(5);
  const std::vector<std::pair<std::string, std::vector<std::string>>> calls = {
      {"sync", {"--order", "9", "--json", "--actor", "dave"}},
      {"status", {"--json"}},
      {"failures", {"--json"}},
      {"sync", {"--order", "10", "--json"}},
      {"audit", {"--json"}},
  };
  for (std::size_t i = 0; i < calls.size(); ++i)
    callers.emplace_back([&, i] { results[i] = run(calls[i].first, calls[i].second); });
  for (auto& t : callers) t.join();

  for (std::size_t i = 0; i < results.size(); ++i)
    EXPECT_EQ(results[i].code, 0) << calls[i].first << ": " << results[i].out << results[i].err;
  for (std::size_t i : {0u, 3u}) {
    auto doc = Poco::JSON::Parser().parse(results[i].out).extract<Object::Ptr>();
    EXPECT_TRUE(doc->getValue<bool>("queued")) << results[i].out;
  }
  EXPECT_TRUE(eventually([&] { return filed("a9") && filed("a10"); }))
      << "the service files the queued orders";

  auto retried = json("retry", {"9"});
  EXPECT_TRUE(retried->getValue<bool>("queued"));
  EXPECT_EQ(retried->getValue<int>("retried"), 0);
  auto repaired = json("verify", {"--repair"});
  EXPECT_TRUE(repaired->getValue<bool>("clean")) << "verify --repair runs beside the service";
  plugin_->stop();

  auto audit = json("audit", {"--order", "9"})->getArray("audit");
  bool askedByDave = false;
  for (std::size_t i = 0; i < audit->size(); ++i) {
    auto e = audit->getObject(static_cast<unsigned>(i));
    askedByDave |= e->getValue<std::string>("action") == "sync requested" &&
                   e->getValue<std::string>("actor") == "dave";
  }
  EXPECT_TRUE(askedByDave);
  auto stopped = json("sync", {"--order", "9"});
  EXPECT_FALSE(stopped->getValue<bool>("queued")) << "after stop() the command syncs itself";
}

}  // namespace
}  // namespace ambita::test
