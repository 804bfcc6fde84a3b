// Issue 11: several dms-host processes share one PostgreSQL state (a throwaway server,
// tests/support/PostgresServer) and one filesystem target, each with its own data folder, as
// hosts on several machines would. The leases in the database make one process at a time
// reconcile an order; a killed process's leases lapse at once and the others go on.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "E2eWorld.h"
#include "ExpectedArchive.h"
#include "support/Loopback.h"
#include "support/PostgresServer.h"

namespace dms::e2e {
namespace {

/// "sync: 3 order(s), 17 filed, ..." -> 17 (or -1 when the line is missing).
long filedBySync(const std::string& out) {
  const auto line = out.find("sync: ");
  if (line == std::string::npos) return -1;
  const auto comma = out.find(", ", line);
  if (comma == std::string::npos) return -1;
  return std::strtol(out.c_str() + comma + 2, nullptr, 10);
}

test::SandboxProcess::AssetSpec smallFile(std::size_t number, std::uint64_t size) {
  test::SandboxProcess::AssetSpec spec;
  spec.size = size;
  spec.level = number % 2 == 0 ? "line" : "order";
  spec.name = spec.filename = "Vedlegg " + std::to_string(number) + ".pdf";
  return spec;
}

std::vector<std::string> syncArgs(const std::vector<std::int64_t>& orders) {
  std::vector<std::string> args = {"sync"};
  for (auto id : orders) {
    args.push_back("--order");
    args.push_back(std::to_string(id));
  }
  return args;
}

// Two administrators start `sync` on two hosts at the same moment: both succeed, and between
// them every asset is filed once (the second waits for the orders the first holds, then finds
// them done).
TEST(SeveralHostsE2eTest, TwoSyncsStartedTogetherBothSucceedAndFileEachAssetOnce) {
  test::PostgresServer server;
  E2eWorld world;
  world.setStateUrl(server.createDatabase());
  auto& sandbox = world.sandbox();
  std::vector<std::int64_t> orders;
  std::size_t files = 0;
  for (int i = 0; i < 3; ++i) {
    orders.push_back(world.placeOrder("samtidig-" + std::to_string(i), "s-" + std::to_string(i)));
    sandbox.step(orders.back(), 0);
    for (int k = 0; k < 10; ++k) sandbox.addAsset(orders.back(), smallFile(++files, 2000 + k));
  }
  const auto args = syncArgs(orders);
  auto first = world.startHost(args, world.writeHostConfig("host-a", world.workDir() / "data-a"));
  auto second = world.startHost(args, world.writeHostConfig("host-b", world.workDir() / "data-b"));
  const auto a = first->wait(std::chrono::seconds(120));
  const auto b = second->wait(std::chrono::seconds(120));
  ASSERT_EQ(a.exitCode, 0) << a.out << a.err;
  ASSERT_EQ(b.exitCode, 0) << b.out << b.err;

  const auto expected = ExpectedArchive::fromSandbox(sandbox, orders);
  const auto problems = expected.differences(world.archive().files(), world.archive().leftovers());
  EXPECT_TRUE(problems.empty()) << describe(problems);
  EXPECT_EQ(filedBySync(a.out) + filedBySync(b.out), static_cast<long>(expected.assets().size()))
      << "each asset is filed by exactly one of the two:\n"
      << a.out << "\n"
      << b.out;
}

/// One `dms-host run` of the cluster: its own data folder and a fixed port, so that it comes
/// back where the sandbox pushes after a kill.
struct ClusterHost {
  std::filesystem::path config;
  unsigned port = 0;
  std::unique_ptr<test::ChildProcess> process;
};

// Three hosts run as a service; the sandbox pushes to them in turn while 1000 small files
// arrive, and one host is SIGKILLed every few seconds and started again. Pushes that reach a
// dead host are lost (the sandbox does not retry), as they would be in production while a
// server is down: the next push of the same order, or a later sync, covers them. At the end
// the hosts stop, one `sync` runs alone (it also removes what killed puts left, since no other
// process files), and the archive must be exact: every file once, byte-identical, with its
// metadata, no temporaries, and `verify` clean.
TEST(SeveralHostsE2eTest, ThreeHostsFileEveryFileOnceWhileOneIsKilledAgainAndAgain) {
  const char* seedText = std::getenv("E2E_CLUSTER_SEED");
  const std::uint64_t seed =
      seedText && *seedText ? std::strtoull(seedText, nullptr, 10) : std::random_device{}();
  std::cout << "[ cluster  ] seed " << seed << " (E2E_CLUSTER_SEED=" << seed << " replays)"
            << std::endl;
  std::mt19937_64 rng(seed);
  auto uniform = [&](std::uint64_t lo, std::uint64_t hi) {
    return std::uniform_int_distribution<std::uint64_t>(lo, hi)(rng);
  };

  test::PostgresServer server;
  E2eWorld world;
  world.setStateUrl(server.createDatabase());
  auto& sandbox = world.sandbox();
  constexpr int kOrders = 10;
  constexpr std::size_t kFiles = 1000;
  std::vector<std::int64_t> orders;
  for (int i = 0; i < kOrders; ++i)
    orders.push_back(world.placeOrder("klynge-" + std::to_string(i), "k-" + std::to_string(i)));

  std::vector<ClusterHost> hosts(3);
  std::string pushUrls;
  for (std::size_t h = 0; h < hosts.size(); ++h) {
    auto& host = hosts[h];
    host.port = static_cast<unsigned>(test::freeLoopbackPort());
    host.config = world.writeHostConfig("host-" + std::to_string(h),
                                        world.workDir() / ("data-" + std::to_string(h)),
                                        "127.0.0.1:" + std::to_string(host.port));
    unsigned port = 0;
    host.process = world.startService(port, host.config);
    ASSERT_EQ(port, host.port);
    pushUrls += (h == 0 ? "" : ",") + world.pushUrl(host.port);
  }
  sandbox.setPushUrl(pushUrls);

  const auto started = std::chrono::steady_clock::now();
  auto lastKill = started;
  int kills = 0;
  // The files arrive over about 15 s (a push each); a kill every 2 s.
  for (std::size_t n = 1; n <= kFiles; ++n) {
    sandbox.addAsset(orders[uniform(0, kOrders - 1)], smallFile(n, uniform(0, 4096)));
    std::this_thread::sleep_for(std::chrono::milliseconds(15));
    if (std::chrono::steady_clock::now() - lastKill < std::chrono::seconds(2)) continue;
    auto& victim = hosts[uniform(0, hosts.size() - 1)];
    victim.process->stop(SIGKILL);
    unsigned port = 0;
    victim.process = world.startService(port, victim.config);
    ASSERT_EQ(port, victim.port);
    ++kills;
    lastKill = std::chrono::steady_clock::now();
  }
  // The hosts catch up with what reached them (pushes to a host while it was down are lost).
  const auto expectedCount = ExpectedArchive::fromSandbox(sandbox, orders).assets().size();
  eventually([&] { return world.archive().files().size() >= expectedCount; },
             std::chrono::seconds(60));
  const auto filedByHosts = world.archive().files().size();
  for (auto& host : hosts) {
    auto outcome = host.process->stop(SIGTERM, std::chrono::seconds(30));
    EXPECT_EQ(outcome.exitCode, 0) << outcome.out << outcome.err;
  }
  std::cout << "[ cluster  ] " << kFiles << " files to " << kOrders << " orders, " << kills
            << " kills, " << filedByHosts << " filed by the three hosts, "
            << std::chrono::duration_cast<std::chrono::milliseconds>(
                   std::chrono::steady_clock::now() - started)
                   .count()
            << " ms" << std::endl;
  EXPECT_GE(kills, 3);

  auto final = world.host(syncArgs(orders), std::chrono::seconds(120));
  ASSERT_EQ(final.exitCode, 0) << final.out << final.err;
  std::cout << "[ cluster  ] the final sync filed " << filedBySync(final.out)
            << " file(s) the hosts had not" << std::endl;

  const auto expected = ExpectedArchive::fromSandbox(sandbox, orders);
  ASSERT_GE(expected.assets().size(), kFiles);
  const auto problems = expected.differences(world.archive().files(), world.archive().leftovers());
  EXPECT_TRUE(problems.empty()) << "seed " << seed << ":" << describe(problems);
  auto verify = world.host({"verify"});
  EXPECT_EQ(verify.exitCode, 0) << verify.out << verify.err;
  EXPECT_NE(verify.out.find("0 missing, 0 changed, 0 orphaned"), std::string::npos) << verify.out;
}

}  // namespace
}  // namespace dms::e2e
