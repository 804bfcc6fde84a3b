// Whole-product benchmark: dms-host filing every file of K finished Ambita orders, measured
// against plain tools doing the same HTTP work on the same machine in the same run:
//   A  curl fetching every order JSON and every file (one process, keep-alive, --parallel)
//   P1 dms-host sync into a filesystem target (fresh data dir), P2 the same sync again
//   B  curl -T uploading the same files to the same Apache mod_dav, and rclone copy if installed
//   P3 dms-host sync into that WebDAV server (download + upload + metadata + atomic MOVE)
// Every run is checked (exit code, file count, SHA-256 of every file against the sandbox's own
// digest, download count from the sandbox's request log); a broken run fails the benchmark
// (exit 1), a slow one never does. See tests/bench/README.md for how to read the table.
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include "BenchOutput.h"
#include "BenchReport.h"
#include "RunChecks.h"
#include "SyncWorkload.h"
#include "WorkloadParams.h"
#include "support/ApacheServer.h"
#include "support/ChildProcess.h"
#include "support/FileDigest.h"
#include "support/SandboxProcess.h"
#include "support/TempDir.h"

namespace {

using dms::bench::benchOutputDir;
using dms::bench::BenchReport;
using dms::bench::BrokenRun;
using dms::bench::requireDownloads;
using dms::bench::requireSummary;
using dms::bench::SyncWorkload;
using dms::bench::WorkloadParams;
using dms::test::ChildProcess;
using dms::test::ChildResult;
using dms::test::FileDigest;
using dms::test::SandboxProcess;
namespace fs = std::filesystem;

constexpr std::chrono::seconds kChildTimeout{180};
constexpr const char* kDavUser = "dms";
constexpr const char* kDavPassword = "bench-dav-pw-5tQ";

double megabytes(std::uint64_t bytes) {
  return static_cast<double>(bytes) / (1024.0 * 1024.0);
}

void writeText(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
  if (!out) throw std::runtime_error("cannot write " + path.string());
}

/// A value for a curl config file (-K), quoted.
std::string curlQuoted(const std::string& value) {
  std::string quoted = "\"";
  for (char c : value) {
    if (c == '"' || c == '\\') quoted += '\\';
    quoted += c;
  }
  return quoted + "\"";
}

std::optional<std::string> findInPath(const std::string& program) {
  const char* path = std::getenv("PATH");
  const std::string dirs = path ? path : "/usr/bin:/bin";
  std::size_t start = 0;
  for (;;) {
    const auto end = dirs.find(':', start);
    const auto dir = dirs.substr(start, end == std::string::npos ? std::string::npos : end - start);
    const fs::path candidate = fs::path(dir.empty() ? "." : dir) / program;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate.string();
    if (end == std::string::npos) return std::nullopt;
    start = end + 1;
  }
}

void requireExit(const ChildResult& run, const std::string& what) {
  if (run.exitCode == 0) return;
  std::string how = run.timedOut      ? " timed out (killed)"
                    : run.signal != 0 ? " was killed by signal " + std::to_string(run.signal) +
                                            " (" + strsignal(run.signal) + ")"
                                      : " failed (exit " + std::to_string(run.exitCode) + ")";
  throw BrokenRun(what + how + ":\n" + run.out.substr(0, 2000) + run.err.substr(0, 3000));
}

void requireTree(const fs::path& root, const std::string& skipPrefix,
                 const std::map<std::string, int>& expected, const std::string& what) {
  const auto difference = FileDigest::compare(expected, FileDigest::tree(root, skipPrefix));
  if (!difference.empty()) throw BrokenRun(what + ": " + difference + " under " + root.string());
}

/// Runs one program to completion, measured from outside (wall time from spawn to reap, the
/// child's CPU time, and its own peak RSS: VmHWM, as scale_bench does; wait4's ru_maxrss would
/// carry this benchmark's own size), SIGKILLed after kChildTimeout. Its stdout/stderr are kept in
/// `logDir`/`<label>`.out/.err for a look when a run is broken. dms-host, curl and rclone are all
/// run this way, so every tool is measured the same way. Each run starts after a sync(), untimed:
/// otherwise a run pays for the writeback of what the run before it left dirty (curl's files
/// stay in the page cache when it exits; dms-host's syncfs would flush them, and a curl right
/// after a big run is throttled by that run's writeback).
ChildResult measure(const std::vector<std::string>& argv, const ChildProcess::Env& env,
                    const fs::path& logDir, const std::string& label) {
  ::sync();
  auto run = ChildProcess::runSamplingOwnPeakRss(argv, env, {}, kChildTimeout);
  writeText(logDir / (label + ".out"), run.out);
  writeText(logDir / (label + ".err"), run.err);
  return run;
}

/// Removes a folder (stale logs of an earlier benchmark).
void discard(const fs::path& path) {
  std::error_code ignored;
  fs::remove_all(path, ignored);
}

/// Where the trees of finished runs wait for the benchmark's end. Runs repeat, and deleting a
/// run's tree before the next run would be measured too: on a file system without a journal
/// (ext4 without one, as on the 2-core VM these figures come from), a new inode is never one
/// freed in the last 60-360 s (`recently_deleted` in ext4's inode allocator), and each allocation
/// walks past those one by one, so a run right after a deletion pays for it per file and folder
/// it creates, and more each round (the product creates more inodes than curl: a folder per
/// category, temporaries, the state). So a finished tree's files are emptied (the disk gets
/// their space back at once, their inodes stay taken) and the tree is moved here whole; this
/// folder goes with the benchmark's work folder at its end.
class SetAside {
 public:
  explicit SetAside(fs::path folder) : folder_(std::move(folder)) {
    fs::create_directories(folder_);
  }

  void operator()(const fs::path& tree) {
    std::error_code error;
    if (!fs::exists(tree, error)) return;
    for (const auto& entry : fs::recursive_directory_iterator(tree, error))
      if (entry.is_regular_file(error) && !entry.is_symlink(error))
        fs::resize_file(entry.path(), 0, error);
    fs::rename(tree, folder_ / std::to_string(next_++), error);
    if (error) discard(tree);  // another file system: deleted after all
  }

 private:
  fs::path folder_;
  int next_ = 0;
};

/// One product run's files: its configuration, data dir and (filesystem) archive.
struct HostSetup {
  fs::path config;
  fs::path dataDir;
  fs::path archive;
};

/// Writes a dms-host configuration. Secrets are `${NAME}` references filled from the child's
/// environment (hostEnv()), as the README asks.
HostSetup writeHostConfig(const fs::path& dir, const std::string& tag,
                          Poco::JSON::Object::Ptr target, const std::string& baseUrl,
                          int concurrency, const std::string& modules = DMS_MODULE_DIR) {
  HostSetup setup{dir / (tag + ".json"), dir / (tag + "-data"), dir / (tag + "-archive")};
  if (target->optValue<std::string>("connector", "") == "filesystem")
    target->set("root", setup.archive.string());
  Poco::JSON::Object::Ptr root = new Poco::JSON::Object(true);
  root->set("dataDir", setup.dataDir.string());
  root->set("modules", modules);
  root->set("target", target);
  Poco::JSON::Object::Ptr ambita = new Poco::JSON::Object(true);
  ambita->set("baseUrl", baseUrl);
  ambita->set("clientId", SandboxProcess::kClientId);
  ambita->set("clientSecret", "${BENCH_CLIENT_SECRET}");
  ambita->set("username", SandboxProcess::kUsername);
  ambita->set("password", "${BENCH_API_PASSWORD}");
  Poco::JSON::Object::Ptr filing = new Poco::JSON::Object(true);
  filing->set("concurrency", concurrency);
  ambita->set("filing", filing);
  root->set("ambita", ambita);
  std::ofstream out(setup.config);
  root->stringify(out, 2);
  if (!out) throw std::runtime_error("cannot write " + setup.config.string());
  return setup;
}

ChildProcess::Env hostEnv() {
  return {{"BENCH_CLIENT_SECRET", SandboxProcess::kClientSecret},
          {"BENCH_API_PASSWORD", SandboxProcess::kPassword},
          {"BENCH_DAV_PASSWORD", kDavPassword}};
}

std::vector<std::string> syncArgs(const fs::path& config, const std::vector<std::int64_t>& ids) {
  std::vector<std::string> args = {DMS_BUILD_DIR "/samples/dms-host", "--config", config.string(),
                                   "sync"};
  for (auto id : ids) {
    args.push_back("--order");
    args.push_back(std::to_string(id));
  }
  return args;
}

Poco::JSON::Object::Ptr filesystemTarget(bool fsync) {
  Poco::JSON::Object::Ptr target = new Poco::JSON::Object(true);
  target->set("connector", "filesystem");
  target->set("fsync", fsync);
  return target;
}

int runBenchmark() {
  const auto params = WorkloadParams::fromEnvironment();
  std::printf("sync_bench: dms-host vs curl/rclone on loopback (figures, not pass/fail)\n%s\n",
              params.describe().c_str());
  dms::test::TempDir work("dms-sync-bench");
  SetAside setAside(work.path() / "finished-runs");
  // Each child's stdout/stderr stays after the run (small), in the benchmark's build folder
  // whatever the current folder, for a look when a run is broken.
  const fs::path logs = benchOutputDir() / "sync-bench-logs";
  discard(logs);  // no stale logs of an earlier run
  fs::create_directories(logs);

  SandboxProcess sandbox(params.sandboxArgs());
  SyncWorkload workload(sandbox, params);
  const auto& assets = workload.assets();
  const auto expected = workload.expectedDigests();
  const auto& orderIds = workload.orderIds();
  const auto files = assets.size();
  const auto bytes = workload.totalBytes();
  const int repeat = params.repeat;
  std::printf("data: %zu orders, %zu files, %.1f MB; %d round(s), every row once per round\n",
              orderIds.size(), files, megabytes(bytes), repeat);
  std::fflush(stdout);

  BenchReport report;
  std::vector<std::string> notes;
  const std::string concurrency = std::to_string(params.concurrency);
  const auto curl = findInPath("curl");
  if (!curl)
    throw std::runtime_error("curl is not installed (apt-get install -y curl): no baseline");
  const auto rclone = findInPath("rclone");
  const bool haveApache = fs::exists("/usr/sbin/apache2");
  if (!params.webdav) notes.push_back("WebDAV rows off (DMS_BENCH_SYNC_WEBDAV=0)");

  // The rows, in table order.
  const auto rowA = report.addRow("A  curl download, --parallel-max " + concurrency, files, bytes);
  // Side rows (DMS_BENCH_SYNC_SIDE_ROWS=1): curl over one connection, dms-host without fsync.
  std::optional<BenchReport::RowId> rowA1, rowP1n;
  if (params.sideRows) rowA1 = report.addRow("   curl download, 1 connection", files, bytes);
  const auto rowP1 = report.addRow("P1 dms-host sync -> filesystem", files, bytes);
  const auto rowP2 = report.addRow("P2 the same sync again (nothing new)", 0, 0);
  std::optional<BenchReport::RowId> rowP1c;
  if (!params.compareModules.empty())
    rowP1c = report.addRow("   P1 with DMS_BENCH_SYNC_COMPARE_MODULES", files, bytes);
  if (params.sideRows)
    rowP1n = report.addRow("   dms-host sync -> filesystem, fsync off", files, bytes);
  std::optional<BenchReport::RowId> rowB, rowRclone, rowP3, rowP3c;
  std::optional<dms::test::ApacheServer> apache;
  if (haveApache && params.webdav) {
    dms::test::ApacheOptions options;
    options.auth = dms::test::ApacheAuth::Basic;
    options.user = kDavUser;
    options.password = kDavPassword;
    apache.emplace(options);
    rowB = report.addRow("B  curl -T upload, --parallel-max " + concurrency, files, bytes);
    if (rclone)
      rowRclone = report.addRow("   rclone copy, --transfers " + concurrency, files, bytes);
    rowP3 = report.addRow("P3 dms-host sync -> WebDAV", files, bytes);
    if (!params.compareModules.empty())
      rowP3c = report.addRow("   P3 with DMS_BENCH_SYNC_COMPARE_MODULES", files, bytes);
    if (!rclone)
      notes.push_back("rclone row skipped: rclone is not installed (apt-get install -y rclone)");
  } else if (params.webdav) {
    notes.push_back(
        "WebDAV rows skipped: /usr/sbin/apache2 is not installed (tests/run.sh installs it)");
  }

  // A: curl fetches every order JSON and every file. The token comes from the token endpoint
  // like the product's; one grant, outside the timing.
  const std::string token = sandbox.passwordToken();
  const fs::path curlDir = work.path() / "curl-download";
  auto curlDownload = [&](const std::string& label, const std::vector<std::string>& flags) {
    setAside(curlDir);
    fs::create_directories(curlDir / "orders");
    fs::create_directories(curlDir / "assets");
    std::string config = "header = " + curlQuoted("Authorization: Bearer " + token) + "\n";
    for (auto id : orderIds)
      config += "url = " + curlQuoted(sandbox.baseUrl() + "/kode/v1/orders/" + std::to_string(id)) +
                "\noutput = " +
                curlQuoted((curlDir / "orders" / (std::to_string(id) + ".json")).string()) + "\n";
    for (const auto& a : assets)
      config += "url = " + curlQuoted(a.downloadUrl) +
                "\noutput = " + curlQuoted((curlDir / "assets" / (a.id + ".bin")).string()) + "\n";
    const fs::path configFile = work.path() / (label + ".curlrc");
    writeText(configFile, config);
    std::vector<std::string> args = {*curl, "-sS", "--fail", "-K", configFile.string()};
    args.insert(args.end(), flags.begin(), flags.end());
    sandbox.clearRequests();
    return measure(args, {}, logs, label);
  };
  auto curlDownloadCheck = [&](const std::string& what) {
    return [&, what](const ChildResult& run) {
      requireExit(run, what);
      requireTree(curlDir / "assets", "", expected, what);
      for (auto id : orderIds)
        if (fs::file_size(curlDir / "orders" / (std::to_string(id) + ".json")) == 0)
          throw BrokenRun(what + ": order " + std::to_string(id) + " came back empty");
      requireDownloads(sandbox, files, what);
    };
  };

  // ambita.filing.concurrency: the compare rows' own knob, the others' DMS_BENCH_SYNC_CONCURRENCY.
  auto filingConcurrency = [&](const std::string& modules) {
    return modules != DMS_MODULE_DIR ? params.compareFilingConcurrency : params.concurrency;
  };

  // P1: dms-host sync into a fresh filesystem target; returns the setup it used.
  auto productFilesystem = [&](BenchReport::RowId row, bool fsync, int round,
                               std::optional<HostSetup>& setup,
                               const std::string& modules = DMS_MODULE_DIR) {
    const std::string tag = (modules != DMS_MODULE_DIR ? "fs-compare"
                             : fsync                   ? "fs"
                                                       : "fs-nofsync") +
                            std::to_string(round);
    const std::string what = "dms-host sync (" + tag + ")";
    return report.run(
        row,
        [&] {
          setup = writeHostConfig(work.path(), tag, filesystemTarget(fsync), sandbox.baseUrl(),
                                  filingConcurrency(modules), modules);
          sandbox.clearRequests();
          return measure(syncArgs(setup->config, orderIds), hostEnv(), logs, tag + "-sync");
        },
        [&](const ChildResult& run) {
          requireExit(run, what);
          requireSummary(run, orderIds.size(), files, what);
          requireTree(setup->archive, ".dms-", expected, what);
          requireDownloads(sandbox, files, what);
        });
  };

  std::size_t orderGets = 0;
  for (int round = 0; round < repeat; ++round) {
    const std::string n = std::to_string(round);
    report.run(
        rowA,
        [&] {
          return curlDownload("curl-download" + n, {"--parallel", "--parallel-max", concurrency});
        },
        curlDownloadCheck("curl download (parallel, round " + n + ")"));
    // Same files to the same paths: after this run curlDir holds what the uploads send.
    if (rowA1)
      report.run(
          *rowA1, [&] { return curlDownload("curl-download-1-" + n, {}); },
          curlDownloadCheck("curl download (1 connection, round " + n + ")"));

    std::optional<HostSetup> setup;
    if (productFilesystem(rowP1, true, round, setup)) {
      report.run(
          rowP2,
          [&] {
            sandbox.clearRequests();
            return measure(syncArgs(setup->config, orderIds), hostEnv(), logs, "fs-again" + n);
          },
          [&](const ChildResult& run) {
            const std::string what = "second dms-host sync (round " + n + ")";
            requireExit(run, what);
            requireSummary(run, orderIds.size(), 0, what);
            requireDownloads(sandbox, 0, what);
            orderGets = sandbox.requestCount("getOrder");
            requireTree(setup->archive, ".dms-", expected, what);
          });
    }
    if (setup) {
      setAside(setup->archive);
      setAside(setup->dataDir);
    }
    setup.reset();
    if (rowP1c) {
      productFilesystem(*rowP1c, true, round, setup, params.compareModules);
      if (setup) {
        setAside(setup->archive);
        setAside(setup->dataDir);
      }
      setup.reset();
    }
    if (rowP1n) productFilesystem(*rowP1n, false, round, setup);
    if (setup) {
      setAside(setup->archive);
      setAside(setup->dataDir);
    }

    if (!apache) continue;
    // B: curl -T, every file (as curl downloaded it above) to its own name in one collection.
    const bool curlReady = report.ok(rowA) && (!rowA1 || report.ok(*rowA1));
    if (curlReady) {
      const fs::path root = apache->davRoot() / ("curl" + n);
      report.run(
          *rowB,
          [&] {
            const std::string url = apache->createCollection("curl" + n);
            std::string config =
                "user = " + curlQuoted(std::string(kDavUser) + ":" + kDavPassword) + "\n";
            for (const auto& a : assets)
              config +=
                  "upload-file = " + curlQuoted((curlDir / "assets" / (a.id + ".bin")).string()) +
                  "\nurl = " + curlQuoted(url + a.id + ".bin") + "\n";
            const fs::path configFile = work.path() / "curl-upload.curlrc";
            writeText(configFile, config);
            return measure({*curl, "-sS", "--fail", "-K", configFile.string(), "--parallel",
                            "--parallel-max", concurrency},
                           {}, logs, "curl-upload" + n);
          },
          [&](const ChildResult& run) {
            requireExit(run, "curl -T upload (round " + n + ")");
            requireTree(root, "", expected, "curl -T upload (round " + n + ")");
          });
      setAside(root);
    } else if (round == 0) {
      notes.push_back("upload baselines skipped: curl's download (A) is broken");
    }

    // rclone: one run (it is an order of magnitude off; its noise does not matter).
    if (rowRclone && curlReady && round == 0) {
      const fs::path root = apache->davRoot() / "rclone";
      report.run(
          *rowRclone,
          [&] {
            // rclone wants the password obscured; a throwaway config file keeps any rclone
            // configuration of the user out of it.
            const auto obscured =
                measure({*rclone, "obscure", kDavPassword}, {}, logs, "rclone-obscure");
            requireExit(obscured, "rclone obscure");
            std::string pass = obscured.out;
            while (!pass.empty() && (pass.back() == '\n' || pass.back() == '\r')) pass.pop_back();
            const fs::path rcloneConfig = work.path() / "rclone.conf";
            writeText(rcloneConfig, "");
            const ChildProcess::Env env = {
                {"RCLONE_CONFIG", rcloneConfig.string()},
                {"RCLONE_CONFIG_BENCH_TYPE", "webdav"},
                {"RCLONE_CONFIG_BENCH_URL", apache->createCollection("rclone")},
                {"RCLONE_CONFIG_BENCH_VENDOR", "other"},
                {"RCLONE_CONFIG_BENCH_USER", kDavUser},
                {"RCLONE_CONFIG_BENCH_PASS", pass}};
            return measure({*rclone, "copy", (curlDir / "assets").string(), "bench:", "--transfers",
                            concurrency, "--checkers", concurrency},
                           env, logs, "rclone-copy");
          },
          [&](const ChildResult& run) {
            requireExit(run, "rclone copy");
            requireTree(root, "", expected, "rclone copy");
          });
      setAside(root);
    }

    // P3: the product, downloading from the sandbox and filing into the same Apache; with
    // DMS_BENCH_SYNC_COMPARE_MODULES also those modules (P3c), the order alternating by round.
    auto productWebdav = [&](BenchReport::RowId row, const std::string& tag,
                             const std::string& modules) {
      const std::string name = tag + n;
      const fs::path root = apache->davRoot() / name;
      report.run(
          row,
          [&] {
            Poco::JSON::Object::Ptr target = new Poco::JSON::Object(true);
            target->set("connector", "webdav");
            target->set("url", apache->createCollection(name));
            target->set("username", kDavUser);
            target->set("password", "${BENCH_DAV_PASSWORD}");
            target->set("concurrency", params.concurrency);
            const auto davSetup =
                writeHostConfig(work.path(), "webdav-" + name, target, sandbox.baseUrl(),
                                filingConcurrency(modules), modules);
            sandbox.clearRequests();
            return measure(syncArgs(davSetup.config, orderIds), hostEnv(), logs,
                           "webdav-sync-" + name);
          },
          [&](const ChildResult& run) {
            const std::string what = "dms-host sync (webdav, " + tag + ", round " + n + ")";
            requireExit(run, what);
            requireSummary(run, orderIds.size(), files, what);
            requireTree(root, ".dms-", expected, what);
            requireDownloads(sandbox, files, what);
          });
      setAside(root);
    };
    if (rowP3c && round % 2 == 1) productWebdav(*rowP3c, "compare", params.compareModules);
    productWebdav(*rowP3, "product", DMS_MODULE_DIR);
    if (rowP3c && round % 2 == 0) productWebdav(*rowP3c, "compare", params.compareModules);
  }

  // Ratios of medians, every baseline from this run.
  const double a = report.medianSeconds(rowA);
  report.setRatio(rowA, "1.00 x A (baseline)");
  if (rowA1) report.setRatio(*rowA1, BenchReport::ratio(report.medianSeconds(*rowA1), a, "A"));
  report.setRatio(rowP1, BenchReport::ratio(report.medianSeconds(rowP1), a, "A"));
  report.setRatio(
      rowP2, BenchReport::ratio(report.medianSeconds(rowP2), report.medianSeconds(rowP1), "P1"));
  if (rowP1c)
    report.setRatio(*rowP1c, BenchReport::ratio(report.medianSeconds(*rowP1c),
                                                report.medianSeconds(rowP1), "P1"));
  if (rowP1n) report.setRatio(*rowP1n, BenchReport::ratio(report.medianSeconds(*rowP1n), a, "A"));
  // Issue 15, row 1: the speed of filing into the filesystem against curl's download alone.
  if (a > 0 && report.medianSeconds(rowP1) > 0) {
    char speed[160];
    std::snprintf(speed, sizeof speed,
                  "speed vs curl: P1 (filesystem) %.2f x curl --parallel-max %s (goal >= 0.8 x)",
                  a / report.medianSeconds(rowP1), concurrency.c_str());
    notes.push_back(speed);
  }
  if (report.ok(rowP2) && report.medianSeconds(rowP2) > 0)
    notes.push_back("P2: 0 downloads and " + std::to_string(orderGets) +
                    " order GET(s) per run (sandbox request log)");
  if (rowB) {
    const double b = report.medianSeconds(*rowB);
    report.setRatio(*rowB, "1.00 x B (baseline)");
    if (rowRclone)
      report.setRatio(*rowRclone, BenchReport::ratio(report.medianSeconds(*rowRclone), b, "B"));
    const double p3 = report.medianSeconds(*rowP3);
    std::string text = BenchReport::ratio(p3, b, "B");
    if (a > 0 && b > 0 && p3 > 0) text += ", " + BenchReport::ratio(p3, a + b, "(A+B)");
    report.setRatio(*rowP3, text);
    if (rowP3c)
      report.setRatio(*rowP3c, BenchReport::ratio(report.medianSeconds(*rowP3c), p3, "P3"));
    // Issue 15, row 2: the speed of filing into WebDAV against curl -T's and rclone's.
    if (b > 0 && p3 > 0) {
      char speed[200];
      std::snprintf(speed, sizeof speed, "P3 (WebDAV): %.2f x curl -T's speed (goal >= 0.3 x)",
                    b / p3);
      std::string line = speed;
      if (rowRclone && report.medianSeconds(*rowRclone) > 0) {
        std::snprintf(speed, sizeof speed, ", %.1f x rclone copy's (goal >= 10 x)",
                      report.medianSeconds(*rowRclone) / p3);
        line += speed;
      }
      notes.push_back(line);
    }
  }

  std::string explanation =
      "\ntime ratio = median seconds of the row / median seconds of its baseline, both measured\n"
      "in this run (< 1: faster). A+B = curl downloading everything, then curl uploading it: the\n"
      "plain-tool pipeline that P3 replaces. CPU s (wait4 rusage) and RSS MB (VmHWM) are the\n"
      "child's own, for the median run. Every run is checked: exit 0, every file present with\n"
      "the sandbox's SHA-256, download count from the sandbox's request log.\n"
      "stdout/stderr of each child: " +
      logs.string() + "\n";
  for (const auto& note : notes) explanation += note + "\n";
  const auto broken = report.broken();
  std::printf("\n%s%s", report.table().c_str(), explanation.c_str());
  std::fflush(stdout);
  // The figures also go to a file beside the logs: CTest shows a passing test's output only
  // with -V, and the file keeps the last run's table.
  std::string record = "sync_bench: " + params.describe() + "\n" + std::to_string(files) +
                       " files, " + std::to_string(bytes) + " bytes\n\n" + report.table() +
                       explanation;
  for (const auto& reason : broken) record += "BROKEN RUN: " + reason + "\n";
  writeText(benchOutputDir() / "sync-bench-results.txt", record);
  for (const auto& reason : broken)
    std::fprintf(stderr, "sync_bench: BROKEN RUN: %s\n", reason.c_str());
  return broken.empty() ? 0 : 1;
}

}  // namespace

int main() {
  try {
    return runBenchmark();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "sync_bench: %s\n", e.what());
  }
  return 1;
}
