#include "HostChild.h"

#include <signal.h>

#include <stdexcept>

#include <Poco/Exception.h>

namespace dms::e2e {

std::string HostChild::binary() {
  return std::string(DMS_BUILD_DIR) + "/samples/dms-host";
}

HostChild::HostChild(const std::vector<std::string>& args, const std::filesystem::path& workDir,
                     const Env& env) {
  if (!std::filesystem::is_regular_file(binary()))
    throw std::runtime_error("dms-host not built: " + binary() + " is missing");
  handle_.emplace(
      Poco::Process::launch(binary(), args, workDir.string(), nullptr, &outPipe_, &errPipe_, env));
  outReader_ = std::thread([this] {
    readInto(outPipe_, out_);
    std::lock_guard lock(mutex_);
    outClosed_ = true;
    changed_.notify_all();
  });
  errReader_ = std::thread([this] { readInto(errPipe_, err_); });
}

HostChild::~HostChild() {
  if (handle_ && !exitCode_) {
    ::kill(handle_->id(), SIGKILL);
    try {
      handle_->wait();
    } catch (const Poco::Exception&) {  // already reaped
    }
  }
  if (outReader_.joinable()) outReader_.join();
  if (errReader_.joinable()) errReader_.join();
}

void HostChild::readInto(Poco::Pipe& pipe, std::string& sink) {
  char buffer[4096];
  for (;;) {
    const int got = pipe.readBytes(buffer, sizeof buffer);
    if (got <= 0) return;  // EOF: the child (and every copy of the pipe) is gone
    std::lock_guard lock(mutex_);
    sink.append(buffer, static_cast<std::size_t>(got));
    changed_.notify_all();
  }
}

HostOutcome HostChild::runToEnd(const std::vector<std::string>& args,
                                const std::filesystem::path& workDir, const Env& env,
                                std::chrono::seconds timeout) {
  HostChild child(args, workDir, env);
  return child.wait(timeout);
}

unsigned HostChild::waitForListening(std::chrono::seconds timeout) {
  const std::string marker = "dms-host listening on http://";
  std::unique_lock lock(mutex_);
  const bool seen = changed_.wait_for(
      lock, timeout, [&] { return out_.find('\n') != std::string::npos || outClosed_; });
  if (!seen) return 0;
  const auto end = out_.find('\n');
  if (end == std::string::npos) return 0;
  const std::string first = out_.substr(0, end);
  if (first.rfind(marker, 0) != 0) return 0;
  return static_cast<unsigned>(std::stoul(first.substr(first.rfind(':') + 1)));
}

bool HostChild::running() {
  if (exitCode_) return false;
  const int code = handle_->tryWait();
  if (code == -1) return true;
  exitCode_ = code;
  return false;
}

HostOutcome HostChild::wait(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (running() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  return finish();
}

HostOutcome HostChild::stop(int signal, std::chrono::milliseconds timeout) {
  if (running()) ::kill(handle_->id(), signal);
  return wait(timeout);
}

HostOutcome HostChild::finish() {
  HostOutcome outcome;
  if (running()) {
    ::kill(handle_->id(), SIGKILL);
    handle_->wait();
    exitCode_ = -1;
  }
  // The readers end at EOF once the child is gone.
  if (outReader_.joinable()) outReader_.join();
  if (errReader_.joinable()) errReader_.join();
  outcome.exitCode = *exitCode_;
  std::lock_guard lock(mutex_);
  outcome.out = out_;
  outcome.err = err_;
  return outcome;
}

std::string HostChild::out() const {
  std::lock_guard lock(mutex_);
  return out_;
}

std::string HostChild::err() const {
  std::lock_guard lock(mutex_);
  return err_;
}

}  // namespace dms::e2e
