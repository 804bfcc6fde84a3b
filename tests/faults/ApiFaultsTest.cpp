// Issue 13's fault matrix, the API's part: the real dms-host, modules and sandbox (tests/e2e's
// world, filesystem target) with an Ambita API slower than every timeout (the sandbox's "slow"
// fault: each answer trickles in with pauses longer than the client's read timeout). The sync
// ends within a bound with a message naming the timeout, files nothing twice, and once the API
// is fast again the next sync makes the archive exact.
#include <gtest/gtest.h>

#include "E2eWorld.h"
#include "FaultChecks.h"

namespace dms::faults {
namespace {

using e2e::E2eWorld;
using e2e::TargetKind;

TEST(ApiFaultsTest, ApiSlowerThanEveryTimeoutEndsTheSyncClearlyThenTheNextSyncIsExact) {
  E2eWorld world({TargetKind::Filesystem, {}, "", 2});
  // A 1 s read timeout and two attempts: a sync against a hanging API must end soon.
  world.setAmbitaOption("readTimeoutSeconds", 1);
  world.setAmbitaOption("maxAttempts", 2);
  world.setAmbitaOption("maxRetrySeconds", 5);
  auto& sandbox = world.sandbox();
  const auto order = world.placeOrder("oppdrag-treg", "sak-treg");
  sandbox.step(order, 0);
  // Every answer about the order and every download: pauses of 3 s, until cleared.
  sandbox.addFault("getOrder", "slow", 0, 3000);
  sandbox.addFault("download", "slow", 0, 3000);

  auto slow = world.host({"sync"}, std::chrono::seconds(90));
  EXPECT_FALSE(slow.timedOut) << "sync hung on a slow API\n" << slow.err;
  EXPECT_LT(slow.seconds, 60.0) << slow.err;
  EXPECT_NE(slow.exitCode, 0) << slow.out << slow.err;
  EXPECT_NE(slow.err.find("timed out"), std::string::npos) << slow.err;
  EXPECT_TRUE(world.archive().files().empty()) << slow.err;

  sandbox.clearFaults();
  expectExactAfterSync(world, order);
}

}  // namespace
}  // namespace dms::faults
