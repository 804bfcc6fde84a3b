#include "HostProcess.h"

#include <chrono>

namespace dms::test {
namespace {

std::vector<std::string> argvOf(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {HostProcess::binary()};
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

HostResult hostResult(const ChildResult& child) {
  return {child.exitCode, child.out, child.err};
}

}  // namespace

std::string HostProcess::binary() {
  return std::string(DMS_BUILD_DIR) + "/samples/dms-host";
}

HostResult HostProcess::run(const std::vector<std::string>& args,
                            const std::filesystem::path& workDir, const Env& env) {
  return hostResult(ChildProcess::run(argvOf(args), env, workDir, std::chrono::seconds(60)));
}

HostProcess::HostProcess(const std::vector<std::string>& args, const std::filesystem::path& workDir,
                         const Env& env)
    : child_(std::make_unique<ChildProcess>(argvOf(args), env, workDir)) {
  // Returns at EOF too (the host exited early): then port_ stays 0.
  child_->waitForOutput([](const std::string& out) { return out.find('\n') != std::string::npos; },
                        std::chrono::seconds(20));
  const std::string out = child_->out();
  firstLine_ = out.substr(0, out.find('\n'));
  const std::string marker = "dms-host listening on http://";
  if (firstLine_.rfind(marker, 0) == 0) {
    const auto colon = firstLine_.rfind(':');
    port_ = static_cast<unsigned>(std::stoul(firstLine_.substr(colon + 1)));
  }
}

HostProcess::~HostProcess() = default;

HostResult HostProcess::stop(int signal, int seconds) {
  HostResult result = hostResult(child_->stop(signal, std::chrono::seconds(seconds)));
  // The first line was the constructor's.
  const auto firstEnd = result.out.find('\n');
  result.out.erase(0, firstEnd == std::string::npos ? std::string::npos : firstEnd + 1);
  return result;
}

}  // namespace dms::test
