#pragma once
/// The sync benchmark's table. Each row is one measured command; the benchmark runs the rows in
/// rounds (every row once per round, interleaved), so a burst of load from elsewhere on the
/// machine hits the product and its baselines alike. A row shows its median run and the range.
/// A run that fails its check marks the row BROKEN: the row runs no more, the other rows go
/// on, and the benchmark exits 1 at the end.

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "support/ChildProcess.h"

namespace dms::bench {

/// A run that did the wrong thing (wrong files, wrong count, non-zero exit), not a slow one.
struct BrokenRun : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class BenchReport {
 public:
  using RowId = std::size_t;

  /// A new row; `files` and `bytes` are what one run moves (0 for none).
  RowId addRow(std::string name, std::size_t files, std::uint64_t bytes);

  /// Runs `once()` (which returns the measured run) and then `check(run)` (which throws
  /// BrokenRun) for the row, unless the row is already broken. Returns whether the row is still
  /// sound. Other exceptions (a server that cannot start) propagate.
  template <typename Once, typename Check>
  bool run(RowId id, Once&& once, Check&& check) {
    if (!ok(id)) return false;
    try {
      auto measured = once();
      rows_[id].runs.push_back(measured);
      check(measured);
      return true;
    } catch (const BrokenRun& e) {
      rows_[id].broken = e.what();
      return false;
    }
  }

  /// Marks the row broken without a run (e.g. a setup step failed).
  void markBroken(RowId id, const std::string& why) { rows_[id].broken = why; }

  bool ok(RowId id) const { return rows_[id].broken.empty(); }
  /// Median wall time of the row's runs (0 when none, or when the row is broken).
  double medianSeconds(RowId id) const;
  /// The ratio column's text, e.g. "1.73 x A".
  void setRatio(RowId id, std::string text) { rows_[id].ratio = std::move(text); }

  /// The table as text (one line per row, with a header).
  std::string table() const;
  /// Every broken row's reason, in row order.
  std::vector<std::string> broken() const;

  /// "1.73 x A" (seconds / baselineSeconds), or "" when either is 0.
  static std::string ratio(double seconds, double baselineSeconds, const std::string& baseline);

 private:
  struct Row {
    std::string name;
    std::size_t files = 0;
    std::uint64_t bytes = 0;
    std::vector<test::ChildResult> runs;
    std::string ratio;
    std::string broken;  ///< why, or empty
  };
  /// The run with the median wall time (runs must not be empty).
  static const test::ChildResult& medianRun(const Row& row);

  std::vector<Row> rows_;
};

}  // namespace dms::bench
