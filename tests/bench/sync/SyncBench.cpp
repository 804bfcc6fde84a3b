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

#include "FileDigest.h"
#include "MeasuredProcess.h"
#include "SyncWorkload.h"
#include "WorkloadParams.h"
#include "support/ApacheServer.h"
#include "support/SandboxProcess.h"
#include "support/TempDir.h"

namespace {

using dms::bench::FileDigest;
using dms::bench::MeasuredProcess;
using dms::bench::ProcessRun;
using dms::bench::SyncWorkload;
using dms::bench::WorkloadParams;
namespace fs = std::filesystem;

constexpr std::chrono::seconds kChildTimeout{180};
constexpr const char* kDavUser = "dms";
constexpr const char* kDavPassword = "bench-dav-pw-5tQ";

/// A run that did the wrong thing (not a slow one).
struct BrokenRun : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct Row {
  std::string name;
  std::size_t files = 0;
  std::uint64_t bytes = 0;
  ProcessRun run;
  std::string ratio;  ///< vs its baseline, already formatted
};

double megabytes(std::uint64_t bytes) {
  return static_cast<double>(bytes) / (1024.0 * 1024.0);
}

std::string fixed(double value, int decimals = 2) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.*f", decimals, value);
  return buffer;
}

std::string ratioText(double seconds, double baselineSeconds, const std::string& baseline) {
  if (baselineSeconds <= 0) return "";
  return fixed(seconds / baselineSeconds) + " x " + baseline;
}

void writeText(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
  if (!out) throw std::runtime_error("cannot write " + path.string());
}

/// Text for a curl config file (-K): a quoted value.
std::string curlQuoted(const std::string& value) {
  std::string q = "\"";
  for (char c : value) {
    if (c == '"' || c == '\\') q += '\\';
    q += c;
  }
  return q + "\"";
}

std::optional<std::string> findInPath(const std::string& program) {
  const char* path = std::getenv("PATH");
  std::string dirs = path ? path : "/usr/bin:/bin";
  std::size_t start = 0;
  while (start <= dirs.size()) {
    const auto end = dirs.find(':', start);
    const auto dir = dirs.substr(start, end == std::string::npos ? std::string::npos : end - start);
    const fs::path candidate = fs::path(dir.empty() ? "." : dir) / program;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate.string();
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return std::nullopt;
}

std::size_t countRequests(const dms::test::SandboxProcess& sandbox, const std::string& endpoint) {
  auto log = sandbox.requests();
  std::size_t n = 0;
  for (std::size_t i = 0; log && i < log->size(); ++i) {
    auto entry = log->getObject(static_cast<unsigned>(i));
    if (entry && entry->optValue<std::string>("endpoint", "") == endpoint) ++n;
  }
  return n;
}

void clearRequests(const dms::test::SandboxProcess& sandbox) {
  sandbox.control("DELETE", "/_sandbox/requests");
}

void requireExit(const ProcessRun& run, const std::string& what) {
  if (run.exitCode == 0) return;
  throw BrokenRun(what + (run.timedOut ? " timed out" : " failed") + " (exit " +
                  std::to_string(run.exitCode) + "):\n" + run.out.substr(0, 2000) +
                  run.err.substr(0, 2000));
}

void requireTree(const fs::path& root, const std::string& skipPrefix,
                 const std::map<std::string, int>& expected, const std::string& what) {
  const auto difference = FileDigest::compare(expected, FileDigest::tree(root, skipPrefix));
  if (!difference.empty()) throw BrokenRun(what + ": " + difference + " under " + root.string());
}

/// The dms-host configuration for one product run. Secrets are `${NAME}` references filled from
/// the child's environment (hostEnv()), as the README asks.
void writeHostConfig(const fs::path& file, const fs::path& dataDir, Poco::JSON::Object::Ptr target,
                     const std::string& baseUrl, int concurrency) {
  Poco::JSON::Object::Ptr root = new Poco::JSON::Object(true);
  root->set("dataDir", dataDir.string());
  root->set("modules", std::string(DMS_MODULE_DIR));
  root->set("target", target);
  Poco::JSON::Object::Ptr ambita = new Poco::JSON::Object(true);
  ambita->set("baseUrl", baseUrl);
  ambita->set("clientId", dms::test::SandboxProcess::kClientId);
  ambita->set("clientSecret", "${BENCH_CLIENT_SECRET}");
  ambita->set("username", dms::test::SandboxProcess::kUsername);
  ambita->set("password", "${BENCH_API_PASSWORD}");
  Poco::JSON::Object::Ptr filing = new Poco::JSON::Object(true);
  filing->set("concurrency", concurrency);
  ambita->set("filing", filing);
  root->set("ambita", ambita);
  std::ofstream out(file);
  root->stringify(out, 2);
  if (!out) throw std::runtime_error("cannot write " + file.string());
}

MeasuredProcess::Env hostEnv() {
  return {{"BENCH_CLIENT_SECRET", dms::test::SandboxProcess::kClientSecret},
          {"BENCH_API_PASSWORD", dms::test::SandboxProcess::kPassword},
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

/// dms-host's summary line must say every order was synced and every file filed.
void requireSummary(const ProcessRun& run, std::size_t orders, std::size_t filed,
                    const std::string& what) {
  const std::string expected =
      "sync: " + std::to_string(orders) + " order(s), " + std::to_string(filed) + " filed";
  if (run.out.find(expected) == std::string::npos)
    throw BrokenRun(what + ": expected \"" + expected + "\" in its output, got:\n" +
                    run.out.substr(0, 2000) + run.err.substr(0, 2000));
}

void printTable(const std::vector<Row>& rows) {
  std::printf("\n%-44s %5s %8s %8s %8s %7s %8s  %s\n", "run", "files", "MB", "seconds", "MB/s",
              "CPU s", "RSS MB", "time ratio");
  std::printf("%s\n", std::string(118, '-').c_str());
  for (const auto& r : rows) {
    const double mb = megabytes(r.bytes);
    std::printf("%-44s %5zu %8.1f %8.3f %8s %7.2f %8.1f  %s\n", r.name.c_str(), r.files, mb,
                r.run.seconds, r.bytes > 0 ? fixed(mb / r.run.seconds, 1).c_str() : "-",
                r.run.cpuSeconds, static_cast<double>(r.run.peakRssKb) / 1024.0, r.ratio.c_str());
  }
}

int runBenchmark() {
  const auto params = WorkloadParams::fromEnvironment();
  std::printf("sync_bench: dms-host vs curl/rclone on loopback (figures, not pass/fail)\n%s\n",
              params.describe().c_str());
  dms::test::TempDir work("dms-sync-bench");
  // Each child's stdout/stderr stays after the run (small), next to the test, for a look when
  // a run is broken.
  const fs::path logs = fs::absolute("sync-bench-logs");
  fs::create_directories(logs);

  dms::test::SandboxProcess sandbox;
  SyncWorkload workload(sandbox, params);
  const auto& assets = workload.assets();
  const auto expected = workload.expectedDigests();
  const auto& orderIds = workload.orderIds();
  std::printf("data: %zu orders, %zu files, %.1f MB (sandbox %s)\n", orderIds.size(), assets.size(),
              megabytes(workload.totalBytes()), sandbox.baseUrl().c_str());
  std::fflush(stdout);

  std::vector<Row> rows;
  const std::string concurrency = std::to_string(params.concurrency);

  // --- A: curl fetches every order JSON and every file (the download baseline) -------------
  const auto curl = findInPath("curl");
  if (!curl) throw BrokenRun("curl is not installed (apt-get install -y curl): no baseline");
  const std::string token = sandbox.passwordToken();
  const fs::path curlDir = work.path() / "curl-download";
  auto curlDownload = [&](const std::string& label, const std::vector<std::string>& flags) {
    fs::remove_all(curlDir);
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
    auto run = MeasuredProcess::run(args, {}, logs, label, kChildTimeout);
    requireExit(run, label);
    requireTree(curlDir / "assets", "", expected, label);
    for (auto id : orderIds)
      if (fs::file_size(curlDir / "orders" / (std::to_string(id) + ".json")) == 0)
        throw BrokenRun(label + ": order " + std::to_string(id) + " came back empty");
    if (countRequests(sandbox, "download") != assets.size())
      throw BrokenRun(label + ": the sandbox served " +
                      std::to_string(countRequests(sandbox, "download")) + " downloads, not " +
                      std::to_string(assets.size()));
    return run;
  };
  auto curlSequential = curlDownload("curl-download-1", {});
  auto curlParallel = curlDownload("curl-download", {"--parallel", "--parallel-max", concurrency});
  const double baselineA = curlParallel.seconds;
  rows.push_back({"A  curl download, --parallel-max " + concurrency, assets.size(),
                  workload.totalBytes(), curlParallel, "1.00 x A (baseline)"});
  rows.push_back({"   curl download, 1 connection", assets.size(), workload.totalBytes(),
                  curlSequential, ratioText(curlSequential.seconds, baselineA, "A")});

  // --- P1/P2: dms-host sync into a filesystem target -----------------------------------------
  {
    const fs::path archive = work.path() / "fs-archive";
    const fs::path config = work.path() / "fs.json";
    Poco::JSON::Object::Ptr target = new Poco::JSON::Object(true);
    target->set("connector", "filesystem");
    target->set("root", archive.string());
    target->set("fsync", params.fsync);
    writeHostConfig(config, work.path() / "fs-data", target, sandbox.baseUrl(), params.concurrency);

    clearRequests(sandbox);
    auto first =
        MeasuredProcess::run(syncArgs(config, orderIds), hostEnv(), logs, "sync-fs", kChildTimeout);
    requireExit(first, "dms-host sync (filesystem)");
    requireSummary(first, orderIds.size(), assets.size(), "dms-host sync (filesystem)");
    requireTree(archive, ".dms-", expected, "dms-host sync (filesystem)");
    const auto downloads = countRequests(sandbox, "download");
    if (downloads != assets.size())
      throw BrokenRun("dms-host sync (filesystem): " + std::to_string(downloads) +
                      " downloads for " + std::to_string(assets.size()) + " files");
    rows.push_back(
        {"P1 dms-host sync -> filesystem" + std::string(params.fsync ? "" : " (no fsync)"),
         assets.size(), workload.totalBytes(), first, ratioText(first.seconds, baselineA, "A")});

    clearRequests(sandbox);
    auto second = MeasuredProcess::run(syncArgs(config, orderIds), hostEnv(), logs, "sync-fs-again",
                                       kChildTimeout);
    requireExit(second, "second dms-host sync (filesystem)");
    requireSummary(second, orderIds.size(), 0, "second dms-host sync (filesystem)");
    const auto again = countRequests(sandbox, "download");
    const auto orderGets = countRequests(sandbox, "getOrder");
    if (again != 0)
      throw BrokenRun("second dms-host sync downloaded " + std::to_string(again) +
                      " file(s); expected none");
    requireTree(archive, ".dms-", expected, "second dms-host sync (filesystem)");
    rows.push_back({"P2 dms-host sync again (0 downloads, " + std::to_string(orderGets) + " GETs)",
                    0, 0, second, ratioText(second.seconds, first.seconds, "P1")});
    fs::remove_all(archive);
  }

  // --- B and P3: WebDAV (Apache mod_dav, Basic auth) ------------------------------------------
  std::string webdavNote;
  if (!fs::exists("/usr/sbin/apache2")) {
    webdavNote =
        "WebDAV runs skipped: /usr/sbin/apache2 is not installed (tests/run.sh installs it)";
  } else {
    dms::test::ApacheOptions options;
    options.auth = dms::test::ApacheAuth::Basic;
    options.user = kDavUser;
    options.password = kDavPassword;
    dms::test::ApacheServer apache(options);

    // B: curl -T, every file to its own name in one collection.
    const std::string curlUrl = apache.createCollection("curl");
    std::string config = "user = " + curlQuoted(std::string(kDavUser) + ":" + kDavPassword) + "\n";
    for (const auto& a : assets)
      config += "upload-file = " + curlQuoted((curlDir / "assets" / (a.id + ".bin")).string()) +
                "\nurl = " + curlQuoted(curlUrl + a.id + ".bin") + "\n";
    const fs::path uploadConfig = work.path() / "curl-upload.curlrc";
    writeText(uploadConfig, config);
    auto upload = MeasuredProcess::run({*curl, "-sS", "--fail", "-K", uploadConfig.string(),
                                        "--parallel", "--parallel-max", concurrency},
                                       {}, logs, "curl-upload", kChildTimeout);
    requireExit(upload, "curl -T upload");
    requireTree(apache.davRoot() / "curl", "", expected, "curl -T upload");
    const double baselineB = upload.seconds;
    rows.push_back({"B  curl -T upload, --parallel-max " + concurrency, assets.size(),
                    workload.totalBytes(), upload, "1.00 x B (baseline)"});

    if (const auto rclone = findInPath("rclone")) {
      const std::string rcloneUrl = apache.createCollection("rclone");
      auto obscured = MeasuredProcess::run({*rclone, "obscure", kDavPassword}, {}, logs,
                                           "rclone-obscure", kChildTimeout);
      requireExit(obscured, "rclone obscure");
      std::string pass = obscured.out;
      while (!pass.empty() && (pass.back() == '\n' || pass.back() == '\r')) pass.pop_back();
      const fs::path rcloneConfig = work.path() / "rclone.conf";
      writeText(rcloneConfig, "");
      const MeasuredProcess::Env env = {
          {"RCLONE_CONFIG", rcloneConfig.string()}, {"RCLONE_CONFIG_BENCH_TYPE", "webdav"},
          {"RCLONE_CONFIG_BENCH_URL", rcloneUrl},   {"RCLONE_CONFIG_BENCH_VENDOR", "other"},
          {"RCLONE_CONFIG_BENCH_USER", kDavUser},   {"RCLONE_CONFIG_BENCH_PASS", pass}};
      auto copy =
          MeasuredProcess::run({*rclone, "copy", (curlDir / "assets").string(),
                                "bench:", "--transfers", concurrency, "--checkers", concurrency},
                               env, logs, "rclone-copy", kChildTimeout);
      requireExit(copy, "rclone copy");
      requireTree(apache.davRoot() / "rclone", "", expected, "rclone copy");
      rows.push_back({"   rclone copy, --transfers " + concurrency, assets.size(),
                      workload.totalBytes(), copy, ratioText(copy.seconds, baselineB, "B")});
    } else {
      webdavNote = "rclone row skipped: rclone is not installed (apt-get install -y rclone)";
    }

    // P3: the product, downloading from the sandbox and filing into the same Apache.
    const std::string productUrl = apache.createCollection("product");
    const fs::path davConfig = work.path() / "webdav.json";
    Poco::JSON::Object::Ptr target = new Poco::JSON::Object(true);
    target->set("connector", "webdav");
    target->set("url", productUrl);
    target->set("username", kDavUser);
    target->set("password", "${BENCH_DAV_PASSWORD}");
    target->set("concurrency", params.concurrency);
    writeHostConfig(davConfig, work.path() / "webdav-data", target, sandbox.baseUrl(),
                    params.concurrency);
    clearRequests(sandbox);
    auto product = MeasuredProcess::run(syncArgs(davConfig, orderIds), hostEnv(), logs,
                                        "sync-webdav", kChildTimeout);
    requireExit(product, "dms-host sync (webdav)");
    requireSummary(product, orderIds.size(), assets.size(), "dms-host sync (webdav)");
    requireTree(apache.davRoot() / "product", ".dms-", expected, "dms-host sync (webdav)");
    rows.push_back({"P3 dms-host sync -> WebDAV (download+upload)", assets.size(),
                    workload.totalBytes(), product,
                    ratioText(product.seconds, baselineB, "B") + ", " +
                        ratioText(product.seconds, baselineA + baselineB, "(A+B)")});
  }

  printTable(rows);
  std::printf(
      "\ntime ratio = seconds of the row / seconds of its baseline measured above (< 1: faster).\n"
      "A+B = curl downloading everything, then curl uploading it: the plain-tool pipeline that\n"
      "P3 replaces. Peak RSS and CPU are the child's own (wait4 rusage). Every row was checked:\n"
      "exit 0, every file present with the sandbox's SHA-256, download count from the sandbox's\n"
      "request log. stdout/stderr of each child: %s\n",
      logs.c_str());
  if (!webdavNote.empty()) std::printf("%s\n", webdavNote.c_str());
  return 0;
}

}  // namespace

int main() {
  try {
    return runBenchmark();
  } catch (const BrokenRun& e) {
    std::fprintf(stderr, "sync_bench: BROKEN RUN: %s\n", e.what());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "sync_bench: %s\n", e.what());
  }
  return 1;
}
