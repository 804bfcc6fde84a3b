// The administrator's commands (commands/AdminCommands) on the real engine: filesystem target,
// state and reconciler, with the fake Ambita API.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
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

}  // namespace
}  // namespace ambita::test
