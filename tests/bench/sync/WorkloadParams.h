#pragma once
/// The sync benchmark's knobs, read from environment variables (each with a default sized so
/// that the whole benchmark stays well under a minute on two shared cores):
///   DMS_BENCH_SYNC_ORDERS       orders (Meglerpakke, run to FINISHED)           5
///   DMS_BENCH_SYNC_FILES        extra files spread over the orders             200
///   DMS_BENCH_SYNC_MIN_KB       smallest extra file, KiB                        10
///   DMS_BENCH_SYNC_MAX_KB       largest extra file, KiB                       2048
///   DMS_BENCH_SYNC_BIG_FILES    big files on top of those                        3
///   DMS_BENCH_SYNC_BIG_MIN_MB   smallest big file, MiB                          20
///   DMS_BENCH_SYNC_BIG_MAX_MB   largest big file, MiB                           50
///   DMS_BENCH_SYNC_CONCURRENCY  downloads in flight: ambita.filing.concurrency,
///                               curl --parallel-max, rclone --transfers          4
///   DMS_BENCH_SYNC_SEED         seed of the size generator (same seed, same sizes) 1
///   DMS_BENCH_SYNC_REPEAT       rounds; every row of the table runs once per round
///                               and shows its median (rclone: first round only)   3
///   DMS_BENCH_SYNC_SCRIPTED_MIN_KB, DMS_BENCH_SYNC_SCRIPTED_MAX_KB
///                               size range of the 5 scripted files of each order,
///                               KiB (sandbox --asset-size); 0: the sandbox's own
///                               10-60 KB                                         0
///   DMS_BENCH_SYNC_WEBDAV       1: also the WebDAV rows (B, rclone, P3); 0: only
///                               the download and filesystem rows                 1
///   DMS_BENCH_SYNC_SIDE_ROWS    1: also curl over 1 connection and dms-host with
///                               fsync off; 0: only the rows with a ratio to show 1
///   DMS_BENCH_SYNC_COMPARE_MODULES  a folder of other builds' modules (e.g. a copy of
///                               main's build-rel/modules): adds a row P1 with those,
///                               interleaved with P1, and (WebDAV rows on) a row P3
///                               with those, interleaved with P3: a before/after in
///                               one run                                         unset
///   DMS_BENCH_SYNC_COMPARE_FILING_CONCURRENCY  ambita.filing.concurrency of those
///                               compare rows only (the WebDAV target's and the
///                               plain tools' stay DMS_BENCH_SYNC_CONCURRENCY): a
///                               knob measured against P1/P3 with a copy of the
///                               same modules             DMS_BENCH_SYNC_CONCURRENCY
/// Sizes are uniform in [min, max] from a fixed-seed generator, so runs are comparable.

#include <string>
#include <vector>

namespace dms::bench {

/// The whole number in environment variable `name`, `fallback` when it is unset or empty.
/// Throws std::invalid_argument naming the variable for anything else outside [low, high].
int readEnvInt(const char* name, int fallback, int low, int high);

struct WorkloadParams {
  int orders = 5;
  int files = 200;
  int minKb = 10;
  int maxKb = 2048;
  int bigFiles = 3;
  int bigMinMb = 20;
  int bigMaxMb = 50;
  int concurrency = 4;
  unsigned seed = 1;
  int repeat = 3;
  int scriptedMinKb = 0;
  int scriptedMaxKb = 0;
  bool webdav = true;
  bool sideRows = true;
  std::string compareModules;
  int compareFilingConcurrency = 0;  ///< 0: concurrency

  /// Defaults overridden by the variables above. Throws std::invalid_argument naming the
  /// variable for a value that is not a whole number in range (or min > max).
  static WorkloadParams fromEnvironment();

  /// The sandbox's flags for this workload (the scripted files' sizes).
  std::vector<std::string> sandboxArgs() const;

  /// One line per knob, "NAME=value", for the benchmark's header.
  std::string describe() const;
};

}  // namespace dms::bench
