#include "support/ChildProcess.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <stdexcept>

extern char** environ;

namespace dms::test {
namespace {

/// posix_spawn file actions, destroyed with the object.
class FileActions {
 public:
  FileActions() { posix_spawn_file_actions_init(&actions_); }
  ~FileActions() { posix_spawn_file_actions_destroy(&actions_); }
  FileActions(const FileActions&) = delete;
  FileActions& operator=(const FileActions&) = delete;
  posix_spawn_file_actions_t* get() { return &actions_; }

 private:
  posix_spawn_file_actions_t actions_;
};

/// Both ends of a pipe, closed with the object unless released. Close-on-exec, so a child
/// started meanwhile by another thread does not keep a copy (which would hold off EOF).
class PipeFds {
 public:
  PipeFds() {
    if (::pipe2(fds_, O_CLOEXEC) != 0)
      throw std::runtime_error(std::string("ChildProcess: pipe2: ") + std::strerror(errno));
  }
  ~PipeFds() {
    closeRead();
    closeWrite();
  }
  PipeFds(const PipeFds&) = delete;
  PipeFds& operator=(const PipeFds&) = delete;
  int readEnd() const { return fds_[0]; }
  int writeEnd() const { return fds_[1]; }
  /// The read end now belongs to its reader thread, which closes it.
  void releaseRead() { fds_[0] = -1; }
  void closeRead() { closeFd(fds_[0]); }
  void closeWrite() { closeFd(fds_[1]); }

 private:
  static void closeFd(int& fd) {
    if (fd >= 0) ::close(fd);
    fd = -1;
  }
  int fds_[2] = {-1, -1};
};

double toSeconds(const timeval& tv) {
  return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6;
}

}  // namespace

ChildProcess::ChildProcess(const std::vector<std::string>& argv, const Env& env,
                           const std::filesystem::path& workDir) {
  if (argv.empty()) throw std::runtime_error("ChildProcess: no program given");

  // The environment: ours, with `env` replacing or adding entries.
  std::vector<std::string> envStrings;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    const std::string entry(*e);
    if (env.count(entry.substr(0, entry.find('='))) == 0) envStrings.push_back(entry);
  }
  for (const auto& [name, value] : env) envStrings.push_back(name + "=" + value);
  std::vector<char*> envp;
  for (auto& s : envStrings) envp.push_back(s.data());
  envp.push_back(nullptr);

  std::vector<std::string> args = argv;
  std::vector<char*> argp;
  for (auto& a : args) argp.push_back(a.data());
  argp.push_back(nullptr);

  PipeFds outPipe, errPipe;
  FileActions actions;
  if (!workDir.empty()) posix_spawn_file_actions_addchdir_np(actions.get(), workDir.c_str());
  posix_spawn_file_actions_addopen(actions.get(), 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(actions.get(), outPipe.writeEnd(), 1);
  posix_spawn_file_actions_adddup2(actions.get(), errPipe.writeEnd(), 2);
  // Descriptors the test process opened without close-on-exec (e.g. another helper's pipes)
  // stay out of the child.
  posix_spawn_file_actions_addclosefrom_np(actions.get(), 3);

  started_ = std::chrono::steady_clock::now();
  const int spawned =
      ::posix_spawnp(&pid_, argp[0], actions.get(), nullptr, argp.data(), envp.data());
  if (spawned != 0) {
    pid_ = -1;
    throw std::runtime_error("cannot start " + argv[0] +
                             (workDir.empty() ? "" : " in " + workDir.string()) + ": " +
                             std::strerror(spawned));
  }
  // Only the child writes: the readers see EOF once it (and anything it passed them to) ends.
  outPipe.closeWrite();
  errPipe.closeWrite();
  try {
    reaper_ = std::thread([this] { reap(); });
    outReader_ = std::thread([this, fd = outPipe.readEnd()] { read(fd, out_, outClosed_); });
    outPipe.releaseRead();
    errReader_ = std::thread([this, fd = errPipe.readEnd()] { read(fd, err_, errClosed_); });
    errPipe.releaseRead();
  } catch (...) {
    // No destructor runs for a constructor that throws: end what was started here.
    if (reaper_.joinable()) {
      signal(SIGKILL);
      reaper_.join();
    } else {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    if (outReader_.joinable()) outReader_.join();  // EOF now that the child is gone
    throw;
  }
}

ChildProcess::~ChildProcess() {
  signal(SIGKILL);
  if (reaper_.joinable()) reaper_.join();
  if (outReader_.joinable()) outReader_.join();
  if (errReader_.joinable()) errReader_.join();
}

ChildResult ChildProcess::run(const std::vector<std::string>& argv, const Env& env,
                              const std::filesystem::path& workDir,
                              std::chrono::milliseconds timeout) {
  ChildProcess child(argv, env, workDir);
  return child.wait(timeout);
}

void ChildProcess::read(int fd, std::string& sink, bool& closed) {
  char buffer[4096];
  for (;;) {
    const ssize_t got = ::read(fd, buffer, sizeof buffer);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) break;  // EOF: every writer is gone
    std::lock_guard lock(mutex_);
    sink.append(buffer, static_cast<std::size_t>(got));
    changed_.notify_all();
  }
  ::close(fd);
  std::lock_guard lock(mutex_);
  closed = true;
  changed_.notify_all();
}

void ChildProcess::reap() {
  // Wait for the exit without reaping (WNOWAIT): while the child is a zombie its pid cannot be
  // reused, so signal() may still send to it until the reap below, which happens under the lock.
  siginfo_t info{};
  int waited = -1;
  do {
    waited = ::waitid(P_PID, static_cast<id_t>(pid_), &info, WEXITED | WNOWAIT);
  } while (waited != 0 && errno == EINTR);
  const auto ended = std::chrono::steady_clock::now();
  std::lock_guard lock(mutex_);
  int status = 0;
  rusage usage{};
  pid_t reaped = -1;
  do {
    reaped = ::wait4(pid_, &status, 0, &usage);
  } while (reaped < 0 && errno == EINTR);
  if (reaped == pid_) {
    status_ = status;
    cpuSeconds_ = toSeconds(usage.ru_utime) + toSeconds(usage.ru_stime);
    peakRssKb_ = usage.ru_maxrss;
  } else {
    // Someone else reaped it (a waitpid(-1) elsewhere in the test): no status to report.
    status_ = W_EXITCODE(255, 0);
  }
  seconds_ = std::chrono::duration<double>(ended - started_).count();
  exited_ = true;
  changed_.notify_all();
}

bool ChildProcess::running() const {
  std::lock_guard lock(mutex_);
  return pid_ > 0 && !exited_;
}

void ChildProcess::signal(int signal) {
  std::lock_guard lock(mutex_);
  if (pid_ > 0 && !exited_) ::kill(pid_, signal);
}

ChildResult ChildProcess::wait(std::chrono::milliseconds timeout) {
  {
    std::unique_lock lock(mutex_);
    if (!changed_.wait_for(lock, timeout, [this] { return exited_; })) {
      timedOut_ = true;
      ::kill(pid_, SIGKILL);  // not reaped yet: still our child
      changed_.wait(lock, [this] { return exited_; });
    }
  }
  if (reaper_.joinable()) reaper_.join();
  if (outReader_.joinable()) outReader_.join();
  if (errReader_.joinable()) errReader_.join();

  std::lock_guard lock(mutex_);
  ChildResult result;
  result.exitCode = WIFEXITED(status_) ? WEXITSTATUS(status_) : -1;
  result.signal = WIFSIGNALED(status_) ? WTERMSIG(status_) : 0;
  result.timedOut = timedOut_;
  result.seconds = seconds_;
  result.cpuSeconds = cpuSeconds_;
  result.peakRssKb = peakRssKb_;
  result.out = out_;
  result.err = err_;
  return result;
}

namespace {

/// The process's own peak RSS so far (VmHWM), in KiB; 0 when it has no address space left.
long ownPeakRssKb(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind("VmHWM:", 0) == 0) return std::atol(line.c_str() + 6);
  return 0;
}

}  // namespace

ChildResult ChildProcess::waitSamplingOwnPeakRss(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  long peakKb = 0;
  {
    std::unique_lock lock(mutex_);
    // Read under the lock: the reaper reaps under it too, so pid_ is still our child here.
    while (!exited_ && std::chrono::steady_clock::now() < deadline) {
      peakKb = std::max(peakKb, ownPeakRssKb(pid_));
      changed_.wait_for(lock, std::chrono::milliseconds(20), [this] { return exited_; });
    }
  }
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
  auto result = wait(std::max(left, std::chrono::milliseconds(0)));
  result.peakRssKb = peakKb;
  return result;
}

ChildResult ChildProcess::runSamplingOwnPeakRss(const std::vector<std::string>& argv,
                                                const Env& env,
                                                const std::filesystem::path& workDir,
                                                std::chrono::milliseconds timeout) {
  ChildProcess child(argv, env, workDir);
  return child.waitSamplingOwnPeakRss(timeout);
}

ChildResult ChildProcess::stop(int signal, std::chrono::milliseconds timeout) {
  this->signal(signal);
  return wait(timeout);
}

bool ChildProcess::waitForOutput(const std::function<bool(const std::string&)>& ready,
                                 std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mutex_);
  bool done = false;
  changed_.wait_for(lock, timeout, [&] {
    done = ready(out_);
    return done || outClosed_;
  });
  return done;
}

std::string ChildProcess::out() const {
  std::lock_guard lock(mutex_);
  return out_;
}

std::string ChildProcess::err() const {
  std::lock_guard lock(mutex_);
  return err_;
}

}  // namespace dms::test
