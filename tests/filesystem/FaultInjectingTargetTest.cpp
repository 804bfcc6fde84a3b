// The fault-injecting wrapper (tests/support) around the real filesystem target.
#include "support/FaultInjectingTarget.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <sstream>

#include "dms/filesystem/FilesystemTarget.h"
#include "support/TempDir.h"

namespace dms::test {
namespace {

namespace fs = std::filesystem;

class FaultInjectingTargetTest : public testing::Test {
 protected:
  void SetUp() override {
    filesystem::FilesystemOptions options;
    options.root = (dir_.path() / "root").string();
    options.fsync = false;
    auto target = filesystem::FilesystemTarget::open(options, nullptr);
    ASSERT_TRUE(target.ok()) << target.error().describe();
    inner_ = std::move(*target);
    faulty_ = std::make_unique<FaultInjectingTarget>(*inner_);
  }
  Result<EntryInfo> put(const std::string& path, const std::string& content) {
    std::istringstream in(content);
    return faulty_->put(path, in, {{"k", "v"}}, PutMode::CreateNew);
  }
  std::size_t rawEntries() const {
    std::size_t count = 0;
    for ([[maybe_unused]] const auto& e : fs::recursive_directory_iterator(dir_.path() / "root"))
      ++count;
    return count;
  }

  TempDir dir_{"dms-fault"};
  std::unique_ptr<filesystem::FilesystemTarget> inner_;
  std::unique_ptr<FaultInjectingTarget> faulty_;
};

TEST_F(FaultInjectingTargetTest, FailsTheNthCallOnceBeforeReachingTheTarget) {
  faulty_->failCall(TargetMethod::Put, 2, ErrorCode::Unavailable);
  EXPECT_TRUE(put("a.txt", "a").ok());
  auto second = put("b.txt", "b");
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().code, ErrorCode::Unavailable);
  EXPECT_NE(second.error().message.find("b.txt"), std::string::npos);
  EXPECT_FALSE(inner_->stat("b.txt").ok()) << "a BeforeCall fault reached the target";
  EXPECT_TRUE(put("b.txt", "b").ok()) << "Once means once";
  EXPECT_EQ(faulty_->calls(TargetMethod::Put), 3);
  EXPECT_EQ(faulty_->injectedFaults(), 1);
}

TEST_F(FaultInjectingTargetTest, FromThenOnKeepsFailingUntilCleared) {
  faulty_->failCall(TargetMethod::Stat, 2, ErrorCode::Locked, FaultRepeat::FromThenOn);
  ASSERT_TRUE(put("a.txt", "a").ok());
  EXPECT_TRUE(faulty_->stat("a.txt").ok());
  for (int i = 0; i < 3; ++i) {
    auto failed = faulty_->stat("a.txt");
    ASSERT_FALSE(failed.ok());
    EXPECT_EQ(failed.error().code, ErrorCode::Locked);
  }
  faulty_->clearFaults();
  EXPECT_TRUE(faulty_->stat("a.txt").ok());
}

TEST_F(FaultInjectingTargetTest, AfterCallFaultPerformsTheCallButReportsFailure) {
  faulty_->failCall(TargetMethod::Put, 1, ErrorCode::Unavailable, FaultRepeat::Once,
                    FaultTiming::AfterCall);
  auto lost = put("a.txt", "stored anyway");
  ASSERT_FALSE(lost.ok());
  EXPECT_EQ(lost.error().code, ErrorCode::Unavailable);
  auto info = inner_->stat("a.txt");
  ASSERT_TRUE(info.ok()) << "the wrapped put did not run";
  EXPECT_EQ(info->size, 13u);
}

TEST_F(FaultInjectingTargetTest, DiskFullConsumesPartOfTheBodyAndLeavesNothing) {
  faulty_->diskFullOnPut(1, 1000);
  const std::string content(100000, 'z');
  std::istringstream in(content);
  auto result = faulty_->put("full.bin", in, {}, PutMode::CreateNew);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, ErrorCode::InsufficientStorage);
  EXPECT_NE(result.error().message.find("No space left"), std::string::npos);
  EXPECT_EQ(in.tellg(), std::streampos(1000)) << "the body was not consumed up to the fault";
  EXPECT_EQ(rawEntries(), 0u) << "the wrapped target left a partial write";
}

TEST_F(FaultInjectingTargetTest, ResetMidBodyFailsEvenWhenTheBodyIsShorter) {
  faulty_->resetMidBodyOnPut(1, 1 << 20);
  auto result = put("short.txt", "only a few bytes");
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, ErrorCode::Unavailable);
  EXPECT_EQ(rawEntries(), 0u);
  EXPECT_TRUE(put("short.txt", "only a few bytes").ok()) << "the retry works";
}

TEST_F(FaultInjectingTargetTest, PassesEverythingElseThrough) {
  ASSERT_TRUE(faulty_->ensureFolder("d").ok());
  ASSERT_TRUE(put("d/f.txt", "x").ok());
  EXPECT_EQ(faulty_->readMetadata("d/f.txt")->at("k"), "v");
  EXPECT_TRUE(faulty_->writeMetadata("d/f.txt", {}).ok());
  EXPECT_EQ(faulty_->list("d")->size(), 1u);
  EXPECT_TRUE(faulty_->move("d/f.txt", "d/g.txt").ok());
  EXPECT_TRUE(faulty_->get("d/g.txt").ok());
  EXPECT_TRUE(faulty_->remove("d/g.txt", true).ok());
  EXPECT_TRUE(faulty_->recover().ok());
  EXPECT_EQ(faulty_->describe(), "fault-injecting:" + inner_->describe());
  EXPECT_EQ(faulty_->capabilities().move, inner_->capabilities().move);
  EXPECT_EQ(faulty_->injectedFaults(), 0);
}

}  // namespace
}  // namespace dms::test
