#pragma once
/// Runs the real dms-host binary (DMS_BUILD_DIR/samples/dms-host) for tests: one-shot
/// commands with captured output, or `run` in the background with its listening port. A thin
/// layer over support/ChildProcess.h (both outputs drained by threads, so a chatty host never
/// blocks on a full pipe).

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "support/ChildProcess.h"

namespace dms::test {

struct HostResult {
  int exitCode = -1;
  std::string out;
  std::string err;
};

class HostProcess {
 public:
  using Env = ChildProcess::Env;

  /// Path of the dms-host binary under test.
  static std::string binary();

  /// Runs dms-host with `args` in `workDir` (extra environment `env`) to completion; exitCode
  /// -1 when it is killed by a signal or still runs after 60 s (it is then killed).
  static HostResult run(const std::vector<std::string>& args, const std::filesystem::path& workDir,
                        const Env& env = {});

  /// Starts `dms-host ... run` and waits (up to 20 s) for its "listening on" line.
  HostProcess(const std::vector<std::string>& args, const std::filesystem::path& workDir,
              const Env& env = {});
  /// Kills the process if it still runs.
  ~HostProcess();
  HostProcess(const HostProcess&) = delete;
  HostProcess& operator=(const HostProcess&) = delete;

  /// The port from "dms-host listening on http://HOST:PORT"; 0 when it never said so.
  unsigned port() const { return port_; }
  /// The first stdout line.
  const std::string& firstLine() const { return firstLine_; }

  /// Sends `signal`, waits (up to `seconds`) for the exit; returns the exit code and the rest of
  /// the output (stdout after the first line), or exitCode -1 when it did not exit in time (it
  /// is then killed).
  HostResult stop(int signal, int seconds = 20);

 private:
  std::unique_ptr<ChildProcess> child_;
  unsigned port_ = 0;
  std::string firstLine_;
};

}  // namespace dms::test
