// The administrator's commands through the plugin object, as dms-host runs them.
#include <gtest/gtest.h>

#include <sstream>

#include "PluginFixture.h"

namespace ambita::test {
namespace {

class PluginCommandsTest : public PluginFixture {};

TEST_F(PluginCommandsTest, SyncTrackStatusAuditAndExitCodes) {
  makePlugin();
  auto a = makeAsset("a1", "Kart.pdf");
  auto b = makeAsset("b1", "Vedtekter.pdf", "VEDTEKTER");
  api_.setOrder(makeOrder(1, "FINISHED", {a}, {b}));
  api_.setOrder(makeOrder(2, "PROGRESS", {makeAsset("c1", "C.pdf")}));

  EXPECT_EQ(run("track", {"2", "--reference", "Oppdrag 9"}).code, 0);
  auto sync = run("sync", {"--order", "1"}, true);
  EXPECT_EQ(sync.code, 0) << sync.err;
  EXPECT_NE(sync.out.find("order 1 (FINISHED): 2 filed"), std::string::npos) << sync.out;
  EXPECT_NE(sync.out.find("order 2 (PROGRESS): 1 filed"), std::string::npos)
      << "tracked orders are synced too";
  EXPECT_NE(sync.err.find("[1/2] order 1: filed"), std::string::npos)
      << "progress on a terminal: " << sync.err;
  EXPECT_EQ(tree().count("Oppdrag 9/2/Plan og regulering/C.pdf"), 1u);

  auto second = run("sync", {});
  EXPECT_EQ(second.code, 0);
  EXPECT_NE(second.out.find("0 download(s)"), std::string::npos) << second.out;

  auto status = run("status", {});
  EXPECT_EQ(status.code, 0);
  EXPECT_NE(status.out.find("FINISHED"), std::string::npos) << status.out;
  auto one = run("status", {"1"});
  EXPECT_EQ(one.code, 0);
  EXPECT_NE(one.out.find("dms-case-1/1/Vedtekter/Vedtekter.pdf"), std::string::npos) << one.out;

  auto audit = run("audit", {"--order", "1"});
  EXPECT_EQ(audit.code, 0);
  EXPECT_NE(audit.out.find("filed (sync)"), std::string::npos) << audit.out;

  api_.failGetOrder(1, dms::ErrorCode::Unavailable);
  auto failing = run("sync", {"--order", "1"});
  EXPECT_EQ(failing.code, 1);
  EXPECT_NE(failing.err.find("order 1"), std::string::npos);

  EXPECT_EQ(run("sync", {"--order", "x1"}).code, 2);
  EXPECT_EQ(run("preview", {}).code, 2);
  EXPECT_EQ(run("track", {}).code, 2);
  EXPECT_EQ(run("status", {"--bogus"}).code, 2);
  EXPECT_EQ(run("status", {"12345"}).code, 1);
}

TEST_F(PluginCommandsTest, PreviewWritesNothing) {
  makePlugin(R"("filing": {"folderTemplate": "{supplier}/{orderId}/{categoryFolder}"})");
  api_.setOrder(makeOrder(4, "FINISHED", {makeAsset("a1", "Kart.pdf")}, {makeAsset("b1", "../x")}));
  auto preview = run("preview", {"--order", "4"});
  EXPECT_EQ(preview.code, 0) << preview.err;
  EXPECT_NE(preview.out.find("file: Infoland Kommune - demo/4/Plan og regulering/Kart.pdf"),
            std::string::npos)
      << preview.out;
  EXPECT_NE(preview.out.find("file: Infoland Kommune - demo/4/Plan og regulering/_.._x"),
            std::string::npos);
  EXPECT_NE(preview.out.find("ambita.assetId = a1"), std::string::npos);
  EXPECT_TRUE(tree().empty());
  EXPECT_EQ(api_.downloads(), 0);
  EXPECT_FALSE(plugin_->stateForTest().order(4)->has_value());
}

TEST_F(PluginCommandsTest, VerifyFindsMissingChangedOrphanedAndRepairs) {
  makePlugin();
  api_.setOrder(
      makeOrder(1, "FINISHED",
                {makeAsset("a1", "A.pdf"), makeAsset("b1", "B.pdf"), makeAsset("c1", "C.pdf")}));
  ASSERT_EQ(run("sync", {"--order", "1"}).code, 0);
  EXPECT_EQ(run("verify", {}).code, 0);
  const std::string folder = "dms-case-1/1/Plan og regulering/";
  // Missing: someone deleted A. Changed: B's content replaced. Orphan: a copy of C elsewhere.
  ASSERT_TRUE(fsTarget_->remove(folder + "A.pdf", false).ok());
  auto md = fsTarget_->readMetadata(folder + "B.pdf");
  std::istringstream other(std::string(1000, 'z'));
  ASSERT_TRUE(fsTarget_->put(folder + "B.pdf", other, *md, dms::PutMode::Replace).ok());
  auto cmd = fsTarget_->readMetadata(folder + "C.pdf");
  std::istringstream copy("copy");
  ASSERT_TRUE(fsTarget_->put(folder + "C-copy.pdf", copy, *cmd, dms::PutMode::CreateNew).ok());

  auto quick = run("verify", {"--quick"});
  EXPECT_EQ(quick.code, 1);
  EXPECT_NE(quick.out.find("missing:  " + folder + "A.pdf"), std::string::npos) << quick.out;
  EXPECT_EQ(quick.out.find("changed:"), std::string::npos)
      << "same size: only the content hash tells";
  auto verify = run("verify", {});
  EXPECT_EQ(verify.code, 1);
  EXPECT_NE(verify.out.find("missing:  " + folder + "A.pdf"), std::string::npos) << verify.out;
  EXPECT_NE(verify.out.find("changed:  " + folder + "B.pdf"), std::string::npos) << verify.out;
  EXPECT_NE(verify.out.find("orphaned: " + folder + "C-copy.pdf"), std::string::npos) << verify.out;
  const int downloads = api_.downloads();
  auto repair = run("verify", {"--repair"});
  EXPECT_NE(repair.out.find("1 filed again"), std::string::npos) << repair.out << repair.err;
  EXPECT_EQ(api_.downloads(), downloads + 1);
  EXPECT_EQ(tree()[folder + "A.pdf"].metadata["ambita.assetId"], "a1");
}

// The orphan search asks the state per file found (issue 15: no whole-table loads): a file
// moved away by the move policy is placed there, a copy of it elsewhere is an orphan.
TEST_F(PluginCommandsTest, VerifyTellsMovedFilesFromOrphans) {
  makePlugin(R"("filing": {"withdrawnPolicy": "move", "withdrawnFolder": "Trukket"})");
  auto keep = makeAsset("k1", "Behold.pdf");
  auto gone = makeAsset("g1", "Trekkes.pdf");
  api_.setOrder(makeOrder(1, "FINISHED", {keep, gone}));
  ASSERT_EQ(run("sync", {"--order", "1"}).code, 0);
  gone.status = "DELETED";
  api_.setOrder(makeOrder(1, "FINISHED", {keep, gone}));
  ASSERT_EQ(run("sync", {"--order", "1"}).code, 0);
  const std::string moved = "Trukket/dms-case-1/1/Plan og regulering/Trekkes.pdf";
  ASSERT_EQ(tree().count(moved), 1u);
  auto clean = run("verify", {});
  EXPECT_EQ(clean.code, 0) << clean.out << clean.err;
  EXPECT_EQ(clean.out.find("orphaned:"), std::string::npos) << clean.out;

  auto md = fsTarget_->readMetadata(moved);
  ASSERT_TRUE(md.ok());
  std::istringstream copy("copy");
  const std::string stray = "Trukket/Trekkes-copy.pdf";
  ASSERT_TRUE(fsTarget_->put(stray, copy, *md, dms::PutMode::CreateNew).ok());
  auto verify = run("verify", {});
  EXPECT_EQ(verify.code, 1);
  EXPECT_NE(verify.out.find("orphaned: " + stray), std::string::npos) << verify.out;
  EXPECT_EQ(verify.out.find("orphaned: " + moved), std::string::npos) << verify.out;
  EXPECT_EQ(verify.out.find("Behold.pdf"), std::string::npos) << "filed where recorded";
}

// A tree deeper than any the plugin files (a broken or hostile target may list one without
// end) is searched to dms::kMaxFolderDepth and no further, and verify says so.
TEST_F(PluginCommandsTest, VerifySearchesNoDeeperThanTheFolderDepthBound) {
  makePlugin();
  api_.setOrder(makeOrder(1, "FINISHED", {makeAsset("c1", "C.pdf")}));
  ASSERT_EQ(run("sync", {"--order", "1"}).code, 0);
  auto md = fsTarget_->readMetadata("dms-case-1/1/Plan og regulering/C.pdf");
  ASSERT_TRUE(md.ok());
  std::string atTheBound, beyond;
  for (int i = 0; i < dms::kMaxFolderDepth; ++i) atTheBound += (i ? "/d" : "d");
  beyond = atTheBound + "/deeper";
  ASSERT_TRUE(fsTarget_->ensureFolder(beyond).ok());
  for (const auto& folder : {atTheBound, beyond}) {
    std::istringstream copy("copy");
    ASSERT_TRUE(fsTarget_->put(folder + "/C-copy.pdf", copy, *md, dms::PutMode::CreateNew).ok());
  }
  auto verify = run("verify", {});
  EXPECT_EQ(verify.code, 1);
  EXPECT_NE(verify.out.find("orphaned: " + atTheBound + "/C-copy.pdf"), std::string::npos)
      << verify.out;
  EXPECT_EQ(verify.out.find("orphaned: " + beyond), std::string::npos) << verify.out;
  EXPECT_NE((verify.out + verify.err).find("'" + beyond + "' not searched: deeper than 64 folders"),
            std::string::npos)
      << verify.out << verify.err;
}

TEST_F(PluginCommandsTest, SyncAnswersQueuedPushesAndDropsUnknownOrders) {
  makePlugin();
  auto order1 = makeOrder(1, "FINISHED", {makeAsset("a1", "A.pdf")});
  order1.reference = "Oppdrag 1";
  api_.setOrder(order1);
  EXPECT_EQ(push(R"({"orderCollectionId": 1, "reference": "Forged"})").status, 200);
  EXPECT_EQ(push(R"({"orderCollectionId": 777})").status, 200);
  auto first = run("sync", {});
  EXPECT_EQ(first.code, 1);
  EXPECT_NE(first.err.find("unknown to Ambita"), std::string::npos) << first.err;
  EXPECT_EQ(tree().count("Oppdrag 1/1/Plan og regulering/A.pdf"), 1u);
  EXPECT_EQ(*plugin_->stateForTest().inboxSize(), 0u);
  EXPECT_EQ(run("sync", {}).code, 0);
}

}  // namespace
}  // namespace ambita::test
