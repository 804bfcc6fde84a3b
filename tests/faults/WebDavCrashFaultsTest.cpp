// Issue 13's fault matrix: the WebDAV server SIGKILLed in the middle of an upload and started
// again, while `dms-host run` keeps going (its pooled keep-alive sessions all point at the dead
// server). The host must not stall afterwards: the interrupted file and a file that arrives
// after the restart are both filed, exactly once, within a bound, and `verify` is clean.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <thread>

#include "E2eWorld.h"
#include "ExpectedArchive.h"

namespace dms::faults {
namespace {

using e2e::E2eWorld;
using e2e::TargetKind;

/// Apache's own temporaries: mod_dav_fs writes an upload's body into a ".davfs.tmp*" file next
/// to the final name until the request is complete.
std::vector<std::filesystem::path> serverTemporaries(const std::filesystem::path& folder) {
  std::vector<std::filesystem::path> found;
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(folder, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec))
    if (it->path().filename().string().rfind(".davfs.tmp", 0) == 0) found.push_back(it->path());
  return found;
}

TEST(WebDavCrashFaultsTest, ServerKilledMidUploadAndRestartedThenNothingStalls) {
  E2eWorld world({TargetKind::WebDavApache, {}, "", 2});
  auto& sandbox = world.sandbox();
  const auto order = world.placeOrder("oppdrag-krasj", "sak-krasj");
  sandbox.step(order, 0);
  unsigned port = 0;
  auto service = world.startService(port);
  // The small files first, so every pooled session has been used once.
  auto problems = e2e::waitForArchive(world.archive(), sandbox, {order}, 60);
  ASSERT_TRUE(problems.empty()) << e2e::describe(problems) << "\n" << service->err();

  sandbox.setPushUrl(world.pushUrl(port));
  test::SandboxProcess::AssetSpec big;
  big.name = big.filename = "Situasjonskart.sos";
  big.size = 200ull * 1024 * 1024;
  sandbox.addAsset(order, big);
  // Poll tightly: the upload of 200 MB over loopback lasts a second or two.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  bool caught = false;
  while (!caught && std::chrono::steady_clock::now() < deadline) {
    caught = !serverTemporaries(world.targetFolder()).empty();
    if (!caught) std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  ASSERT_TRUE(caught) << "the upload never started\n" << service->err();
  world.apache().crash();
  // The killed server's half-written temporary is its own debris (the connector never sees
  // its name nor may touch it); an administrator removes it before the restart, and so does the
  // test.
  for (const auto& debris : serverTemporaries(world.targetFolder()))
    std::filesystem::remove(debris);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  world.apache().start();

  test::SandboxProcess::AssetSpec late;
  late.name = late.filename = "Etter omstart.pdf";
  late.size = 20 * 1024;
  sandbox.addAsset(order, late);
  problems = e2e::waitForArchive(world.archive(), sandbox, {order}, 90);
  EXPECT_TRUE(problems.empty()) << "after the restart:" << e2e::describe(problems) << "\n"
                                << service->err();
  auto stopped = service->stop(SIGTERM);
  EXPECT_EQ(stopped.exitCode, 0) << stopped.err;
  auto verify = world.host({"verify"});
  EXPECT_EQ(verify.exitCode, 0) << verify.out << verify.err;
}

}  // namespace
}  // namespace dms::faults
