// Issue 15, streaming: a download goes straight into the target's temporary, hashed on the way
// (no spool file) when the target has a streaming put; a target without one gets the body held
// whole (in memory when small, else spooled). Either way a body that fails is never filed and
// leaves nothing behind.

#include <filesystem>
#include <fstream>

#include "EngineFixture.h"
#include "support/ForwardingTarget.h"

namespace ambita::test {
namespace {

using filing::AssetState;

class StreamingFilingTest : public EngineFixture {
 protected:
  const std::string kFolder = "dms-case-1/1/Plan og regulering";

  /// The spool folder replaced by a plain file: nothing can be spooled any more.
  void makeSpoolUnusable() {
    const auto spool = std::filesystem::path(dataDir_) / "spool";
    std::filesystem::remove_all(spool);
    std::ofstream(spool) << "not a folder";
  }

  void expectFiledWhole(const std::string& path, const api::Asset& asset) {
    auto files = tree();
    ASSERT_TRUE(files.count(path)) << path;
    const auto bytes = FakeOrderApi::contentFor(asset.downloadUrl);
    EXPECT_TRUE(files[path].content == bytes) << path << ": content differs";
    EXPECT_EQ(files[path].metadata["ambita.sha256"], sha256Hex(bytes));
    EXPECT_EQ(files[path].metadata["ambita.size"], std::to_string(bytes.size()));
    auto record = store_->asset(asset.id);
    ASSERT_TRUE(record.ok() && record->has_value());
    EXPECT_EQ((*record)->state, AssetState::Filed);
    EXPECT_EQ((*record)->sha256, sha256Hex(bytes));
    EXPECT_EQ((*record)->size, bytes.size());
  }
};

// The filesystem target streams: no byte of the download is written to the spool (before
// streaming, every download went through <dataDir>/spool and failed here).
TEST_F(StreamingFilingTest, StreamingTargetFilesWithoutTouchingTheSpool) {
  makeSpoolUnusable();
  auto a = makeAsset("a1", "A.pdf", "PLAN_KART_REGULERING", "OK", 300 * 1024);
  api_.setOrder(makeOrder(1, "FINISHED", {a}));
  auto report = reconcile(1);
  ASSERT_TRUE(report.ok()) << report.error().describe();
  EXPECT_TRUE(report->ok()) << (report->problems.empty() ? "" : report->problems.front());
  EXPECT_EQ(api_.downloads(), 1);
  expectFiledWhole(kFolder + "/A.pdf", a);
}

// A target without the streaming put (here a wrapper that has only the 1.0 calls) gets a small
// body from memory, without the spool (before, every download went through <dataDir>/spool
// and failed here), and a body beyond the memory limit (1 MiB with 4 filing threads) from a
// spooled download; the spool is emptied again.
TEST_F(StreamingFilingTest, TargetWithoutStreamingPutGetsSmallBodiesFromMemory) {
  dms::test::ForwardingTarget plain(*fsTarget_);
  target_ = &plain;
  configure();
  makeSpoolUnusable();
  auto a = makeAsset("a1", "A.pdf", "PLAN_KART_REGULERING", "OK", 200 * 1024);
  api_.setOrder(makeOrder(1, "FINISHED", {a}));
  auto report = reconcile(1);
  ASSERT_TRUE(report.ok()) << report.error().describe();
  EXPECT_TRUE(report->ok()) << (report->problems.empty() ? "" : report->problems.front());
  EXPECT_EQ(api_.downloads(), 1)
      << "the body that NotSupported left unread is held, not asked again";
  expectFiledWhole(kFolder + "/A.pdf", a);
  target_ = fsTarget_.get();
  closeEngine();
}

TEST_F(StreamingFilingTest, TargetWithoutStreamingPutGetsTheSpooledDownload) {
  dms::test::ForwardingTarget plain(*fsTarget_);
  target_ = &plain;
  configure();
  auto a = makeAsset("a1", "A.pdf", "PLAN_KART_REGULERING", "OK", 2 * 1024 * 1024);
  api_.setOrder(makeOrder(1, "FINISHED", {a}));
  auto report = reconcile(1);
  ASSERT_TRUE(report.ok()) << report.error().describe();
  EXPECT_TRUE(report->ok()) << (report->problems.empty() ? "" : report->problems.front());
  EXPECT_EQ(api_.downloads(), 1)
      << "the body that NotSupported left unread is spooled, not asked again";
  expectFiledWhole(kFolder + "/A.pdf", a);
  EXPECT_TRUE(leftovers().empty()) << leftovers().front();

  // Without a usable spool such a target cannot be given a big file: a clear failure.
  auto b = makeAsset("b1", "B.pdf", "PLAN_KART_REGULERING", "OK", 1024 * 1024 + 1);
  api_.setOrder(makeOrder(1, "FINISHED", {a, b}));
  makeSpoolUnusable();
  auto failed = reconcile(1);
  ASSERT_TRUE(failed.ok()) << failed.error().describe();
  EXPECT_EQ(failed->failed, 1u);
  EXPECT_EQ((*store_->asset("b1"))->state, AssetState::Failed);
  target_ = fsTarget_.get();
  closeEngine();
}

// A body cut short while it streams into the temporary is never filed: the temporary goes, the
// asset is recorded failed and filed whole by a later run.
TEST_F(StreamingFilingTest, BodyCutShortWhileStreamingIsNotFiledAndRetried) {
  auto a = makeAsset("a1", "A.pdf", "PLAN_KART_REGULERING", "OK", 300 * 1024);
  api_.setOrder(makeOrder(1, "FINISHED", {a}));
  api_.cutDownloadsShort(a.downloadUrl, 100 * 1024);
  auto first = reconcile(1);
  ASSERT_TRUE(first.ok()) << first.error().describe();
  EXPECT_EQ(first->failed, 1u);
  ASSERT_FALSE(first->problems.empty());
  EXPECT_NE(first->problems.front().find("cut short"), std::string::npos)
      << first->problems.front();
  EXPECT_TRUE(tree().empty()) << "a cut-short body was filed";
  EXPECT_TRUE(leftovers().empty()) << leftovers().front();
  EXPECT_EQ((*store_->asset("a1"))->state, AssetState::Failed);

  api_.cutDownloadsShort(a.downloadUrl, std::nullopt);
  auto second = reconcile(1);
  ASSERT_TRUE(second.ok()) << second.error().describe();
  EXPECT_TRUE(second->ok());
  expectFiledWhole(kFolder + "/A.pdf", a);
  EXPECT_TRUE(leftovers().empty()) << leftovers().front();
}

}  // namespace
}  // namespace ambita::test
