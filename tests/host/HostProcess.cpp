#include "HostProcess.h"

#include <Poco/StreamCopier.h>
#include <signal.h>

#include <chrono>
#include <sstream>
#include <thread>

namespace dms::test {

namespace {

std::string readAll(Poco::Pipe& pipe) {
  Poco::PipeInputStream in(pipe);
  std::string text;
  Poco::StreamCopier::copyToString(in, text);
  return text;
}

}  // namespace

std::string HostProcess::binary() {
  return std::string(DMS_BUILD_DIR) + "/samples/dms-host";
}

HostResult HostProcess::run(const std::vector<std::string>& args,
                            const std::filesystem::path& workDir, const Env& env) {
  Poco::Pipe outPipe, errPipe;
  Poco::ProcessHandle handle =
      Poco::Process::launch(binary(), args, workDir.string(), nullptr, &outPipe, &errPipe, env);
  // Outputs are small: stderr cannot fill its pipe while stdout is read.
  HostResult result;
  result.out = readAll(outPipe);
  result.err = readAll(errPipe);
  result.exitCode = handle.wait();
  return result;
}

HostProcess::HostProcess(const std::vector<std::string>& args, const std::filesystem::path& workDir,
                         const Env& env) {
  handle_.emplace(
      Poco::Process::launch(binary(), args, workDir.string(), nullptr, &outPipe_, &errPipe_, env));
  out_ = std::make_unique<Poco::PipeInputStream>(outPipe_);
  // getline returns at EOF too (the host exited early): then port_ stays 0.
  std::getline(*out_, firstLine_);
  const std::string marker = "dms-host listening on http://";
  if (firstLine_.rfind(marker, 0) == 0) {
    const auto colon = firstLine_.rfind(':');
    port_ = static_cast<unsigned>(std::stoul(firstLine_.substr(colon + 1)));
  }
}

HostProcess::~HostProcess() {
  if (handle_ && !exited_) {
    ::kill(handle_->id(), SIGKILL);
    handle_->wait();
  }
}

HostResult HostProcess::stop(int signal, int seconds) {
  HostResult result;
  ::kill(handle_->id(), signal);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  while (std::chrono::steady_clock::now() < deadline) {
    const int code = handle_->tryWait();
    if (code != -1) {
      exited_ = true;
      result.exitCode = code;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  if (!exited_) {
    ::kill(handle_->id(), SIGKILL);
    handle_->wait();
    exited_ = true;
  }
  std::ostringstream rest;
  rest << out_->rdbuf();
  result.out = rest.str();
  result.err = readAll(errPipe_);
  return result;
}

}  // namespace dms::test
