// Benchmark, issue 15 row 3: "one 2 GiB asset to the filesystem, vs curl to a file, both from a
// fast static server". A real Apache (sendfile on) serves one file of random bytes on loopback;
// the real sandbox's order lists it as an asset whose downloadUrl is that Apache URL (a foreign
// host, so the API client sends no bearer token there). In the same run, interleaved rounds:
//   baseline  curl -o <file> of the Apache URL (same disk as the product's target); also the
//             time of `sync <file>` after it (fsync: the durability the product promises and
//             curl does not), shown as a second baseline
//   product   dms-host sync --order <id> into a filesystem target, fresh data dir each time
//             (DMS_BENCH_BIGFILE_COMPARE_MODULES: also with another build's modules, alternating)
// Each run starts after an untimed sync(), so none pays for another's writeback.
// Prints each run's time, MiB/s, CPU and peak RSS (wait4 rusage of the child), the medians and
// the throughput ratio product/curl. Exit 1 only for a broken run: wrong bytes (the SHA-256 of
// the filed file against the source's), a failed child, or dms-host's peak RSS above 32 MiB (a
// memory bound is a correctness bound); never for being slow. See tests/bench/README.md.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <unistd.h>

#include <Poco/Crypto/DigestEngine.h>
#include <Poco/JSON/Object.h>

#include "support/ApacheServer.h"
#include "support/ChildProcess.h"
#include "support/FileDigest.h"
#include "support/SandboxProcess.h"
#include "support/TempDir.h"

namespace {

using dms::test::ChildProcess;
using dms::test::ChildResult;
using dms::test::SandboxProcess;
namespace fs = std::filesystem;

constexpr std::uint64_t kMiB = 1024 * 1024;
constexpr double kRssLimitMiB = 32.0;
constexpr std::chrono::seconds kChildTimeout{300};

struct BrokenRun : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// A positive integer from the environment, or `fallback` when the variable is unset.
std::uint64_t envNumber(const char* name, std::uint64_t fallback) {
  const char* text = std::getenv(name);
  if (text == nullptr || *text == '\0') return fallback;
  try {
    std::size_t used = 0;
    const auto value = std::stoull(text, &used);
    if (used == std::string(text).size() && value > 0) return value;
  } catch (const std::exception&) {
  }
  throw std::runtime_error(std::string(name) + "=" + text + ": expected a positive integer");
}

/// Writes `size` pseudo-random bytes (splitmix64, fixed seed: not compressible, so no layer can
/// cheat) to `file` in 1 MiB pieces and returns their SHA-256, the oracle for the filed file.
std::string writeRandomFile(const fs::path& file, std::uint64_t size) {
  std::ofstream out(file, std::ios::binary);
  Poco::Crypto::DigestEngine sha("SHA256");
  std::vector<std::uint64_t> block(kMiB / sizeof(std::uint64_t));
  std::uint64_t state = 0x15'0003;
  for (std::uint64_t written = 0; written < size;) {
    for (auto& word : block) {
      std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
      z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
      z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
      word = z ^ (z >> 31);
    }
    const auto piece = std::min<std::uint64_t>(kMiB, size - written);
    out.write(reinterpret_cast<const char*>(block.data()), static_cast<std::streamsize>(piece));
    sha.update(block.data(), piece);
    written += piece;
  }
  out.close();
  if (!out) throw std::runtime_error("cannot write " + file.string());
  return Poco::DigestEngine::digestToHex(sha.digest());
}

/// The dms-host configuration of one product run: a filesystem target (durable, the defaults)
/// at `archive`, state in `dataDir`, the modules from `modules`. Secrets are `${NAME}`
/// references filled from hostEnv().
fs::path writeHostConfig(const fs::path& file, const fs::path& dataDir, const fs::path& archive,
                         const std::string& apiBaseUrl, const std::string& modules) {
  Poco::JSON::Object::Ptr target = new Poco::JSON::Object(true);
  target->set("connector", "filesystem");
  target->set("root", archive.string());
  Poco::JSON::Object::Ptr ambita = new Poco::JSON::Object(true);
  ambita->set("baseUrl", apiBaseUrl);
  ambita->set("clientId", SandboxProcess::kClientId);
  ambita->set("clientSecret", "${BENCH_CLIENT_SECRET}");
  ambita->set("username", SandboxProcess::kUsername);
  ambita->set("password", "${BENCH_API_PASSWORD}");
  Poco::JSON::Object::Ptr root = new Poco::JSON::Object(true);
  root->set("dataDir", dataDir.string());
  root->set("modules", modules);
  root->set("target", target);
  root->set("ambita", ambita);
  std::ofstream out(file);
  root->stringify(out, 2);
  if (!out) throw std::runtime_error("cannot write " + file.string());
  return file;
}

ChildProcess::Env hostEnv() {
  return {{"BENCH_CLIENT_SECRET", SandboxProcess::kClientSecret},
          {"BENCH_API_PASSWORD", SandboxProcess::kPassword}};
}

void requireSuccess(const ChildResult& run, const std::string& what) {
  if (run.exitCode != 0)
    throw BrokenRun(what + " failed (exit " + std::to_string(run.exitCode) + ", signal " +
                    std::to_string(run.signal) + (run.timedOut ? ", timed out" : "") + "):\n" +
                    run.out.substr(0, 2000) + run.err.substr(0, 3000));
}

/// Before each measured run, untimed: writes back what is dirty (the run before it, another
/// process), so no run pays for another's writeback (as sync_bench does).
void settle() {
  ::sync();
}

void discard(const fs::path& path) {
  std::error_code ignored;
  fs::remove_all(path, ignored);
}

/// One measured run of either side.
struct Figure {
  double seconds = 0;
  double cpuSeconds = 0;
  double rssMiB = 0;
};

Figure figureOf(const ChildResult& run) {
  return {run.seconds, run.cpuSeconds, static_cast<double>(run.peakRssKb) / 1024.0};
}

/// A profiler to run dms-host under, from DMS_BENCH_BIGFILE_HOST_WRAPPER (words split at
/// spaces, e.g. "strace -f -c -o /tmp/host.strace"); empty by default.
std::vector<std::string> hostWrapper() {
  std::vector<std::string> words;
  const char* text = std::getenv("DMS_BENCH_BIGFILE_HOST_WRAPPER");
  std::istringstream in(text == nullptr ? "" : text);
  for (std::string word; in >> word;) words.push_back(word);
  return words;
}

/// DMS_BENCH_BIGFILE_COMPARE_MODULES: a folder of modules from another build (e.g. main's
/// build-rel/modules), run as a second dms-host row in every round; empty when unset.
std::string compareModules() {
  const char* text = std::getenv("DMS_BENCH_BIGFILE_COMPARE_MODULES");
  if (text == nullptr || *text == '\0') return {};
  if (!fs::is_directory(text))
    throw std::runtime_error(std::string("DMS_BENCH_BIGFILE_COMPARE_MODULES: '") + text +
                             "' is not a folder");
  return text;
}

/// The whole setup: the source file in Apache's folder, the sandbox order pointing at it.
class Workload {
 public:
  Workload(const fs::path& work, std::uint64_t size)
      : size_(size), apache_(apacheOptions()), work_(work) {
    const fs::path source = apache_.davRoot() / "stort-kart.zip";
    sha256_ = writeRandomFile(source, size_);
    fs::permissions(source, fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read |
                                fs::perms::others_read);
    url_ = apache_.davUrl() + source.filename().string();
    orderId_ = sandbox_.createDemoOrder("bigfile-bench");
    SandboxProcess::AssetSpec spec;
    spec.name = spec.filename = "Stort kart.zip";
    spec.size = size_;
    spec.downloadUrl = url_;
    sandbox_.addAsset(orderId_, spec);
  }

  /// curl -o <file> of the Apache URL; checks the byte count and the HTTP status. Then
  /// `sync <file>` (fsync of that file), measured apart: `synced` gets curl's time plus it.
  Figure curl(int round, Figure& synced) const {
    const fs::path out = work_ / ("curl-" + std::to_string(round) + ".bin");
    settle();
    const auto run = ChildProcess::run(
        {"curl", "-sS", "--fail", "-o", out.string(), "-w", "%{size_download} %{http_code}", url_},
        {}, {}, kChildTimeout);
    requireSuccess(run, "curl (round " + std::to_string(round) + ")");
    const std::string expected = std::to_string(size_) + " 200";
    std::error_code ec;
    if (run.out != expected || fs::file_size(out, ec) != size_)
      throw BrokenRun("curl (round " + std::to_string(round) + ") wrote \"" + run.out +
                      "\", expected \"" + expected + "\"");
    const auto sync = ChildProcess::run({"sync", out.string()}, {}, {}, kChildTimeout);
    requireSuccess(sync, "sync of curl's file (round " + std::to_string(round) + ")");
    discard(out);
    const auto figure = figureOf(run);
    synced = figure;
    synced.seconds += sync.seconds;
    synced.cpuSeconds += sync.cpuSeconds;
    return figure;
  }

  /// dms-host sync of the order, with the modules in `modules`, into a fresh archive and data
  /// dir; checks the summary line, that the archive holds exactly the source's bytes, and the
  /// peak RSS bound. `label` names the run in messages.
  Figure product(int round, const std::string& modules, const std::string& label) const {
    const std::string tag = label + "-" + std::to_string(round);
    const fs::path archive = work_ / (tag + "-archive");
    const fs::path dataDir = work_ / (tag + "-data");
    const auto config =
        writeHostConfig(work_ / (tag + ".json"), dataDir, archive, sandbox_.baseUrl(), modules);
    auto argv = hostWrapper();
    for (const std::string& arg :
         {std::string(DMS_BUILD_DIR "/samples/dms-host"), std::string("--config"), config.string(),
          std::string("sync"), std::string("--order"), std::to_string(orderId_)})
      argv.push_back(arg);
    settle();
    const auto run = ChildProcess::run(argv, hostEnv(), {}, kChildTimeout);
    const std::string what = label + " sync (round " + std::to_string(round) + ")";
    requireSuccess(run, what);
    if (run.out.find("sync: 1 order(s), 1 filed") == std::string::npos)
      throw BrokenRun(what + ": expected \"sync: 1 order(s), 1 filed\", got:\n" +
                      run.out.substr(0, 2000) + run.err.substr(0, 2000));
    const auto difference = dms::test::FileDigest::compare(
        {{sha256_, 1}}, dms::test::FileDigest::tree(archive, ".dms-"));
    if (!difference.empty()) throw BrokenRun(what + ": the archive is wrong: " + difference);
    const auto figure = figureOf(run);
    if (figure.rssMiB > kRssLimitMiB)
      throw BrokenRun(what + ": peak RSS " + std::to_string(figure.rssMiB) + " MiB exceeds " +
                      std::to_string(kRssLimitMiB) + " MiB");
    discard(archive);
    discard(dataDir);
    return figure;
  }

  std::uint64_t size() const { return size_; }

 private:
  static dms::test::ApacheOptions apacheOptions() {
    dms::test::ApacheOptions options;
    options.sendfile = true;
    return options;
  }

  std::uint64_t size_;
  dms::test::ApacheServer apache_;
  SandboxProcess sandbox_;
  fs::path work_;
  std::string sha256_;
  std::string url_;
  std::int64_t orderId_ = 0;
};

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  const auto n = values.size();
  return n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

/// The table: one line per side with the median run (time, MiB/s, CPU, peak RSS), the range of
/// times, and the throughput ratio to curl; with compare modules, also their row and the
/// per-round time ratio of the two builds (each round's pair ran back to back, same load).
void printSummary(const std::vector<Figure>& curl, const std::vector<Figure>& curlSynced,
                  const std::vector<Figure>& host, const std::vector<Figure>& compare,
                  std::uint64_t size) {
  const auto column = [](const std::vector<Figure>& runs, double Figure::*field) {
    std::vector<double> values;
    for (const auto& f : runs) values.push_back(f.*field);
    return values;
  };
  const double mib = static_cast<double>(size) / static_cast<double>(kMiB);
  const double curlSeconds = median(column(curl, &Figure::seconds));
  const double syncedSeconds = median(column(curlSynced, &Figure::seconds));
  std::printf("%-44s %9s %15s %9s %7s %8s %s\n", "run", "median s", "range s", "MiB/s", "CPU s",
              "RSS MiB", "throughput ratio");
  std::vector<std::pair<const char*, const std::vector<Figure>*>> rows = {
      {"curl -o file (baseline)", &curl},
      {"curl -o file, then sync file", &curlSynced},
      {"dms-host sync -> filesystem", &host}};
  if (!compare.empty()) rows.emplace_back("dms-host, DMS_BENCH_BIGFILE_COMPARE_MODULES", &compare);
  for (const auto& [name, runs] : rows) {
    const auto times = column(*runs, &Figure::seconds);
    const double seconds = median(times);
    std::printf("%-44s %9.3f %7.3f-%-7.3f %9.1f %7.2f %8.1f %.2f x curl, %.2f x curl+sync\n", name,
                seconds, *std::min_element(times.begin(), times.end()),
                *std::max_element(times.begin(), times.end()), mib / seconds,
                median(column(*runs, &Figure::cpuSeconds)), median(column(*runs, &Figure::rssMiB)),
                curlSeconds / seconds, syncedSeconds / seconds);
  }
  if (compare.empty()) return;
  std::vector<double> speedups;
  for (std::size_t i = 0; i < host.size(); ++i)
    speedups.push_back(compare[i].seconds / host[i].seconds);
  std::printf(
      "this build against the compare modules, per round (compare s / this s): median "
      "%.2f x (%.2f-%.2f)\n",
      median(speedups), *std::min_element(speedups.begin(), speedups.end()),
      *std::max_element(speedups.begin(), speedups.end()));
}

int runBenchmark() {
  const std::uint64_t size = envNumber("DMS_BENCH_BIGFILE_MIB", 256) * kMiB;
  const int rounds = static_cast<int>(envNumber("DMS_BENCH_BIGFILE_ROUNDS", 3));
  dms::test::TempDir work("dms-bigfile-bench");
  // The source (in Apache's folder, same temp filesystem), curl's copy and the product's spool
  // and target exist at once: refuse clearly instead of filling the disk.
  const auto available = fs::space(work.path()).available;
  if (available < 4 * size + 256 * kMiB)
    throw BrokenRun("not enough disk under " + work.path().parent_path().string() + ": " +
                    std::to_string(available / kMiB) + " MiB free, " +
                    std::to_string(4 * size / kMiB + 256) + " MiB needed");
  std::printf(
      "bigfile_bench (issue 15 row 3): one %llu MiB asset to the filesystem vs curl to a file, "
      "both from Apache (sendfile) on 127.0.0.1; %d rounds, interleaved (figures, not "
      "pass/fail; the ratio is dms-host MiB/s / curl MiB/s)\n",
      static_cast<unsigned long long>(size / kMiB), rounds);
  const std::string compareWith = compareModules();
  if (!compareWith.empty())
    std::printf(
        "DMS_BENCH_BIGFILE_COMPARE_MODULES=%s: run beside this build's in every round, "
        "after it in odd rounds and before it in even ones\n",
        compareWith.c_str());
  std::fflush(stdout);
  Workload workload(work.path(), size);
  std::vector<Figure> curl, curlSynced, host, compare;
  const auto runCompare = [&](int round) {
    compare.push_back(workload.product(round, compareWith, "compare"));
    std::printf("  round %d: dms-host with the compare modules %.3f s (RSS %.1f MiB)\n", round,
                compare.back().seconds, compare.back().rssMiB);
  };
  for (int round = 1; round <= rounds; ++round) {
    curl.push_back(workload.curl(round, curlSynced.emplace_back()));
    if (!compareWith.empty() && round % 2 == 0) runCompare(round);
    host.push_back(workload.product(round, DMS_MODULE_DIR, "dms-host"));
    std::printf(
        "  round %d: curl %.3f s (+ sync %.3f s, RSS %.1f MiB), dms-host %.3f s (RSS %.1f MiB)\n",
        round, curl.back().seconds, curlSynced.back().seconds - curl.back().seconds,
        curl.back().rssMiB, host.back().seconds, host.back().rssMiB);
    if (!compareWith.empty() && round % 2 == 1) runCompare(round);
    std::fflush(stdout);
  }
  printSummary(curl, curlSynced, host, compare, size);
  std::printf("dms-host peak RSS limit %.0f MiB: ok; SHA-256 of every filed file: ok\n",
              kRssLimitMiB);
  return 0;
}

}  // namespace

int main() {
  try {
    return runBenchmark();
  } catch (const BrokenRun& e) {
    std::printf("BROKEN: %s\n", e.what());
  } catch (const std::exception& e) {
    std::printf("benchmark setup failed: %s\n", e.what());
  }
  return 1;
}
