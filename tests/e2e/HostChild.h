#pragma once
/// One run of the real dms-host binary (DMS_BUILD_DIR/samples/dms-host) as a child process, for
/// the end-to-end tests. Its stdout and stderr are drained by two threads from the start, so a
/// chatty host never blocks on a full pipe (tests/host's HostProcess reads them one after the
/// other, which is fine for small outputs but not for a sync of many files or a long `run`).
///
/// Three uses: run a command to completion (runToEnd), start `run` and wait for its
/// "dms-host listening on" line (waitForListening), or start a sync and SIGKILL it at a chosen
/// moment (kill). The destructor SIGKILLs a child that still runs and reaps it; nothing is left
/// behind. Not thread-safe except for the output getters.

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <Poco/Pipe.h>
#include <Poco/Process.h>

namespace dms::e2e {

/// What a finished dms-host run said.
struct HostOutcome {
  int exitCode = -1;  ///< -1: did not exit in time (then killed) or killed by a signal
  std::string out;
  std::string err;
};

class HostChild {
 public:
  using Env = std::map<std::string, std::string>;

  /// Path of the binary under test.
  static std::string binary();

  /// Starts `dms-host args...` in `workDir` with `env` added to the environment.
  /// Throws std::runtime_error when the binary is missing.
  HostChild(const std::vector<std::string>& args, const std::filesystem::path& workDir,
            const Env& env = {});
  /// SIGKILLs the child if it still runs, reaps it and joins the reader threads.
  ~HostChild();
  HostChild(const HostChild&) = delete;
  HostChild& operator=(const HostChild&) = delete;

  /// Runs a command to completion (SIGKILL after `timeout`, exitCode -1 then).
  static HostOutcome runToEnd(const std::vector<std::string>& args,
                              const std::filesystem::path& workDir, const Env& env = {},
                              std::chrono::seconds timeout = std::chrono::seconds(60));

  /// Waits for "dms-host listening on http://HOST:PORT" on stdout; returns the port, or 0 when
  /// the child exited or `timeout` passed first.
  unsigned waitForListening(std::chrono::seconds timeout = std::chrono::seconds(20));

  /// Waits for the exit; SIGKILL after `timeout` (exitCode -1 then).
  HostOutcome wait(std::chrono::milliseconds timeout);

  /// Sends `signal` and waits (SIGKILL after `timeout`); returns the outcome.
  HostOutcome stop(int signal, std::chrono::milliseconds timeout = std::chrono::seconds(20));

  /// True while the child has not exited.
  bool running();

  /// Everything the child wrote so far.
  std::string out() const;
  std::string err() const;

 private:
  void readInto(Poco::Pipe& pipe, std::string& sink);
  HostOutcome finish();

  std::optional<Poco::ProcessHandle> handle_;
  Poco::Pipe outPipe_;
  Poco::Pipe errPipe_;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::string out_;
  std::string err_;
  bool outClosed_ = false;
  std::optional<int> exitCode_;
  std::thread outReader_;
  std::thread errReader_;
};

}  // namespace dms::e2e
