#pragma once
/// The sync benchmark's table: one row per measured command (median of its repeated runs, with
/// the range), and the runs found broken. A stage that finds its run broken marks its row and
/// lets the next stages run, so one broken piece still leaves every other figure on screen; the
/// benchmark then exits 1.

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "MeasuredProcess.h"

namespace dms::bench {

/// A run that did the wrong thing (wrong files, wrong count, non-zero exit), not a slow one.
struct BrokenRun : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// One line of the table.
struct BenchRow {
  std::string name;
  std::size_t files = 0;
  std::uint64_t bytes = 0;
  ProcessRun median;  ///< the run with the median wall time
  double minSeconds = 0;
  double maxSeconds = 0;
  std::size_t runs = 0;
  std::string ratio;  ///< against its baseline, formatted ("1.73 x A")
};

class BenchReport {
 public:
  /// Runs one stage; a BrokenRun is recorded (its row, if already added, marked BROKEN) and
  /// false returned. Other exceptions (a server that cannot start) propagate.
  template <typename Stage>
  bool stage(Stage&& body) {
    const auto before = rows_.size();
    try {
      body();
      return true;
    } catch (const BrokenRun& e) {
      broken_.push_back(e.what());
      if (rows_.size() > before) rows_.back().ratio = "BROKEN (see below)";
      return false;
    }
  }

  /// Runs `once(i)` for i in [0, repeats), each followed by `check(run, i)` (which throws
  /// BrokenRun); `files` and `bytes` are what one run moves. Adds the row (median run, range,
  /// `ratio(medianSeconds)`) and returns the median wall time. When a check throws, the row is
  /// added with the runs so far and the error goes on.
  template <typename Once, typename Check, typename Ratio>
  double measure(std::string name, std::size_t files, std::uint64_t bytes, int repeats, Once&& once,
                 Check&& check, Ratio&& ratio) {
    BenchRow row;
    row.name = std::move(name);
    row.files = files;
    row.bytes = bytes;
    std::vector<ProcessRun> runs;
    try {
      for (int i = 0; i < repeats; ++i) {
        runs.push_back(once(i));
        check(runs.back(), i);
      }
    } catch (const BrokenRun&) {
      if (!runs.empty()) add(std::move(row), runs);
      throw;
    }
    const double median = add(std::move(row), runs);
    rows_.back().ratio = ratio(median);
    return median;
  }

  const std::vector<BenchRow>& rows() const { return rows_; }
  const std::vector<std::string>& broken() const { return broken_; }

  /// The table on stdout.
  void print() const;

  /// "1.73 x A" (seconds / baselineSeconds), or "" without a baseline.
  static std::string ratio(double seconds, double baselineSeconds, const std::string& baseline);

 private:
  /// Fills the row from `runs` (median by wall time, range) and appends it; returns the median.
  double add(BenchRow row, std::vector<ProcessRun> runs);

  std::vector<BenchRow> rows_;
  std::vector<std::string> broken_;
};

}  // namespace dms::bench
