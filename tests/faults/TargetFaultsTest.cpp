// Issue 13's fault matrix, the document target's part: the real dms-host, modules and sandbox
// (tests/e2e's world) filing into a target that is really full or really read-only — a tmpfs
// mounted over the folder the documents land in, so the filesystem connector meets ENOSPC /
// EROFS itself and Apache's mod_dav meets them behind WebDAV (answering 507 / 403). Each case:
// the sync fails with a message naming the cause, nothing half-written is left, and once the
// fault is gone the next sync makes the archive exact (every file once, byte-identical, with
// metadata, no temporaries) and `verify` is clean.
#include <gtest/gtest.h>

#include "E2eWorld.h"
#include "FaultChecks.h"
#include "TmpfsMount.h"

namespace dms::faults {
namespace {

using e2e::E2eWorld;
using e2e::TargetKind;

constexpr std::uint64_t kMiB = 1024 * 1024;

class TargetFaultsTest : public ::testing::TestWithParam<TargetKind> {
 protected:
  void SetUp() override {
    const auto reason = TmpfsMount::unavailableReason();
    if (!reason.empty()) GTEST_SKIP() << reason;
  }

  /// A finished order of the demo script plus one file of `bigBytes`; returns its id.
  static std::int64_t finishedOrder(E2eWorld& world, std::uint64_t bigBytes) {
    const auto order = world.placeOrder("oppdrag-fault", "sak-fault");
    world.sandbox().step(order, 0);
    test::SandboxProcess::AssetSpec big;
    big.name = big.filename = "Situasjonskart.sos";
    big.size = bigBytes;
    world.sandbox().addAsset(order, big);
    return order;
  }
};

// Target full: the big file does not fit. The sync fails naming the lack of space; what was
// being written is gone again; after the target grows, the next sync completes it exactly.
TEST_P(TargetFaultsTest, TargetFullFailsClearlyThenTheNextSyncIsExact) {
  E2eWorld world({GetParam(), {}, "", 2});
  std::filesystem::create_directories(world.targetFolder());
  const auto order = finishedOrder(world, 3 * kMiB);
  TmpfsMount mount(world.targetFolder(), 1 * kMiB);

  auto full = world.host({"sync"});
  EXPECT_NE(full.exitCode, 0) << full.out << full.err;
  // The cause as the target reported it: the file system's ENOSPC, or the server's 507.
  EXPECT_NE(full.err.find(GetParam() == TargetKind::Filesystem ? "No space left on device"
                                                               : "507 Insufficient Storage"),
            std::string::npos)
      << full.err;
  EXPECT_EQ(world.archive().leftovers(), std::vector<std::string>{}) << full.err;

  mount.resize(64 * kMiB);
  expectExactAfterSync(world, order);
}

// Target read-only: nothing can be written. The sync fails naming the read-only target (or
// the refused write), and after the target is writable again the next sync is exact.
TEST_P(TargetFaultsTest, ReadOnlyTargetFailsClearlyThenTheNextSyncIsExact) {
  E2eWorld world({GetParam(), {}, "", 2});
  std::filesystem::create_directories(world.targetFolder());
  const auto order = finishedOrder(world, 100 * 1024);
  TmpfsMount mount(world.targetFolder(), 64 * kMiB);
  mount.setReadOnly(true);

  auto refused = world.host({"sync"});
  EXPECT_NE(refused.exitCode, 0) << refused.out << refused.err;
  // EROFS, or the server's 403 (Apache's answer when its folder is read-only).
  EXPECT_NE(refused.err.find(GetParam() == TargetKind::Filesystem ? "Read-only file system"
                                                                  : "403 Forbidden"),
            std::string::npos)
      << refused.err;
  EXPECT_TRUE(world.archive().files().empty()) << refused.err;

  mount.setReadOnly(false);
  expectExactAfterSync(world, order);
}

INSTANTIATE_TEST_SUITE_P(Targets, TargetFaultsTest,
                         ::testing::Values(TargetKind::Filesystem, TargetKind::WebDavApache),
                         [](const ::testing::TestParamInfo<TargetKind>& info) {
                           return e2e::targetName(info.param);
                         });

}  // namespace
}  // namespace dms::faults
