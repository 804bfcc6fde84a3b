// Three hosts against one (issue 11): the same workload filed by one `dms-host run` and by
// three sharing one PostgreSQL state and one folder tree, on a sandbox that answers every API
// call after 50 ms (--latency-ms), as a distant Ambita would. The sandbox pushes to the hosts in
// turn; every host's workers take orders from the shared inbox, one order per process at a time
// (its lease). Prints files per second for each and the ratio (goal: >= 2.5); fails only when a
// run does not file everything.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <cstdint>
#include <iomanip>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "E2eWorld.h"
#include "ExpectedArchive.h"
#include "support/PostgresServer.h"

namespace dms::e2e {
namespace {

constexpr int kOrders = 24;
constexpr int kAddedFilesPerOrder = 15;  // besides the script's own 5
constexpr const char* kLatencyMs = "50";

struct TimedRun {
  std::size_t files = 0;
  double seconds = 0;
  double filesPerSecond() const { return seconds > 0 ? static_cast<double>(files) / seconds : 0; }
};

/// Files the workload with `hostCount` hosts on a fresh database and sandbox.
TimedRun fileWithHosts(test::PostgresServer& server, std::size_t hostCount) {
  E2eWorld world({TargetKind::Filesystem, {"--latency-ms", kLatencyMs}, "", 4});
  world.setStateUrl(server.createDatabase());
  auto& sandbox = world.sandbox();
  // The hosts start first: their first poll finds no order, so no work begins before the clock.
  std::vector<std::unique_ptr<test::ChildProcess>> hosts;
  std::string pushUrls;
  for (std::size_t h = 0; h < hostCount; ++h) {
    unsigned port = 0;
    hosts.push_back(world.startService(
        port, world.writeHostConfig("bench-host-" + std::to_string(h),
                                    world.workDir() / ("data-" + std::to_string(h)))));
    pushUrls += (h == 0 ? "" : ",") + world.pushUrl(port);
  }
  std::vector<std::int64_t> orders;
  for (int i = 0; i < kOrders; ++i) {
    orders.push_back(world.placeOrder("ytelse-" + std::to_string(i), "y-" + std::to_string(i)));
    for (int k = 0; k < kAddedFilesPerOrder; ++k) {
      test::SandboxProcess::AssetSpec spec;
      spec.size = 20'000;
      spec.name = spec.filename = "Vedlegg " + std::to_string(i) + "-" + std::to_string(k) + ".pdf";
      sandbox.addAsset(orders.back(), spec);  // no push yet: no URL is set
    }
  }
  sandbox.setPushUrl(pushUrls);

  const auto started = std::chrono::steady_clock::now();
  for (auto id : orders) sandbox.step(id, 0);  // the whole script: pushes, files, FINISHED
  const auto expected = ExpectedArchive::fromSandbox(sandbox, orders);
  const bool complete =
      eventually([&] { return world.archive().files().size() >= expected.assets().size(); },
                 std::chrono::seconds(180));
  TimedRun run;
  run.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  run.files = expected.assets().size();
  for (auto& host : hosts) host->stop(SIGTERM, std::chrono::seconds(30));
  EXPECT_TRUE(complete) << hostCount << " host(s): not everything was filed";
  const auto problems = expected.differences(world.archive().files(), world.archive().leftovers());
  EXPECT_TRUE(problems.empty()) << hostCount << " host(s):" << describe(problems);
  return run;
}

TEST(ClusterBench, ThreeHostsAgainstOne) {
  test::PostgresServer server;
  const TimedRun one = fileWithHosts(server, 1);
  const TimedRun three = fileWithHosts(server, 3);
  const double ratio = one.filesPerSecond() > 0 ? three.filesPerSecond() / one.filesPerSecond() : 0;
  std::cout << std::fixed << std::setprecision(1) << "[ cluster  ] " << one.files << " files, "
            << kOrders << " orders, every API call answered after " << kLatencyMs << " ms\n"
            << "[ cluster  ] 1 host:  " << one.seconds << " s, " << one.filesPerSecond()
            << " files/s\n"
            << "[ cluster  ] 3 hosts: " << three.seconds << " s, " << three.filesPerSecond()
            << " files/s\n"
            << std::setprecision(2) << "[ cluster  ] ratio 3 hosts / 1 host: " << ratio
            << "x (goal >= 2.5x)" << std::endl;
  RecordProperty("ratio", std::to_string(ratio));
}

}  // namespace
}  // namespace dms::e2e
