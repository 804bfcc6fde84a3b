#pragma once
/// Runs one program to completion and measures it from outside: wall time (from spawn to
/// reap), the child's peak resident set size and CPU time (wait4's rusage), and its exit code.
/// stdout and stderr go to files (no pipes to drain, so a chatty child never blocks and the
/// benchmark's own threads do not disturb the timing). A watchdog SIGKILLs the child when the
/// timeout passes; nothing is left running. Used by the sync benchmark for dms-host, curl and
/// rclone alike, so every tool is measured the same way.

#include <chrono>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace dms::bench {

/// What one measured run did.
struct ProcessRun {
  int exitCode = -1;      ///< -1 when killed by a signal (e.g. the timeout)
  int signal = 0;         ///< the signal that ended the child, 0 when it exited
  bool timedOut = false;  ///< killed by the watchdog
  double seconds = 0;     ///< wall time from spawn to exit
  double cpuSeconds = 0;  ///< user + system CPU time of the child
  long peakRssKb = 0;     ///< ru_maxrss of the child, in KiB
  std::string out;        ///< everything written to stdout
  std::string err;        ///< everything written to stderr
};

class MeasuredProcess {
 public:
  using Env = std::map<std::string, std::string>;

  /// Runs argv[0] (searched in PATH when it has no slash) with argv[1..], the current
  /// environment plus `env` (which overrides), stdin from /dev/null, stdout/stderr into
  /// `logDir`/`<label>.out`/`.err`. Throws std::runtime_error when the program cannot be
  /// started. Not thread-safe with itself (one measured child at a time).
  static ProcessRun run(const std::vector<std::string>& argv, const Env& env,
                        const std::filesystem::path& logDir, const std::string& label,
                        std::chrono::seconds timeout);
};

}  // namespace dms::bench
