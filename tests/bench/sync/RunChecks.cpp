#include "RunChecks.h"

namespace dms::bench {

void requireDownloads(const test::SandboxProcess& sandbox, std::size_t expected,
                      const std::string& what) {
  const auto served = sandbox.requestCount("download");
  if (served != expected)
    throw BrokenRun(what + ": the sandbox served " + std::to_string(served) + " downloads, not " +
                    std::to_string(expected));
}

void requireSummary(const test::ChildResult& run, std::size_t orders, std::size_t filed,
                    const std::string& what) {
  const std::string expected =
      "sync: " + std::to_string(orders) + " order(s), " + std::to_string(filed) + " filed";
  if (run.out.find(expected) == std::string::npos)
    throw BrokenRun(what + ": expected \"" + expected + "\" in its output, got:\n" +
                    run.out.substr(0, 2000) + run.err.substr(0, 3000));
}

}  // namespace dms::bench
