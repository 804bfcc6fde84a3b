// The administrator's commands (commands/AdminCommands) on the real engine: filesystem target,
// state and reconciler, with the fake Ambita API.
#include <gtest/gtest.h>

#include <Poco/JSON/Parser.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <set>
#include <sstream>

#include "EngineFixture.h"
#include "commands/AdminCommands.h"

namespace ambita::test {
namespace {

class AdminCommandsTest : public EngineFixture {
 protected:
  struct Run {
    int code;
    std::string out;
    std::string err;
  };
  Run run(const std::string& name, const std::vector<std::string>& args) {
    commands::AdminCommands admin(*service_, *config_);
    std::ostringstream out, err;
    const int code = admin.run(name, args, {&out, &err, false});
    return {code, out.str(), err.str()};
  }
  std::size_t trackedEntries(std::int64_t orderId) {
    auto log = store_->audit(orderId, 100);
    EXPECT_TRUE(log.ok());
    std::size_t n = 0;
    for (const auto& e : *log) n += e.action == "tracked";
    return n;
  }
};

// `verify --repair` files documents, so it starts like `run` and `sync` do: under the data
// folder's lock, after recovery, with the spool a killed run left cleaned (its own copy of the
// start-up sequence used to skip the spool).
TEST_F(AdminCommandsTest, VerifyRepairCleansTheSpoolLikeSync) {
  const auto spool = std::filesystem::path(dataDir_) / "spool";
  std::filesystem::create_directories(spool);
  std::ofstream(spool / "a1.part") << "half a download of a killed run";
  auto verify = run("verify", {"--repair"});
  EXPECT_EQ(verify.code, 0) << verify.err;
  EXPECT_FALSE(std::filesystem::exists(spool / "a1.part")) << "the spool is cleaned";

  std::ofstream(spool / "b1.part") << "left by another killed run";
  EXPECT_EQ(run("verify", {}).code, 0);
  EXPECT_TRUE(std::filesystem::exists(spool / "b1.part"))
      << "a verify without --repair takes no lock and must not touch the spool";
}

// `status` without --page lists every order, newest tracked first, a page of the state at a
// time (issue 15, branch pagerest): 1203 orders are three pages and a bit, three orders tracked in
// one second sit across the first page's end (they are listed by id then).
TEST_F(AdminCommandsTest, StatusWithoutPagingListsEveryOrderOnceNewestFirst) {
  constexpr int kOrders = 1203;
  // Orders 703..705 in one second: the first page (the newest 500) ends with 704.
  writeStateWithNumbers(
      kOrders,
      "INSERT INTO orders(id, origin, reference, status, tracked_at, checked_at, finished_at) "
      "SELECT 100000 + i, 'push', 'Oppdrag ' || i, 'FINISHED', strftime('%Y-%m-%dT%H:%M:%SZ', "
      "1767225600 + CASE WHEN i BETWEEN 703 AND 705 THEN 705 ELSE i END, 'unixepoch'), '', '' "
      "FROM n");
  auto listed = run("status", {});
  ASSERT_EQ(listed.code, 0) << listed.err;
  std::vector<std::int64_t> ids;
  std::istringstream lines(listed.out);
  for (std::string line; std::getline(lines, line);)
    if (!line.empty() && std::isdigit(static_cast<unsigned char>(line[0])))
      ids.push_back(std::stoll(line));
  ASSERT_EQ(ids.size(), static_cast<std::size_t>(kOrders)) << listed.out.substr(0, 2000);
  for (int k = 0; k < kOrders; ++k)
    ASSERT_EQ(ids[static_cast<std::size_t>(k)], 100000 + kOrders - k) << "line " << k;
  EXPECT_EQ(listed.out.find(" shown"), std::string::npos) << "every order, not a page of them";
  EXPECT_EQ(listed.out.rfind("ORDER", 0), 0u) << "one header, first";
  EXPECT_EQ(listed.out.find("ORDER", 1), std::string::npos) << "one header only";
}

TEST_F(AdminCommandsTest, TrackAuditsOnlyANewlyTrackedOrder) {
  auto first = run("track", {"5", "--reference", "Oppdrag 5"});
  EXPECT_EQ(first.code, 0) << first.err;
  EXPECT_NE(first.out.find("tracking order 5"), std::string::npos) << first.out;
  auto again = run("track", {"5"});
  EXPECT_EQ(again.code, 0);
  EXPECT_NE(again.out.find("already tracked"), std::string::npos) << again.out;
  EXPECT_EQ(trackedEntries(5), 1u);
  EXPECT_EQ((*store_->order(5))->reference, "Oppdrag 5");
}

TEST_F(AdminCommandsTest, UsageErrorsNameTheProblemAndExitWith2) {
  const std::vector<std::pair<std::string, std::vector<std::string>>> bad = {
      {"sync", {"--order"}},
      {"sync", {"--order", "0"}},
      {"sync", {"7"}},
      {"track", {}},
      {"track", {"5", "6"}},
      {"track", {"x"}},
      {"status", {"--bogus"}},
      {"status", {"1", "2"}},
      {"preview", {}},
      {"preview", {"--order", "1", "--order", "2"}},
      {"verify", {"--repair=yes"}},
      {"audit", {"--limit", "-1"}},
  };
  for (const auto& [name, args] : bad) {
    auto r = run(name, args);
    EXPECT_EQ(r.code, 2) << name << " " << ::testing::PrintToString(args) << ": " << r.err;
    EXPECT_EQ(r.err.rfind(name + ": ", 0), 0u) << r.err;
    EXPECT_NE(r.err.find("usage: " + name), std::string::npos) << r.err;
  }
}

TEST_F(AdminCommandsTest, SyncFilesTrackedOrdersAndQueuedPushes) {
  api_.setOrder(makeOrder(1, "FINISHED", {makeAsset("a1", "A.pdf")}));
  api_.setOrder(makeOrder(2, "FINISHED", {makeAsset("b1", "B.pdf")}));
  EXPECT_EQ(run("track", {"1"}).code, 0);
  filing::InboxMessage pushed;
  pushed.orderId = 2;
  pushed.source = "push";
  pushed.receivedAt = "2026-01-01T00:00:00Z";
  ASSERT_TRUE(store_->enqueue(pushed).ok());
  auto sync = run("sync", {});
  EXPECT_EQ(sync.code, 0) << sync.err;
  EXPECT_NE(sync.out.find("sync: 2 order(s), 2 filed"), std::string::npos) << sync.out;
  EXPECT_EQ(*store_->inboxSize(), 0u) << "the push is answered";
  EXPECT_EQ((*store_->order(2))->origin, filing::OrderOrigin::Push);
}

/// Which orders' GETs have started: a test holds one order's GET until another's has begun, to
/// prove that both are in flight at once. A wait gives up after 30 s (the test then fails
/// instead of hanging).
class GetOrderGate {
 public:
  void started(std::int64_t orderId) {
    {
      std::lock_guard lock(mutex_);
      started_.insert(orderId);
    }
    changed_.notify_all();
  }
  /// True once `orderId`'s GET has started; false when 30 s passed first.
  bool waitUntilStarted(std::int64_t orderId) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, std::chrono::seconds(30),
                             [&] { return started_.count(orderId) > 0; });
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::set<std::int64_t> started_;
};

class SyncAtOnceTest : public AdminCommandsTest {
 protected:
  /// Orders 1..n, each with one file, and poll.workers = `workers`.
  void setUpOrders(int n, int workers) {
    configure(R"({"poll": {"workers": )" + std::to_string(workers) + "}}");
    for (int id = 1; id <= n; ++id)
      api_.setOrder(makeOrder(id, "FINISHED",
                              {makeAsset("a" + std::to_string(id), std::to_string(id) + ".pdf")}));
  }
  /// `sync --order 1 ... --order n` plus `extra`.
  Run syncOrders(int n, std::vector<std::string> extra = {}) {
    std::vector<std::string> args;
    for (int id = 1; id <= n; ++id) {
      args.push_back("--order");
      args.push_back(std::to_string(id));
    }
    args.insert(args.end(), extra.begin(), extra.end());
    return run("sync", args);
  }
  /// Where each of `needles` is in `text`, in the order given; fails the test if one is missing.
  static std::vector<std::size_t> positions(const std::string& text,
                                            const std::vector<std::string>& needles) {
    std::vector<std::size_t> at;
    for (const auto& n : needles) {
      at.push_back(text.find(n));
      EXPECT_NE(at.back(), std::string::npos) << n << " missing in:\n" << text;
    }
    return at;
  }
  /// Orders 1..4, poll.workers = 2, orders 1 and 3 fail their GET, and order 1's GET is held
  /// until order 3's has started: order 2 finishes and order 3 fails before order 1 does
  /// (overtaken_ tells whether order 3 started while order 1 was held).
  void setUpOvertaking() {
    setUpOrders(4, 2);
    api_.failGetOrder(1, dms::ErrorCode::Unavailable);
    api_.failGetOrder(3, dms::ErrorCode::Unavailable);
    api_.onGetOrder([this](std::int64_t id) {
      gate_.started(id);
      if (id == 1) overtaken_ = gate_.waitUntilStarted(3);
    });
  }
  GetOrderGate gate_;
  std::atomic<bool> overtaken_{false};
};

// `sync` reconciles poll.workers orders at once (issue 15): order 1's GET is held until order
// 2's has started, which a sync of one order after the other never does.
TEST_F(SyncAtOnceTest, SyncReconcilesPollWorkersOrdersAtOnce) {
  setUpOrders(2, 2);
  std::atomic<bool> bothInFlight{false};
  api_.onGetOrder([&](std::int64_t id) {
    gate_.started(id);
    if (id == 1) bothInFlight = gate_.waitUntilStarted(2);
  });
  auto sync = syncOrders(2);
  EXPECT_EQ(sync.code, 0) << sync.err;
  EXPECT_TRUE(bothInFlight) << "order 2's GET did not start while order 1's was in flight";
  EXPECT_NE(sync.out.find("sync: 2 order(s), 2 filed"), std::string::npos) << sync.out;
}

// Order 1 is held until order 3 has started (so order 2 finished first) and fails, as does
// order 3: the lines still come in the plan's order, and the first failure is order 1's.
TEST_F(SyncAtOnceTest, SyncPrintsInPlanOrderWhenALaterOrderFinishesFirst) {
  setUpOvertaking();
  auto sync = syncOrders(4);
  EXPECT_TRUE(overtaken_) << "order 3 did not start while order 1 was in flight";
  EXPECT_EQ(sync.code, 1) << sync.err;
  auto out = positions(sync.out, {"order 1: failed", "order 2 (FINISHED): 1 filed",
                                  "order 3: failed", "order 4 (FINISHED): 1 filed",
                                  "sync: 4 order(s), 2 filed, 0 removed, 2 download(s), "
                                  "with failures"});
  EXPECT_TRUE(std::is_sorted(out.begin(), out.end())) << sync.out;
  auto err = positions(sync.err, {"[1/4] order 1: FAILED", "[3/4] order 3: FAILED"});
  EXPECT_TRUE(std::is_sorted(err.begin(), err.end())) << sync.err;
}

// The JSON document lists the orders in the plan's order and names the plan's first failure,
// though a later order failed first.
TEST_F(SyncAtOnceTest, SyncJsonKeepsThePlanOrderAndItsFirstFailure) {
  setUpOvertaking();
  auto sync = syncOrders(4, {"--json"});
  EXPECT_TRUE(overtaken_) << "order 3 did not start while order 1 was in flight";
  EXPECT_EQ(sync.code, 1) << sync.err;
  auto doc = Poco::JSON::Parser().parse(sync.out).extract<Poco::JSON::Object::Ptr>();
  EXPECT_EQ(doc->getValue<std::string>("error").rfind("order 1: ", 0), 0u) << sync.out;
  EXPECT_EQ(doc->getValue<std::int64_t>("orderId"), 1);
  auto orders = doc->getArray("orders");
  ASSERT_EQ(orders->size(), 4u) << sync.out;
  for (unsigned i = 0; i < 4; ++i) {
    auto item = orders->getObject(i);
    EXPECT_EQ(item->getValue<std::int64_t>("orderId"), i + 1) << sync.out;
    EXPECT_EQ(item->isNull("error"), i % 2 == 1) << sync.out;
  }
}

// poll.workers = 1: one order after the other, as before: order 2's GET starts only once order
// 1's file is filed and recorded.
TEST_F(SyncAtOnceTest, SyncWithOneWorkerReconcilesOneOrderAfterTheOther) {
  setUpOrders(3, 1);
  std::atomic<bool> previousDone{true};
  api_.onGetOrder([&](std::int64_t id) {
    if (id == 1) return;
    auto previous = store_->asset("a" + std::to_string(id - 1));
    if (!previous.ok() || !previous->has_value() || (*previous)->state != filing::AssetState::Filed)
      previousDone = false;
  });
  auto sync = syncOrders(3);
  EXPECT_EQ(sync.code, 0) << sync.err;
  EXPECT_TRUE(previousDone) << "an order's GET started before its predecessor was done";
  auto out = positions(sync.out, {"order 1 (FINISHED): 1 filed", "order 2 (FINISHED): 1 filed",
                                  "order 3 (FINISHED): 1 filed", "sync: 3 order(s), 3 filed"});
  EXPECT_TRUE(std::is_sorted(out.begin(), out.end())) << sync.out;
}

// The reconciler is stopped (as the plugin's stop() does) while orders are in flight: the orders
// not started yet fail at once as cancelled, every order is still reported in the plan's order,
// and the command returns with its threads joined.
TEST_F(SyncAtOnceTest, SyncStoppedWhileOrdersRunReportsEveryOrderAndReturns) {
  setUpOrders(6, 2);
  // Order 1 waits for order 2's GET, which stops the reconciler: orders 3-6 start after that.
  api_.onGetOrder([this](std::int64_t id) {
    if (id == 2) reconciler_->requestStop();
    gate_.started(id);
    if (id == 1) gate_.waitUntilStarted(2);
  });
  auto sync = syncOrders(6);
  EXPECT_EQ(sync.code, 1) << sync.out;
  auto out = positions(sync.out, {"order 3: failed", "order 4: failed", "order 5: failed",
                                  "order 6: failed", "sync: 6 order(s)"});
  EXPECT_TRUE(std::is_sorted(out.begin(), out.end())) << sync.out;
  EXPECT_NE(sync.err.find("[6/6] order 6: FAILED"), std::string::npos) << sync.err;
}

}  // namespace
}  // namespace ambita::test
