#pragma once
/// Runs the real dms-host binary (DMS_BUILD_DIR/samples/dms-host) for tests: one-shot
/// commands with captured output, or `run` in the background with its listening port.

#include <Poco/Pipe.h>
#include <Poco/PipeStream.h>
#include <Poco/Process.h>

#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace dms::test {

struct HostResult {
  int exitCode = -1;
  std::string out;
  std::string err;
};

class HostProcess {
 public:
  using Env = std::map<std::string, std::string>;

  /// Path of the dms-host binary under test.
  static std::string binary();

  /// Runs dms-host with `args` in `workDir` (extra environment `env`) to completion.
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
  /// the output, or exitCode -1 when it did not exit in time (it is then killed).
  HostResult stop(int signal, int seconds = 20);

 private:
  std::optional<Poco::ProcessHandle> handle_;
  Poco::Pipe outPipe_;
  Poco::Pipe errPipe_;
  std::unique_ptr<Poco::PipeInputStream> out_;
  unsigned port_ = 0;
  std::string firstLine_;
  bool exited_ = false;
};

}  // namespace dms::test
