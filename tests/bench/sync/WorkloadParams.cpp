#include "WorkloadParams.h"

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>

namespace dms::bench {

int readEnvInt(const char* name, int fallback, int low, int high) {
  const char* raw = std::getenv(name);
  if (raw == nullptr || *raw == '\0') return fallback;
  const std::string text(raw);
  std::size_t used = 0;
  long value = 0;
  try {
    value = std::stol(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != text.size() || value < low || value > high)
    throw std::invalid_argument(std::string(name) + ": expected a whole number between " +
                                std::to_string(low) + " and " + std::to_string(high) + ", got '" +
                                text + "'");
  return static_cast<int>(value);
}

namespace {

void requireOrdered(const char* minName, int min, const char* maxName, int max) {
  if (min > max)
    throw std::invalid_argument(std::string(minName) + " (" + std::to_string(min) +
                                ") is larger than " + maxName + " (" + std::to_string(max) + ")");
}

}  // namespace

WorkloadParams WorkloadParams::fromEnvironment() {
  WorkloadParams p;
  p.orders = readEnvInt("DMS_BENCH_SYNC_ORDERS", p.orders, 1, 100);
  p.files = readEnvInt("DMS_BENCH_SYNC_FILES", p.files, 0, 100000);
  p.minKb = readEnvInt("DMS_BENCH_SYNC_MIN_KB", p.minKb, 1, 4 * 1024 * 1024);
  p.maxKb = readEnvInt("DMS_BENCH_SYNC_MAX_KB", p.maxKb, 1, 4 * 1024 * 1024);
  p.bigFiles = readEnvInt("DMS_BENCH_SYNC_BIG_FILES", p.bigFiles, 0, 1000);
  p.bigMinMb = readEnvInt("DMS_BENCH_SYNC_BIG_MIN_MB", p.bigMinMb, 1, 64 * 1024);
  p.bigMaxMb = readEnvInt("DMS_BENCH_SYNC_BIG_MAX_MB", p.bigMaxMb, 1, 64 * 1024);
  p.concurrency = readEnvInt("DMS_BENCH_SYNC_CONCURRENCY", p.concurrency, 1, 64);
  p.seed = static_cast<unsigned>(
      readEnvInt("DMS_BENCH_SYNC_SEED", static_cast<int>(p.seed), 0, 1 << 30));
  p.repeat = readEnvInt("DMS_BENCH_SYNC_REPEAT", p.repeat, 1, 20);
  p.scriptedMinKb = readEnvInt("DMS_BENCH_SYNC_SCRIPTED_MIN_KB", p.scriptedMinKb, 0, 1024 * 1024);
  p.scriptedMaxKb = readEnvInt("DMS_BENCH_SYNC_SCRIPTED_MAX_KB", p.scriptedMaxKb, 0, 1024 * 1024);
  p.webdav = readEnvInt("DMS_BENCH_SYNC_WEBDAV", p.webdav ? 1 : 0, 0, 1) == 1;
  if (const char* dir = std::getenv("DMS_BENCH_SYNC_COMPARE_MODULES"); dir != nullptr && *dir) {
    p.compareModules = dir;
    if (!std::filesystem::is_directory(p.compareModules))
      throw std::invalid_argument("DMS_BENCH_SYNC_COMPARE_MODULES: '" + p.compareModules +
                                  "' is not a folder");
  }
  p.compareFilingConcurrency =
      readEnvInt("DMS_BENCH_SYNC_COMPARE_FILING_CONCURRENCY", p.concurrency, 1, 64);
  p.sideRows = readEnvInt("DMS_BENCH_SYNC_SIDE_ROWS", p.sideRows ? 1 : 0, 0, 1) == 1;
  requireOrdered("DMS_BENCH_SYNC_SCRIPTED_MIN_KB", p.scriptedMinKb,
                 "DMS_BENCH_SYNC_SCRIPTED_MAX_KB", p.scriptedMaxKb);
  if ((p.scriptedMinKb == 0) != (p.scriptedMaxKb == 0))
    throw std::invalid_argument(
        "DMS_BENCH_SYNC_SCRIPTED_MIN_KB and DMS_BENCH_SYNC_SCRIPTED_MAX_KB: set both (or neither)");
  requireOrdered("DMS_BENCH_SYNC_MIN_KB", p.minKb, "DMS_BENCH_SYNC_MAX_KB", p.maxKb);
  requireOrdered("DMS_BENCH_SYNC_BIG_MIN_MB", p.bigMinMb, "DMS_BENCH_SYNC_BIG_MAX_MB", p.bigMaxMb);
  return p;
}

std::vector<std::string> WorkloadParams::sandboxArgs() const {
  if (scriptedMinKb == 0) return {};
  return {"--asset-size", std::to_string(std::uint64_t(scriptedMinKb) << 10) + "-" +
                              std::to_string(std::uint64_t(scriptedMaxKb) << 10)};
}

std::string WorkloadParams::describe() const {
  return "DMS_BENCH_SYNC_ORDERS=" + std::to_string(orders) +
         " DMS_BENCH_SYNC_FILES=" + std::to_string(files) +
         " DMS_BENCH_SYNC_MIN_KB=" + std::to_string(minKb) +
         " DMS_BENCH_SYNC_MAX_KB=" + std::to_string(maxKb) +
         "\nDMS_BENCH_SYNC_BIG_FILES=" + std::to_string(bigFiles) +
         " DMS_BENCH_SYNC_BIG_MIN_MB=" + std::to_string(bigMinMb) +
         " DMS_BENCH_SYNC_BIG_MAX_MB=" + std::to_string(bigMaxMb) +
         " DMS_BENCH_SYNC_CONCURRENCY=" + std::to_string(concurrency) +
         " DMS_BENCH_SYNC_SEED=" + std::to_string(seed) +
         " DMS_BENCH_SYNC_REPEAT=" + std::to_string(repeat) +
         "\nDMS_BENCH_SYNC_SCRIPTED_MIN_KB=" + std::to_string(scriptedMinKb) +
         " DMS_BENCH_SYNC_SCRIPTED_MAX_KB=" + std::to_string(scriptedMaxKb) +
         " DMS_BENCH_SYNC_WEBDAV=" + std::to_string(webdav ? 1 : 0) +
         " DMS_BENCH_SYNC_SIDE_ROWS=" + std::to_string(sideRows ? 1 : 0) +
         (compareModules.empty() ? ""
                                 : "\nDMS_BENCH_SYNC_COMPARE_MODULES=" + compareModules +
                                       " DMS_BENCH_SYNC_COMPARE_FILING_CONCURRENCY=" +
                                       std::to_string(compareFilingConcurrency));
}

}  // namespace dms::bench
