// The crash test of issue 4: `dms-host sync` over three orders with many files of varied sizes
// (empty up to ~20 MB) is SIGKILLed at random moments, again and again, while the sandbox keeps
// delivering new files and withdrawing some; then one sync runs to completion and the archive
// must be exactly right: every file once, byte-identical, metadata present, no temporaries, no
// spool leftovers, and the state agreeing with the archive (verify: all ok, nothing missing,
// changed or orphaned). Run with the filesystem target and with WebDAV on every server of
// tests/support/DavServer.h. The seed is printed; E2E_CRASH_SEED=<n> replays a run and
// E2E_CRASH_ITERATIONS=<n> changes the number of kills (default 25; 10 on the WebDAV servers
// other than Apache).
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <random>
#include <thread>

#include "E2eWorld.h"
#include "ExpectedArchive.h"

namespace dms::e2e {
namespace {

std::uint64_t envNumber(const char* name, std::uint64_t fallback) {
  const char* value = std::getenv(name);
  return value && *value ? std::strtoull(value, nullptr, 10) : fallback;
}

/// Downloads in progress (the engine's spool) and temporaries under the data folder.
std::vector<std::string> spoolFiles(const std::filesystem::path& dataDir) {
  std::vector<std::string> found;
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(dataDir, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec))
    if (it->is_regular_file() && (it->path().string().find("/spool/") != std::string::npos ||
                                  it->path().filename().string().rfind(".dms-tmp-", 0) == 0))
      found.push_back(it->path().string());
  return found;
}

class CrashE2eTest : public ::testing::TestWithParam<TargetKind> {};

TEST_P(CrashE2eTest, SigkillDuringSyncsThenTheArchiveIsExact) {
  const std::uint64_t seed = envNumber("E2E_CRASH_SEED", std::random_device{}());
  // 25 kills for the filesystem and Apache, 10 for each further WebDAV server (CI time).
  const bool extraServer =
      GetParam() != TargetKind::Filesystem && GetParam() != TargetKind::WebDavApache;
  const int iterations = static_cast<int>(envNumber("E2E_CRASH_ITERATIONS", extraServer ? 10 : 25));
  std::cout << "[ crash    ] seed " << seed << " (E2E_CRASH_SEED=" << seed << " replays), "
            << iterations << " kills" << std::endl;
  RecordProperty("seed", std::to_string(seed));
  std::mt19937_64 rng(seed);
  auto uniform = [&](std::uint64_t lo, std::uint64_t hi) {
    return std::uniform_int_distribution<std::uint64_t>(lo, hi)(rng);
  };
  // Sizes: some empty, many small, several of a few MB, a few large enough that a kill lands
  // in the middle of their download or put.
  auto randomSize = [&]() -> std::uint64_t {
    const auto kind = uniform(0, 9);
    if (kind == 0) return 0;
    if (kind <= 4) return uniform(1, 200 * 1024);
    if (kind <= 7) return uniform(1024 * 1024, 4 * 1024 * 1024);
    return uniform(8 * 1024 * 1024, 20 * 1024 * 1024);
  };

  E2eWorld world({GetParam(), {}, "", 4});
  auto& sandbox = world.sandbox();
  std::vector<std::int64_t> orders;
  std::vector<std::vector<std::string>> added(3);  // asset ids we added, per order
  std::uint64_t bytes = 0;
  std::size_t assetCount = 0;
  auto addFile = [&](std::size_t which) {
    test::SandboxProcess::AssetSpec spec;
    spec.size = randomSize();
    spec.level = uniform(0, 1) ? "line" : "order";
    spec.name = spec.filename =
        "Vedlegg " + std::to_string(++assetCount) + (spec.size > 4000000 ? ".zip" : ".pdf");
    added[which].push_back(sandbox.addAsset(orders[which], spec)->getValue<std::string>("id"));
    bytes += spec.size;
  };
  for (int i = 0; i < 3; ++i) {
    orders.push_back(world.placeOrder("krasj-" + std::to_string(i), "t-" + std::to_string(i)));
    if (i == 1) sandbox.setGeneration(orders.back(), "old");
    sandbox.step(orders.back(), 0);  // 5 scripted files
  }
  for (std::size_t o = 0; o < 3; ++o)
    for (int k = 0; k < 4; ++k) addFile(o);

  std::vector<std::string> syncArgs = {"sync"};
  for (auto id : orders) {
    syncArgs.push_back("--order");
    syncArgs.push_back(std::to_string(id));
  }
  int killedRunning = 0, finishedFirst = 0, withdrawals = 0;
  // Kill delays cover the host's start-up (measured: a `status` run) and the work after it.
  const auto before = std::chrono::steady_clock::now();
  ASSERT_EQ(world.host({"status"}).exitCode, 0);
  const auto startupMs =
      static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                     std::chrono::steady_clock::now() - before)
                                     .count());
  std::uint64_t fullSyncMs = startupMs + 600;
  int leftTemporary = 0, leftSpool = 0;
  const auto started = std::chrono::steady_clock::now();
  for (int i = 0; i < iterations; ++i) {
    for (auto n = uniform(1, 2); n > 0; --n)
      addFile(uniform(0, 2));  // deliveries go on between crashes
    if (i % 6 == 5) {          // and sometimes withdraws a file (filed or not yet)
      auto& ids = added[uniform(0, 2)];
      if (ids.size() > 1) {
        const auto at = uniform(0, ids.size() - 1);
        sandbox.withdraw(orders[static_cast<std::size_t>(&ids - &added[0])], ids[at]);
        ids.erase(ids.begin() + static_cast<std::ptrdiff_t>(at));
        ++withdrawals;
      }
    }
    // The kill lands anywhere from start-up to the end of the work: the delay is drawn up to
    // the duration of the last sync that got to finish (the host is fast; a fixed range would
    // mostly kill finished processes, or only start-ups on a slow machine).
    // A sync that finished before its kill is run again with a new draw (twice at most): about
    // half the draws outlast their sync, and a run whose kills mostly missed tested little.
    for (int draw = 0; draw < 3; ++draw) {
      const auto launched = std::chrono::steady_clock::now();
      auto child = world.startHost(syncArgs);
      std::this_thread::sleep_for(std::chrono::milliseconds(uniform(0, fullSyncMs)));
      if (child->running()) {
        ++killedRunning;
        child->stop(SIGKILL);
        // Evidence of where the kill landed: a put's temporary in the archive, a download's
        // spool file, or neither (start-up, between files, bookkeeping).
        if (!world.archive().leftovers().empty()) ++leftTemporary;
        if (!spoolFiles(world.dataDir()).empty()) ++leftSpool;
        break;
      }
      ++finishedFirst;
      auto outcome = child->wait(std::chrono::seconds(1));
      EXPECT_EQ(outcome.exitCode, 0) << "a sync that was not killed failed:\n"
                                     << outcome.out << outcome.err;
      const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
          std::chrono::steady_clock::now() - launched);
      fullSyncMs =
          std::max<std::uint64_t>(startupMs + 20, static_cast<std::uint64_t>(took.count()));
    }
  }
  std::cout << "[ crash    ] " << killedRunning << " of " << iterations
            << " kills hit a running sync (" << finishedFirst << " syncs finished first; "
            << leftSpool << " left a partial download, " << leftTemporary
            << " a partial put; start-up " << startupMs << " ms), " << withdrawals
            << " withdrawals, " << assetCount << " files added (" << bytes / (1024 * 1024)
            << " MiB) besides 15 scripted ones, "
            << std::chrono::duration_cast<std::chrono::milliseconds>(
                   std::chrono::steady_clock::now() - started)
                   .count()
            << " ms" << std::endl;
  EXPECT_GE(killedRunning, iterations / 3) << "too few kills landed while a sync ran";

  auto final = world.host(syncArgs, std::chrono::seconds(120));
  ASSERT_EQ(final.exitCode, 0) << final.out << final.err;

  const auto expected = ExpectedArchive::fromSandbox(sandbox, orders);
  const auto problems = expected.differences(world.archive().files(), world.archive().leftovers());
  EXPECT_TRUE(problems.empty()) << "seed " << seed << ":" << describe(problems);
  EXPECT_EQ(world.archive().files().size(), expected.assets().size());
  EXPECT_GE(expected.assets().size(), 15u + static_cast<std::size_t>(iterations));

  // No spool leftovers (downloads in progress live there) and no temporaries anywhere.
  const auto spool = spoolFiles(world.dataDir());
  EXPECT_TRUE(spool.empty()) << "leftovers: " << describe(spool);

  // The state agrees with the archive: every record has its file and vice versa.
  auto verify = world.host({"verify"});
  EXPECT_EQ(verify.exitCode, 0) << verify.out << verify.err;
  EXPECT_NE(verify.out.find("verify: " + std::to_string(expected.assets().size()) +
                            " ok, 0 missing, 0 changed, 0 orphaned"),
            std::string::npos)
      << verify.out;
  auto status = world.host({"status"});
  EXPECT_EQ(status.exitCode, 0) << status.err;

  // And the next sync has nothing left to download.
  sandbox.clearRequests();
  auto again = world.host(syncArgs);
  EXPECT_EQ(again.exitCode, 0) << again.out << again.err;
  EXPECT_EQ(sandbox.requestCount("download"), 0u) << again.out;
}

INSTANTIATE_TEST_SUITE_P(Targets, CrashE2eTest, ::testing::ValuesIn(allTargetKinds()),
                         [](const ::testing::TestParamInfo<TargetKind>& info) {
                           return targetName(info.param);
                         });

}  // namespace
}  // namespace dms::e2e
