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

BenchReport::RowId BenchReport::addRow(std::string name, std::size_t files, std::uint64_t bytes) {
  Row row;
  row.name = std::move(name);
  row.files = files;
  row.bytes = bytes;
  rows_.push_back(std::move(row));
  return rows_.size() - 1;
}

const test::ChildResult& BenchReport::medianRun(const Row& row) {
  std::vector<const test::ChildResult*> sorted;
  for (const auto& r : row.runs) sorted.push_back(&r);
  std::sort(sorted.begin(), sorted.end(),
            [](const test::ChildResult* a, const test::ChildResult* b) {
              return a->seconds < b->seconds;
            });
  return *sorted[(sorted.size() - 1) / 2];
}

double BenchReport::medianSeconds(RowId id) const {
  const auto& row = rows_[id];
  if (row.runs.empty() || !row.broken.empty()) return 0;
  return medianRun(row).seconds;
}

std::string BenchReport::ratio(double seconds, double baselineSeconds,
                               const std::string& baseline) {
  if (seconds <= 0 || baselineSeconds <= 0) return "";
  return fixed(seconds / baselineSeconds, 2) + " x " + baseline;
}

std::vector<std::string> BenchReport::broken() const {
  std::vector<std::string> reasons;
  for (const auto& row : rows_)
    if (!row.broken.empty()) reasons.push_back(row.broken);
  return reasons;
}

std::string BenchReport::table() const {
  std::string text;
  char line[512];
  std::snprintf(line, sizeof line, "%-42s %5s %7s %8s %13s %7s %6s %6s  %s\n", "run", "files", "MB",
                "median s", "range s", "MB/s", "CPU s", "RSS MB", "time ratio");
  text += line + std::string(124, '-') + "\n";
  for (const auto& row : rows_) {
    const std::string ratio = row.broken.empty() ? row.ratio : "BROKEN (see below)";
    if (row.runs.empty()) {
      std::snprintf(line, sizeof line, "%-42s %5zu %7.1f %8s %13s %7s %6s %6s  %s\n",
                    row.name.c_str(), row.files, megabytes(row.bytes), "-", "(no run)", "-", "-",
                    "-", ratio.c_str());
      text += line;
      continue;
    }
    const auto& median = medianRun(row);
    double low = median.seconds, high = median.seconds;
    for (const auto& r : row.runs) {
      low = std::min(low, r.seconds);
      high = std::max(high, r.seconds);
    }
    const double mb = megabytes(row.bytes);
    const std::string range =
        row.runs.size() > 1 ? fixed(low, 3) + "-" + fixed(high, 3) : std::string("(1 run)");
    std::snprintf(line, sizeof line, "%-42s %5zu %7.1f %8.3f %13s %7s %6.2f %6.1f  %s\n",
                  row.name.c_str(), row.files, mb, median.seconds, range.c_str(),
                  row.bytes > 0 ? fixed(mb / median.seconds, 1).c_str() : "-", median.cpuSeconds,
                  static_cast<double>(median.peakRssKb) / 1024.0, ratio.c_str());
    text += line;
  }
  // Each run in round order: same-round pairs (a row and its compare row) can be read off.
  text += "seconds by round:\n";
  for (const auto& row : rows_) {
    if (row.runs.size() < 2) continue;
    std::string runs;
    for (const auto& r : row.runs) runs += " " + fixed(r.seconds, 3);
    text += "  " + row.name + ":" + runs + "\n";
  }
  return text;
}

}  // namespace dms::bench
