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
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iomanip>
#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "E2eWorld.h"
#include "ExpectedArchive.h"
#include "support/PostgresServer.h"

namespace dms::e2e {
namespace {

constexpr int kOrders = 24;
constexpr int kScriptFiles = 5;  // the Meglerpakke script's own files in each order
constexpr int kAddedFilesPerOrder = 15;
constexpr std::size_t kFiles = kOrders * (kScriptFiles + kAddedFilesPerOrder);
constexpr const char* kLatencyMs = "50";

struct TimedRun {
  std::size_t files = 0;
  double seconds = 0;
  double hostCpuSeconds = 0;  ///< every dms-host's user + system time, start to stop
  double filesPerSecond() const { return seconds > 0 ? static_cast<double>(files) / seconds : 0; }
};

/// DMS_BENCH_CLUSTER_LOGS=DIR keeps each host's stderr (timestamped log lines: which host took
/// which order, when) as DIR/hosts-N/host-H.log, for a timeline of the run.
void keepHostLogs(const std::vector<std::unique_ptr<test::ChildProcess>>& hosts) {
  const char* dir = std::getenv("DMS_BENCH_CLUSTER_LOGS");
  if (dir == nullptr || *dir == '\0') return;
  const auto folder = std::filesystem::path(dir) / ("hosts-" + std::to_string(hosts.size()));
  std::filesystem::create_directories(folder);
  for (std::size_t h = 0; h < hosts.size(); ++h)
    std::ofstream(folder / ("host-" + std::to_string(h) + ".log")) << hosts[h]->err();
}

/// Documents in the archive folder: regular files other than the connector's ".dms-" ones
/// (temporaries, sidecars). Only names are read, so that polling it while the hosts work takes
/// next to no CPU from them: the contents are checked once the clock has stopped.
std::size_t countDocuments(const std::filesystem::path& root) {
  std::error_code ec;
  std::size_t n = 0;
  for (auto it = std::filesystem::recursive_directory_iterator(root, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec))
    if (it->is_regular_file(ec) && it->path().filename().string().rfind(".dms-", 0) != 0) ++n;
  return n;
}

/// Polls `done` every 10 ms until it holds or `timeout` passes; returns its last answer.
bool pollUntil(const std::function<bool()>& done, std::chrono::seconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

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

  // The clock sees only the filing: until the last document's name appears (polled every
  // 10 ms, names only). The expected archive (a sandbox call per file) and the byte-for-byte
  // check come after it, as they once ran inside it: the same fixed cost in both runs weighed
  // three times as much against the three hosts' shorter time, and their CPU was taken from
  // the hosts on this 2-core box.
  const auto started = std::chrono::steady_clock::now();
  for (auto id : orders) sandbox.step(id, 0);  // the whole script: pushes, files, FINISHED
  const bool complete = pollUntil([&] { return countDocuments(world.archiveRoot()) >= kFiles; },
                                  std::chrono::seconds(180));
  TimedRun run;
  run.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  const auto expected = ExpectedArchive::fromSandbox(sandbox, orders);
  run.files = expected.assets().size();
  EXPECT_EQ(run.files, kFiles) << "the workload is not the one this benchmark counts";
  for (auto& host : hosts)
    run.hostCpuSeconds += host->stop(SIGTERM, std::chrono::seconds(30)).cpuSeconds;
  keepHostLogs(hosts);
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
            << " files/s, dms-host CPU " << std::setprecision(2) << one.hostCpuSeconds << " s\n"
            << std::setprecision(1) << "[ cluster  ] 3 hosts: " << three.seconds << " s, "
            << three.filesPerSecond() << " files/s, dms-host CPU " << std::setprecision(2)
            << three.hostCpuSeconds << " s\n"
            << std::setprecision(2) << "[ cluster  ] ratio 3 hosts / 1 host: " << ratio
            << "x (goal >= 2.5x)" << std::endl;
  RecordProperty("ratio", std::to_string(ratio));
}

}  // namespace
}  // namespace dms::e2e
