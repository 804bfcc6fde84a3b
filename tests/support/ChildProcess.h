#pragma once
/// One child process for tests and benchmarks (dms-host, curl, rclone, ...): started with its
/// own argv, environment additions and working directory; stdin from /dev/null; stdout and
/// stderr drained by two reader threads from the start, so a chatty child never blocks on a full
/// pipe. A third thread reaps it with wait4, which gives the exit status, the wall time from
/// spawn to exit, and the child's own CPU time and peak RSS (rusage), the figures benchmarks
/// print. Signals go to the child only while it is unreaped, so never to a process that reuses
/// its pid. The destructor SIGKILLs a child that still runs, reaps it and joins the threads:
/// nothing is left behind.
///
/// Thread-safety: out(), err(), running(), signal() and waitForOutput() may be called from any
/// thread; wait() and stop() from one thread at a time.

#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace dms::test {

/// How a child ended, what it wrote and what it cost.
struct ChildResult {
  int exitCode = -1;      ///< exit status; -1 when a signal ended it (e.g. the timeout's SIGKILL)
  int signal = 0;         ///< the signal that ended the child, 0 when it exited
  bool timedOut = false;  ///< SIGKILLed because wait()'s timeout passed
  double seconds = 0;     ///< wall time from spawn to exit
  double cpuSeconds = 0;  ///< user + system CPU time of the child
  long peakRssKb = 0;     ///< ru_maxrss of the child (or its own VmHWM, see below), in KiB
  std::string out;        ///< everything written to stdout
  std::string err;        ///< everything written to stderr
};

class ChildProcess {
 public:
  using Env = std::map<std::string, std::string>;

  /// Starts argv[0] (searched in PATH when it has no slash) with argv[1..], this process's
  /// environment plus `env` (which overrides), in `workDir` (empty: this process's working
  /// directory). File descriptors other than 0-2 are not inherited. Throws std::runtime_error
  /// naming the program when it cannot be started (missing, not executable, bad `workDir`).
  explicit ChildProcess(const std::vector<std::string>& argv, const Env& env = {},
                        const std::filesystem::path& workDir = {});
  /// SIGKILLs the child if it still runs, reaps it and joins the threads.
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  /// Starts a child and waits for it (SIGKILL after `timeout`): the whole run.
  static ChildResult run(const std::vector<std::string>& argv, const Env& env,
                         const std::filesystem::path& workDir, std::chrono::milliseconds timeout);

  pid_t pid() const { return pid_; }

  /// True until the child has exited.
  bool running() const;

  /// Sends `signal` to the child; does nothing once it has exited.
  void signal(int signal);

  /// Waits for the child to exit, SIGKILLing it when `timeout` passes first (timedOut then),
  /// and for the end of its output; returns the outcome. May be called again (same outcome).
  ChildResult wait(std::chrono::milliseconds timeout);

  /// wait(`timeout`), sampling the child's own peak RSS while it runs: the result's peakRssKb is
  /// then the child's VmHWM (/proc/PID/status, read every 20 ms; a high-water mark, so only
  /// growth in its last 20 ms can be missed), not wait4's ru_maxrss, which on Linux carries the
  /// forked copy of this process (a benchmark holding a big data set) into the child's figure.
  ChildResult waitSamplingOwnPeakRss(std::chrono::milliseconds timeout);
  /// Starts a child and waitSamplingOwnPeakRss(`timeout`): the whole run, its own peak RSS.
  static ChildResult runSamplingOwnPeakRss(const std::vector<std::string>& argv, const Env& env,
                                           const std::filesystem::path& workDir,
                                           std::chrono::milliseconds timeout);

  /// signal(`signal`), then wait(`timeout`).
  ChildResult stop(int signal, std::chrono::milliseconds timeout = std::chrono::seconds(20));

  /// Waits until `ready(stdout so far)` is true, stdout is closed (the child exited) or `timeout`
  /// passes; returns ready's last answer. `ready` runs with the output locked: keep it short.
  bool waitForOutput(const std::function<bool(const std::string&)>& ready,
                     std::chrono::milliseconds timeout) const;

  /// Everything the child wrote so far.
  std::string out() const;
  std::string err() const;

 private:
  void read(int fd, std::string& sink, bool& closed);
  void reap();

  pid_t pid_ = -1;
  std::chrono::steady_clock::time_point started_;
  mutable std::mutex mutex_;
  mutable std::condition_variable changed_;
  std::string out_;
  std::string err_;
  bool outClosed_ = false;
  bool errClosed_ = false;
  bool exited_ = false;  ///< reaped: pid_ may belong to another process now
  bool timedOut_ = false;
  int status_ = 0;
  double seconds_ = 0;
  double cpuSeconds_ = 0;
  long peakRssKb_ = 0;
  std::thread outReader_;
  std::thread errReader_;
  std::thread reaper_;
};

}  // namespace dms::test
