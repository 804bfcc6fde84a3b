// Tests of support/ChildProcess: the helper every end-to-end test and benchmark starts its
// children with, so its promises (no blocking on chatty children, timeouts, exit status,
// environment and working directory) are checked on their own, with /bin/sh as the child.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <stdexcept>

#include "support/ChildProcess.h"
#include "support/TempDir.h"

namespace dms::test {
namespace {

using namespace std::chrono_literals;

ChildResult shell(const std::string& script, const ChildProcess::Env& env = {},
                  const std::filesystem::path& workDir = {}) {
  return ChildProcess::run({"/bin/sh", "-c", script}, env, workDir, 20s);
}

TEST(ChildProcess, DrainsBothOutputsPastThePipeBufferAndReportsTheExitCode) {
  // 1 MB on each stream: far more than a pipe holds, so reading one after the other would hang.
  const auto result = shell(
      "i=0; while [ $i -lt 16 ]; do head -c 65536 /dev/zero | tr '\\0' a; "
      "head -c 65536 /dev/zero | tr '\\0' b >&2; i=$((i+1)); done; exit 3");
  EXPECT_EQ(result.exitCode, 3);
  EXPECT_EQ(result.signal, 0);
  EXPECT_FALSE(result.timedOut);
  EXPECT_EQ(result.out, std::string(16 * 65536, 'a'));
  EXPECT_EQ(result.err, std::string(16 * 65536, 'b'));
  EXPECT_GT(result.peakRssKb, 0);
  EXPECT_GT(result.seconds, 0.0);
}

TEST(ChildProcess, AddsTheEnvironmentAndRunsInTheWorkingDirectory) {
  TempDir dir("dms-child-test");
  const auto result = shell("printf '%s|%s|%s' \"$CHILD_TEST_VALUE\" \"$(pwd -P)\" \"$HOME\"",
                            {{"CHILD_TEST_VALUE", "v 1"}, {"HOME", "/nowhere"}}, dir.path());
  EXPECT_EQ(result.exitCode, 0) << result.err;
  EXPECT_EQ(result.out, "v 1|" + std::filesystem::canonical(dir.path()).string() + "|/nowhere");
}

TEST(ChildProcess, KillsAChildThatOutlivesTheTimeout) {
  ChildProcess child({"/bin/sh", "-c", "echo started; exec sleep 30"});
  const auto result = child.wait(300ms);
  EXPECT_TRUE(result.timedOut);
  EXPECT_EQ(result.exitCode, -1);
  EXPECT_EQ(result.signal, SIGKILL);
  EXPECT_LT(result.seconds, 10.0);
  EXPECT_EQ(result.out, "started\n");
  EXPECT_FALSE(child.running());
}

TEST(ChildProcess, WaitsForOutputThenStopsWithASignal) {
  ChildProcess child({"/bin/sh", "-c", "echo ready; exec sleep 30"});
  EXPECT_TRUE(child.waitForOutput(
      [](const std::string& out) { return out.find("ready\n") != std::string::npos; }, 10s));
  EXPECT_TRUE(child.running());
  const auto result = child.stop(SIGTERM, 10s);
  EXPECT_FALSE(result.timedOut);
  EXPECT_EQ(result.signal, SIGTERM);
  EXPECT_EQ(result.exitCode, -1);
  // A second wait gives the same outcome; signals after the exit go nowhere.
  child.signal(SIGTERM);
  EXPECT_EQ(child.wait(1s).signal, SIGTERM);
}

TEST(ChildProcess, WaitForOutputGivesUpWhenTheChildExitsWithoutIt) {
  ChildProcess child({"/bin/sh", "-c", "echo other"});
  const auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(child.waitForOutput(
      [](const std::string& out) { return out.find("ready") != std::string::npos; }, 20s));
  EXPECT_LT(std::chrono::steady_clock::now() - start, 10s);
  EXPECT_EQ(child.wait(10s).exitCode, 0);
}

TEST(ChildProcess, StdinIsEmpty) {
  EXPECT_EQ(shell("cat; echo end").out, "end\n");
}

TEST(ChildProcess, NamesAProgramThatCannotStart) {
  try {
    ChildProcess child({"/nonexistent/dms-no-such-program"});
    FAIL() << "started a missing program";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/dms-no-such-program"), std::string::npos)
        << e.what();
  }
  EXPECT_THROW(ChildProcess({"/bin/sh", "-c", "true"}, {}, "/nonexistent/dms-no-such-dir"),
               std::runtime_error);
}

}  // namespace
}  // namespace dms::test
