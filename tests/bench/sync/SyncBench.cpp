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
#include <filesystem>
#include <fstream>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include "BenchReport.h"
#include "FileDigest.h"
#include "MeasuredProcess.h"
#include "SyncWorkload.h"
#include "WorkloadParams.h"
#include "support/ApacheServer.h"
#include "support/SandboxProcess.h"
#include "support/TempDir.h"

namespace {

using dms::bench::BenchReport;
using dms::bench::BenchRow;
using dms::bench::BrokenRun;
using dms::bench::FileDigest;
using dms::bench::MeasuredProcess;
using dms::bench::ProcessRun;
using dms::bench::SyncWorkload;
using dms::bench::WorkloadParams;
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

std::size_t countRequests(const SandboxProcess& sandbox, const std::string& endpoint) {
  auto log = sandbox.requests();
  std::size_t n = 0;
  for (std::size_t i = 0; log && i < log->size(); ++i) {
    auto entry = log->getObject(static_cast<unsigned>(i));
    if (entry && entry->optValue<std::string>("endpoint", "") == endpoint) ++n;
  }
  return n;
}

void clearRequests(const SandboxProcess& sandbox) {
  sandbox.control("DELETE", "/_sandbox/requests");
}

void requireExit(const ProcessRun& run, const std::string& what) {
  if (run.exitCode == 0) return;
  throw BrokenRun(what + (run.timedOut ? " timed out" : " failed") + " (exit " +
                  std::to_string(run.exitCode) + "):\n" + run.out.substr(0, 2000) +
                  run.err.substr(0, 3000));
}

void requireTree(const fs::path& root, const std::string& skipPrefix,
                 const std::map<std::string, int>& expected, const std::string& what) {
  const auto difference = FileDigest::compare(expected, FileDigest::tree(root, skipPrefix));
  if (!difference.empty()) throw BrokenRun(what + ": " + difference + " under " + root.string());
}

void requireDownloads(const SandboxProcess& sandbox, std::size_t expected,
                      const std::string& what) {
  const auto served = countRequests(sandbox, "download");
  if (served != expected)
    throw BrokenRun(what + ": the sandbox served " + std::to_string(served) + " downloads, not " +
                    std::to_string(expected));
}

/// dms-host's summary line must say every order was synced and how many files were filed.
void requireSummary(const ProcessRun& run, std::size_t orders, std::size_t filed,
                    const std::string& what) {
  const std::string expected =
      "sync: " + std::to_string(orders) + " order(s), " + std::to_string(filed) + " filed";
  if (run.out.find(expected) == std::string::npos)
    throw BrokenRun(what + ": expected \"" + expected + "\" in its output, got:\n" +
                    run.out.substr(0, 2000) + run.err.substr(0, 3000));
}

/// Removes a folder the benchmark is done with (runs repeat; the disk should not fill up).
void discard(const fs::path& path) {
  std::error_code ignored;
  fs::remove_all(path, ignored);
}

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
                          int concurrency) {
  HostSetup setup{dir / (tag + ".json"), dir / (tag + "-data"), dir / (tag + "-archive")};
  if (target->optValue<std::string>("connector", "") == "filesystem")
    target->set("root", setup.archive.string());
  Poco::JSON::Object::Ptr root = new Poco::JSON::Object(true);
  root->set("dataDir", setup.dataDir.string());
  root->set("modules", std::string(DMS_MODULE_DIR));
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

MeasuredProcess::Env hostEnv() {
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
  // Each child's stdout/stderr stays after the run (small), next to the test, for a look when
  // a run is broken.
  const fs::path logs = fs::absolute("sync-bench-logs");
  discard(logs);  // no stale logs of an earlier run
  fs::create_directories(logs);

  SandboxProcess sandbox;
  SyncWorkload workload(sandbox, params);
  const auto& assets = workload.assets();
  const auto expected = workload.expectedDigests();
  const auto& orderIds = workload.orderIds();
  const auto files = assets.size();
  const auto bytes = workload.totalBytes();
  const int repeat = params.repeat;
  std::printf("data: %zu orders, %zu files, %.1f MB; each command runs %d time(s)\n",
              orderIds.size(), files, megabytes(bytes), repeat);
  std::fflush(stdout);

  BenchReport report;
  std::vector<std::string> notes;
  const std::string concurrency = std::to_string(params.concurrency);
  const auto curl = findInPath("curl");
  if (!curl)
    throw std::runtime_error("curl is not installed (apt-get install -y curl): no baseline");
  auto ratioTo = [](double baseline, const std::string& name) {
    return [baseline, name](double seconds) { return BenchReport::ratio(seconds, baseline, name); };
  };

  // --- A: curl fetches every order JSON and every file (the download baseline) -------------
  // The token comes from the token endpoint like the product's; one grant, outside the timing.
  const std::string token = sandbox.passwordToken();
  const fs::path curlDir = work.path() / "curl-download";
  auto curlDownloadOnce = [&](const std::string& label, const std::vector<std::string>& flags) {
    discard(curlDir);
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
    clearRequests(sandbox);
    return MeasuredProcess::run(args, {}, logs, label, kChildTimeout);
  };
  auto curlDownloadCheck = [&](const ProcessRun& run, const std::string& label) {
    requireExit(run, label);
    requireTree(curlDir / "assets", "", expected, label);
    for (auto id : orderIds)
      if (fs::file_size(curlDir / "orders" / (std::to_string(id) + ".json")) == 0)
        throw BrokenRun(label + ": order " + std::to_string(id) + " came back empty");
    requireDownloads(sandbox, files, label);
  };
  double baselineA = 0;
  bool curlOk = report.stage([&] {
    baselineA = report.measure(
        "A  curl download, --parallel-max " + concurrency, files, bytes, repeat,
        [&](int) {
          return curlDownloadOnce("curl-download", {"--parallel", "--parallel-max", concurrency});
        },
        [&](const ProcessRun& run, int) { curlDownloadCheck(run, "curl download (parallel)"); },
        [](double) { return std::string("1.00 x A (baseline)"); });
  });
  // Same files to the same paths: after either run, curlDir holds what the uploads send.
  curlOk = curlOk && report.stage([&] {
    report.measure(
        "   curl download, 1 connection", files, bytes, repeat,
        [&](int) { return curlDownloadOnce("curl-download-1", {}); },
        [&](const ProcessRun& run, int) { curlDownloadCheck(run, "curl download (1 connection)"); },
        ratioTo(baselineA, "A"));
  });

  // --- P1/P2: dms-host sync into a filesystem target -----------------------------------------
  std::optional<HostSetup> kept;  // the last P1 run's state and archive, for P2
  double productFs = 0;
  auto productFilesystem = [&](const std::string& name, bool fsync, bool keepLast) {
    std::vector<HostSetup> setups;
    const std::string tag = fsync ? "fs" : "fs-nofsync";
    return report.measure(
        name, files, bytes, repeat,
        [&](int i) {
          setups.push_back(writeHostConfig(work.path(), tag + std::to_string(i),
                                           filesystemTarget(fsync), sandbox.baseUrl(),
                                           params.concurrency));
          clearRequests(sandbox);
          return MeasuredProcess::run(syncArgs(setups.back().config, orderIds), hostEnv(), logs,
                                      tag + "-sync" + std::to_string(i), kChildTimeout);
        },
        [&](const ProcessRun& run, int i) {
          const std::string what = "dms-host sync (" + tag + ", run " + std::to_string(i + 1) + ")";
          const auto& setup = setups.back();
          requireExit(run, what);
          requireSummary(run, orderIds.size(), files, what);
          requireTree(setup.archive, ".dms-", expected, what);
          requireDownloads(sandbox, files, what);
          if (keepLast && i + 1 == repeat) {
            kept = setup;
          } else {
            discard(setup.archive);
            discard(setup.dataDir);
          }
        },
        ratioTo(baselineA, "A"));
  };
  const bool fsOk = report.stage(
      [&] { productFs = productFilesystem("P1 dms-host sync -> filesystem", true, true); });
  if (fsOk) {
    std::size_t orderGets = 0;
    report.stage([&] {
      report.measure(
          "P2 the same sync again (nothing new)", 0, 0, repeat,
          [&](int i) {
            clearRequests(sandbox);
            return MeasuredProcess::run(syncArgs(kept->config, orderIds), hostEnv(), logs,
                                        "sync-fs-again" + std::to_string(i), kChildTimeout);
          },
          [&](const ProcessRun& run, int i) {
            const std::string what = "second dms-host sync (run " + std::to_string(i + 1) + ")";
            requireExit(run, what);
            requireSummary(run, orderIds.size(), 0, what);
            requireDownloads(sandbox, 0, what);
            orderGets = countRequests(sandbox, "getOrder");
            if (i + 1 == repeat) requireTree(kept->archive, ".dms-", expected, what);
          },
          ratioTo(productFs, "P1"));
    });
    notes.push_back("P2: 0 downloads and " + std::to_string(orderGets) +
                    " order GET(s) per run (sandbox request log)");
    discard(kept->archive);
  }
  report.stage(
      [&] { productFilesystem("   dms-host sync -> filesystem, fsync off", false, false); });

  // --- B and P3: WebDAV (Apache mod_dav, Basic auth) ------------------------------------------
  if (!fs::exists("/usr/sbin/apache2")) {
    notes.push_back(
        "WebDAV runs skipped: /usr/sbin/apache2 is not installed (tests/run.sh installs it)");
  } else {
    dms::test::ApacheOptions options;
    options.auth = dms::test::ApacheAuth::Basic;
    options.user = kDavUser;
    options.password = kDavPassword;
    dms::test::ApacheServer apache(options);

    // B: curl -T, every file (as curl downloaded it in A) to its own name in one collection.
    double baselineB = 0;
    if (!curlOk) notes.push_back("upload baselines skipped: curl's download (A) is broken");
    if (curlOk)
      report.stage([&] {
        baselineB = report.measure(
            "B  curl -T upload, --parallel-max " + concurrency, files, bytes, repeat,
            [&](int i) {
              const std::string url = apache.createCollection("curl" + std::to_string(i));
              std::string config =
                  "user = " + curlQuoted(std::string(kDavUser) + ":" + kDavPassword) + "\n";
              for (const auto& a : assets)
                config +=
                    "upload-file = " + curlQuoted((curlDir / "assets" / (a.id + ".bin")).string()) +
                    "\nurl = " + curlQuoted(url + a.id + ".bin") + "\n";
              const fs::path configFile = work.path() / "curl-upload.curlrc";
              writeText(configFile, config);
              return MeasuredProcess::run({*curl, "-sS", "--fail", "-K", configFile.string(),
                                           "--parallel", "--parallel-max", concurrency},
                                          {}, logs, "curl-upload" + std::to_string(i),
                                          kChildTimeout);
            },
            [&](const ProcessRun& run, int i) {
              const fs::path root = apache.davRoot() / ("curl" + std::to_string(i));
              requireExit(run, "curl -T upload");
              requireTree(root, "", expected, "curl -T upload");
              discard(root);
            },
            [](double) { return std::string("1.00 x B (baseline)"); });
      });

    const auto rclone = findInPath("rclone");
    if (!rclone)
      notes.push_back("rclone row skipped: rclone is not installed (apt-get install -y rclone)");
    if (curlOk && rclone)
      report.stage([&] {
        // rclone wants its password obscured; a throwaway config file keeps any rclone
        // configuration of the user out of it.
        const auto obscured = MeasuredProcess::run({*rclone, "obscure", kDavPassword}, {}, logs,
                                                   "rclone-obscure", kChildTimeout);
        requireExit(obscured, "rclone obscure");
        std::string pass = obscured.out;
        while (!pass.empty() && (pass.back() == '\n' || pass.back() == '\r')) pass.pop_back();
        const fs::path rcloneConfig = work.path() / "rclone.conf";
        writeText(rcloneConfig, "");
        const std::string url = apache.createCollection("rclone");
        const MeasuredProcess::Env env = {
            {"RCLONE_CONFIG", rcloneConfig.string()}, {"RCLONE_CONFIG_BENCH_TYPE", "webdav"},
            {"RCLONE_CONFIG_BENCH_URL", url},         {"RCLONE_CONFIG_BENCH_VENDOR", "other"},
            {"RCLONE_CONFIG_BENCH_USER", kDavUser},   {"RCLONE_CONFIG_BENCH_PASS", pass}};
        // One run: rclone is an order of magnitude off, its noise does not matter.
        report.measure(
            "   rclone copy, --transfers " + concurrency, files, bytes, 1,
            [&](int) {
              return MeasuredProcess::run({*rclone, "copy", (curlDir / "assets").string(), "bench:",
                                           "--transfers", concurrency, "--checkers", concurrency},
                                          env, logs, "rclone-copy", kChildTimeout);
            },
            [&](const ProcessRun& run, int) {
              requireExit(run, "rclone copy");
              requireTree(apache.davRoot() / "rclone", "", expected, "rclone copy");
              discard(apache.davRoot() / "rclone");
            },
            ratioTo(baselineB, "B"));
      });

    // P3: the product, downloading from the sandbox and filing into the same Apache.
    report.stage([&] {
      report.measure(
          "P3 dms-host sync -> WebDAV", files, bytes, repeat,
          [&](int i) {
            Poco::JSON::Object::Ptr target = new Poco::JSON::Object(true);
            target->set("connector", "webdav");
            target->set("url", apache.createCollection("product" + std::to_string(i)));
            target->set("username", kDavUser);
            target->set("password", "${BENCH_DAV_PASSWORD}");
            target->set("concurrency", params.concurrency);
            const auto setup = writeHostConfig(work.path(), "webdav" + std::to_string(i), target,
                                               sandbox.baseUrl(), params.concurrency);
            clearRequests(sandbox);
            return MeasuredProcess::run(syncArgs(setup.config, orderIds), hostEnv(), logs,
                                        "sync-webdav" + std::to_string(i), kChildTimeout);
          },
          [&](const ProcessRun& run, int i) {
            const std::string what = "dms-host sync (webdav, run " + std::to_string(i + 1) + ")";
            const fs::path root = apache.davRoot() / ("product" + std::to_string(i));
            requireExit(run, what);
            requireSummary(run, orderIds.size(), files, what);
            requireTree(root, ".dms-", expected, what);
            requireDownloads(sandbox, files, what);
            discard(root);
          },
          [&](double seconds) {
            std::string text = BenchReport::ratio(seconds, baselineB, "B");
            if (baselineA > 0 && baselineB > 0)
              text += ", " + BenchReport::ratio(seconds, baselineA + baselineB, "(A+B)");
            return text;
          });
    });
  }

  report.print();
  std::printf(
      "\ntime ratio = median seconds of the row / median seconds of its baseline, both measured\n"
      "in this run (< 1: faster). A+B = curl downloading everything, then curl uploading it: the\n"
      "plain-tool pipeline that P3 replaces. CPU s and RSS MB are the child's own (wait4 rusage)\n"
      "for the median run. Every run is checked: exit 0, every file present with the sandbox's\n"
      "SHA-256, download count from the sandbox's request log.\n"
      "stdout/stderr of each child: %s\n",
      logs.c_str());
  for (const auto& note : notes) std::printf("%s\n", note.c_str());
  std::fflush(stdout);
  for (const auto& b : report.broken())
    std::fprintf(stderr, "sync_bench: BROKEN RUN: %s\n", b.c_str());
  return report.broken().empty() ? 0 : 1;
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
