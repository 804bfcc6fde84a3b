// Scale benchmark (issue 15: "100k assets in 10k orders: RSS flat (<= 32 MiB, independent of the
// number of orders and assets), first sync <= 0.3 ms CPU per file, re-sync <= 0.5 ms CPU per
// order"). Two data sets in one real ambita-sandbox, the second `factor` times the first, ten
// small files per order (the order script's five of 10-60 KB, five added of 2-8 KB): the work
// measured is the per-file and per-order overhead, not bytes. For each set:
//   curl  fetches every order JSON and every file (one process, keep-alive, --parallel): the
//         plain HTTP work, for scale;
//   P1    dms-host sync of all orders into a filesystem target with a fresh data dir;
//   P2    the same sync again (nothing new: order GETs only).
// Printed: dms-host's own CPU time (user + sys, wait4 rusage; the sandbox's CPU is not counted)
// per file and per order, and its peak RSS, the two sets side by side. Exits non-zero only for a
// broken run (exit code, summary, SHA-256 of every filed file, downloads served) or a peak RSS
// over 32 MiB, never for being slow. Data dir and archive live on tmpfs (/dev/shm) when there is
// one, so disk syncs do not hide the CPU figures; DMS_BENCH_SCALE_DIR picks another place.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "BenchOutput.h"
#include "RunChecks.h"
#include "SyncWorkload.h"
#include "WorkloadParams.h"
#include "support/ChildProcess.h"
#include "support/FileDigest.h"
#include "support/SandboxProcess.h"
#include "support/TempDir.h"

namespace {

using dms::bench::benchOutputDir;
using dms::bench::BrokenRun;
using dms::bench::readEnvInt;
using dms::bench::requireDownloads;
using dms::bench::requireSummary;
using dms::bench::SyncWorkload;
using dms::bench::WorkloadParams;
using dms::test::ChildProcess;
using dms::test::ChildResult;
using dms::test::FileDigest;
using dms::test::SandboxProcess;
namespace fs = std::filesystem;

constexpr std::chrono::minutes kChildTimeout{30};
constexpr long kRssLimitKb = 32 * 1024;  // issue 15: RSS <= 32 MiB whatever the scale
constexpr int kScriptedFilesPerOrder = 5;
constexpr int kAddedFilesPerOrder = 5;

/// The knobs (environment variables, defaults sized for CI: well under a minute in all).
struct ScaleParams {
  int files = 2000;     ///< DMS_BENCH_SCALE_FILES: files of the first set (10 per order)
  int factor = 4;       ///< DMS_BENCH_SCALE_FACTOR: the second set is this many times bigger
  int concurrency = 4;  ///< DMS_BENCH_SCALE_CONCURRENCY: downloads in flight (product and curl)
  /// DMS_BENCH_SCALE_MODULES: the module folder dms-host loads (default: this build's); a saved
  /// copy of an older build's modules measures "before" on the same box.
  std::string modules = DMS_MODULE_DIR;
  /// DMS_BENCH_SCALE_RESYNC_ROUNDS: how many times P2 (the re-sync) runs on the same state; more
  /// rounds show the spread of a figure of a few tenths of a second on a loaded box.
  int resyncRounds = 1;
  /// DMS_BENCH_SCALE_COMPARE_MODULES: a saved module folder (an older build's) whose re-sync runs
  /// after each of this build's, on the same state: before/after under the same load.
  std::string compareModules;

  static ScaleParams fromEnvironment() {
    ScaleParams p;
    p.files = readEnvInt("DMS_BENCH_SCALE_FILES", p.files, 10, 1'000'000);
    p.factor = readEnvInt("DMS_BENCH_SCALE_FACTOR", p.factor, 1, 100);
    p.concurrency = readEnvInt("DMS_BENCH_SCALE_CONCURRENCY", p.concurrency, 1, 64);
    if (const char* modules = std::getenv("DMS_BENCH_SCALE_MODULES"); modules && *modules)
      p.modules = modules;
    p.resyncRounds = readEnvInt("DMS_BENCH_SCALE_RESYNC_ROUNDS", p.resyncRounds, 1, 100);
    if (const char* compare = std::getenv("DMS_BENCH_SCALE_COMPARE_MODULES"); compare && *compare)
      p.compareModules = compare;
    return p;
  }
};

void writeText(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
  if (!out) throw std::runtime_error("cannot write " + path.string());
}

void requireExit(const ChildResult& run, const std::string& what) {
  if (run.exitCode == 0) return;
  throw BrokenRun(what + (run.timedOut ? " timed out" : " failed") + " (exit " +
                  std::to_string(run.exitCode) + ", signal " + std::to_string(run.signal) + "):\n" +
                  run.out.substr(0, 2000) + run.err.substr(0, 3000));
}

void requireRss(const ChildResult& run, const std::string& what) {
  if (run.peakRssKb > kRssLimitKb)
    throw BrokenRun(what + ": peak RSS " + std::to_string(run.peakRssKb / 1024) +
                    " MiB is over the 32 MiB bound");
}

/// One data set: its orders in the sandbox and the oracle of what a correct archive holds.
struct DataSet {
  std::unique_ptr<SyncWorkload> workload;
  std::map<std::string, int> digests;
};

DataSet makeDataSet(const SandboxProcess& sandbox, int files) {
  WorkloadParams params;
  params.orders = files / (kScriptedFilesPerOrder + kAddedFilesPerOrder);
  params.files = params.orders * kAddedFilesPerOrder;
  params.minKb = 2;
  params.maxKb = 8;
  params.bigFiles = 0;
  DataSet set;
  set.workload = std::make_unique<SyncWorkload>(sandbox, params);
  set.digests = set.workload->expectedDigests();
  return set;
}

/// dms-host's configuration: a filesystem target under `dir`; secrets come from the child's
/// environment as `${NAME}` references.
fs::path writeHostConfig(const fs::path& dir, const std::string& baseUrl, int concurrency,
                         const std::string& modules, const std::string& name = "dms-host.json") {
  const fs::path config = dir / name;
  writeText(config, "{\"dataDir\": \"" + (dir / "data").string() + "\", \"modules\": \"" + modules +
                        "\",\n \"target\": {\"connector\": \"filesystem\", \"root\": \"" +
                        (dir / "archive").string() + "\"},\n \"ambita\": {\"baseUrl\": \"" +
                        baseUrl + "\", \"clientId\": \"" + SandboxProcess::kClientId +
                        "\", \"clientSecret\": \"${SCALE_CLIENT_SECRET}\", \"username\": \"" +
                        SandboxProcess::kUsername +
                        "\", \"password\": \"${SCALE_API_PASSWORD}\", \"filing\": "
                        "{\"concurrency\": " +
                        std::to_string(concurrency) + "}}}\n");
  return config;
}

/// dms-host sync of `orderIds`; peakRssKb is the child's own (VmHWM sampled every 20 ms while it
/// runs: a high-water mark, so only growth in its last 20 ms could be missed).
ChildResult runSync(const fs::path& config, const std::vector<std::int64_t>& orderIds,
                    const fs::path& logs, const std::string& label) {
  std::vector<std::string> argv = {DMS_BUILD_DIR "/samples/dms-host", "--config", config.string(),
                                   "sync"};
  for (auto id : orderIds) {
    argv.push_back("--order");
    argv.push_back(std::to_string(id));
  }
  auto run =
      ChildProcess::runSamplingOwnPeakRss(argv,
                                          {{"SCALE_CLIENT_SECRET", SandboxProcess::kClientSecret},
                                           {"SCALE_API_PASSWORD", SandboxProcess::kPassword}},
                                          {}, kChildTimeout);
  writeText(logs / (label + ".out"), run.out);
  writeText(logs / (label + ".err"), run.err);
  return run;
}

/// The baseline: curl fetching every order JSON and every file of the set.
ChildResult runCurl(const SandboxProcess& sandbox, const DataSet& set, const fs::path& dir,
                    int concurrency) {
  const std::string token = sandbox.passwordToken();
  fs::create_directories(dir / "files");
  std::string config = "header = \"Authorization: Bearer " + token + "\"\n";
  for (auto id : set.workload->orderIds())
    config += "url = \"" + sandbox.baseUrl() + "/kode/v1/orders/" + std::to_string(id) +
              "\"\noutput = \"" + (dir / (std::to_string(id) + ".json")).string() + "\"\n";
  for (const auto& a : set.workload->assets())
    config +=
        "url = \"" + a.downloadUrl + "\"\noutput = \"" + (dir / "files" / a.id).string() + "\"\n";
  writeText(dir / "curlrc", config);
  return ChildProcess::run({"curl", "-sS", "--fail", "-K", (dir / "curlrc").string(), "--parallel",
                            "--parallel-max", std::to_string(concurrency)},
                           {}, {}, kChildTimeout);
}

/// The sandbox's request log keeps its newest 10000 entries (samples/ambita-sandbox): the
/// download count is checked only when a run's requests (order GETs, downloads, a few token
/// calls) all fit; beyond that the SHA-256 of every filed file is the check.
bool requestLogHolds(std::size_t orders, std::size_t files) {
  constexpr std::size_t kSandboxLogEntries = 10000;
  constexpr std::size_t kTokenCalls = 10;
  return orders + files + kTokenCalls <= kSandboxLogEntries;
}

struct Row {
  std::string run;
  std::size_t orders = 0;
  std::size_t files = 0;
  ChildResult result;
};

void printRow(const Row& row) {
  const double cpuMs = row.result.cpuSeconds * 1000;
  auto per = [&](std::size_t n) {
    char text[32];
    if (n == 0) return std::string("-");
    std::snprintf(text, sizeof text, "%.3f", cpuMs / static_cast<double>(n));
    return std::string(text);
  };
  std::printf("%-34s %7zu %7zu %8.2f %8.2f %12s %13s %8.1f\n", row.run.c_str(), row.orders,
              row.files, row.result.seconds, row.result.cpuSeconds, per(row.files).c_str(),
              per(row.orders).c_str(), static_cast<double>(row.result.peakRssKb) / 1024.0);
}

/// The three runs of one set; throws BrokenRun when one did the wrong thing.
std::vector<Row> measureSet(const SandboxProcess& sandbox, const DataSet& set, const fs::path& work,
                            const fs::path& logs, const ScaleParams& params) {
  const int concurrency = params.concurrency;
  const auto& ids = set.workload->orderIds();
  const std::size_t orders = ids.size();
  const std::size_t files = set.workload->assets().size();
  const std::string tag = std::to_string(files);
  std::vector<Row> rows;

  sandbox.clearRequests();
  const fs::path curlDir = work / ("curl-" + tag);
  auto curl = runCurl(sandbox, set, curlDir, concurrency);
  requireExit(curl, "curl (" + tag + " files)");
  const bool countable = requestLogHolds(orders, files);
  if (countable) requireDownloads(sandbox, files, "curl (" + tag + " files)");
  fs::remove_all(curlDir);
  rows.push_back({"curl: order JSONs + files", orders, files, curl});

  const fs::path dir = work / ("host-" + tag);
  fs::create_directories(dir);
  const auto config = writeHostConfig(dir, sandbox.baseUrl(), concurrency, params.modules);
  sandbox.clearRequests();
  const std::string first = "first sync (" + tag + " files)";
  auto p1 = runSync(config, ids, logs, "first-" + tag);
  requireExit(p1, first);
  requireSummary(p1, orders, files, first);
  if (countable) requireDownloads(sandbox, files, first);
  const auto difference =
      FileDigest::compare(set.digests, FileDigest::tree(dir / "archive", ".dms-"));
  if (!difference.empty()) throw BrokenRun(first + ": " + difference);
  requireRss(p1, first);
  rows.push_back({"P1 dms-host first sync", orders, files, p1});

  const auto compareConfig = params.compareModules.empty()
                                 ? fs::path()
                                 : writeHostConfig(dir, sandbox.baseUrl(), concurrency,
                                                   params.compareModules, "dms-host-compare.json");
  // Each round: this build's re-sync, then the compare modules' (when given), on the same state.
  for (int round = 1; round <= params.resyncRounds; ++round) {
    for (const auto& [label, hostConfig] :
         {std::pair{std::string("P2 dms-host re-sync, nothing new"), config},
          std::pair{std::string("P2' re-sync, compare modules"), compareConfig}}) {
      if (hostConfig.empty()) continue;
      sandbox.clearRequests();
      const std::string again = label + " (" + tag + " files, round " + std::to_string(round) + ")";
      auto p2 = runSync(hostConfig, ids, logs, "again-" + tag + "-" + std::to_string(rows.size()));
      requireExit(p2, again);
      requireSummary(p2, orders, 0, again);
      if (requestLogHolds(orders, 0)) requireDownloads(sandbox, 0, again);
      requireRss(p2, again);
      rows.push_back({label, orders, 0, p2});
    }
  }
  fs::remove_all(dir);
  return rows;
}

int runBenchmark() {
  const auto params = ScaleParams::fromEnvironment();
  const char* chosen = std::getenv("DMS_BENCH_SCALE_DIR");
  const std::string base = chosen && *chosen              ? chosen
                           : fs::is_directory("/dev/shm") ? "/dev/shm"
                                                          : "";
  if (!base.empty()) ::setenv("TMPDIR", base.c_str(), 1);  // where TempDir makes its folder
  dms::test::TempDir work("dms-scale-bench");
  const fs::path logs = benchOutputDir() / "scale-bench-logs";
  fs::remove_all(logs);
  fs::create_directories(logs);
  std::printf(
      "scale_bench: DMS_BENCH_SCALE_FILES=%d DMS_BENCH_SCALE_FACTOR=%d "
      "DMS_BENCH_SCALE_CONCURRENCY=%d, modules %s, work in %s\n",
      params.files, params.factor, params.concurrency, params.modules.c_str(), work.str().c_str());
  std::fflush(stdout);

  SandboxProcess sandbox;
  std::vector<DataSet> sets;
  for (int files : {params.files, params.files * params.factor}) {
    const auto start = std::chrono::steady_clock::now();
    sets.push_back(makeDataSet(sandbox, files));
    std::printf("data set: %zu orders, %zu files, %.1f MB, made in %.1f s\n",
                sets.back().workload->orderIds().size(), sets.back().workload->assets().size(),
                static_cast<double>(sets.back().workload->totalBytes()) / (1 << 20),
                std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    std::fflush(stdout);
  }

  std::printf("\n%-34s %7s %7s %8s %8s %12s %13s %8s\n", "run", "orders", "files", "wall s",
              "CPU s", "CPU ms/file", "CPU ms/order", "RSS MiB");
  std::vector<Row> all;
  for (const auto& set : sets) {
    for (const auto& row : measureSet(sandbox, set, work.path(), logs, params)) {
      printRow(row);
      all.push_back(row);
    }
    std::fflush(stdout);
  }
  // Rows per set: curl, first sync, then the re-syncs (this build's first).
  const std::size_t perSet = all.size() / 2;
  const auto& small = all[1];
  const auto& big = all[perSet + 1];
  std::printf(
      "\nCPU s: the child's own (wait4 rusage); the sandbox's CPU is not counted. RSS MiB: "
      "dms-host's own peak (VmHWM); curl's is wait4's ru_maxrss, which includes this "
      "benchmark's size at fork.\n"
      "goals (issue 15): first sync <= 0.3 ms CPU per file: %.3f / %.3f ms; re-sync <= 0.5 ms "
      "CPU per order: %.3f / %.3f ms; peak RSS <= 32 MiB and flat: %.1f / %.1f MiB "
      "(%zu / %zu orders)\n",
      small.result.cpuSeconds * 1000 / static_cast<double>(small.files),
      big.result.cpuSeconds * 1000 / static_cast<double>(big.files),
      all[2].result.cpuSeconds * 1000 / static_cast<double>(all[2].orders),
      all[perSet + 2].result.cpuSeconds * 1000 / static_cast<double>(all[perSet + 2].orders),
      static_cast<double>(small.result.peakRssKb) / 1024,
      static_cast<double>(big.result.peakRssKb) / 1024, small.orders, big.orders);
  return 0;
}

}  // namespace

int main() {
  try {
    return runBenchmark();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "scale_bench: BROKEN: %s\n", e.what());
  }
  return 1;
}
