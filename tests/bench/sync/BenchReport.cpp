#include "BenchReport.h"

#include <algorithm>
#include <cstdio>

namespace dms::bench {
namespace {

double megabytes(std::uint64_t bytes) {
  return static_cast<double>(bytes) / (1024.0 * 1024.0);
}

std::string fixed(double value, int decimals) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.*f", decimals, value);
  return buffer;
}

}  // namespace

double BenchReport::add(BenchRow row, std::vector<ProcessRun> runs) {
  std::sort(runs.begin(), runs.end(),
            [](const ProcessRun& a, const ProcessRun& b) { return a.seconds < b.seconds; });
  row.median = runs[(runs.size() - 1) / 2];
  row.minSeconds = runs.front().seconds;
  row.maxSeconds = runs.back().seconds;
  row.runs = runs.size();
  rows_.push_back(std::move(row));
  return rows_.back().median.seconds;
}

std::string BenchReport::ratio(double seconds, double baselineSeconds,
                               const std::string& baseline) {
  if (baselineSeconds <= 0) return "";
  return fixed(seconds / baselineSeconds, 2) + " x " + baseline;
}

void BenchReport::print() const {
  std::printf("\n%-42s %5s %7s %8s %13s %7s %6s %6s  %s\n", "run", "files", "MB", "median s",
              "range s", "MB/s", "CPU s", "RSS MB", "time ratio");
  std::printf("%s\n", std::string(124, '-').c_str());
  for (const auto& r : rows_) {
    const double mb = megabytes(r.bytes);
    const std::string range =
        r.runs > 1 ? fixed(r.minSeconds, 3) + "-" + fixed(r.maxSeconds, 3) : std::string("(1 run)");
    std::printf("%-42s %5zu %7.1f %8.3f %13s %7s %6.2f %6.1f  %s\n", r.name.c_str(), r.files, mb,
                r.median.seconds, range.c_str(),
                r.bytes > 0 ? fixed(mb / r.median.seconds, 1).c_str() : "-", r.median.cpuSeconds,
                static_cast<double>(r.median.peakRssKb) / 1024.0, r.ratio.c_str());
  }
}

}  // namespace dms::bench
