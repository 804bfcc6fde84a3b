// ReadinessProbe with checks made here: order, failures named, one run per maxAge, a check
// that does not answer reported as failing instead of holding the request, stop.
#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <stdexcept>

#include "ReadinessProbe.h"

namespace {

using dms::ErrorCode;
using dms::Status;
using dms::host::ReadinessCheck;
using dms::host::ReadinessProbe;
using namespace std::chrono_literals;

const ReadinessProbe::Timing kServeOneHour{std::chrono::hours(1), std::chrono::minutes(5)};

ReadinessCheck passing(const std::string& name, std::atomic<int>* runs = nullptr) {
  return {name, [runs] {
            if (runs) ++*runs;
            return Status{};
          }};
}

ReadinessCheck failing(const std::string& name, const std::string& why) {
  return {name, [why] { return Status{dms::fail(ErrorCode::Unavailable, why)}; }};
}

TEST(ReadinessProbe, ReadyWhenEveryCheckPassesListedInOrder) {
  ReadinessProbe probe({passing("state"), passing("target"), passing("token")}, kServeOneHour);
  probe.start();
  const auto report = probe.report();
  EXPECT_TRUE(report.ready);
  ASSERT_EQ(report.checks.size(), 3U);
  EXPECT_EQ(report.checks[0].name, "state");
  EXPECT_EQ(report.checks[1].name, "target");
  EXPECT_EQ(report.checks[2].name, "token");
  for (const auto& check : report.checks) EXPECT_TRUE(check.passed) << check.name;
}

TEST(ReadinessProbe, AFailingCheckIsNamedWithItsErrorAndTheOthersStillRun) {
  ReadinessProbe probe({passing("state"),
                        failing("target", "filesystem:/x: the root: gone"),
                        {"token", []() -> Status { throw std::runtime_error("boom"); }}},
                       kServeOneHour);
  probe.start();
  const auto report = probe.report();
  EXPECT_FALSE(report.ready);
  ASSERT_EQ(report.checks.size(), 3U);
  EXPECT_TRUE(report.checks[0].passed);
  EXPECT_FALSE(report.checks[1].passed);
  EXPECT_EQ(report.checks[1].error, "Unavailable: filesystem:/x: the root: gone");
  EXPECT_FALSE(report.checks[2].passed);
  EXPECT_EQ(report.checks[2].error, "the check failed: boom");
}

TEST(ReadinessProbe, AResultIsServedUntilItIsMaxAgeOld) {
  std::atomic<int> runs{0};
  ReadinessProbe probe({passing("token", &runs)}, kServeOneHour);
  probe.start();
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(probe.report().ready);
  EXPECT_EQ(runs.load(), 1);

  std::atomic<int> freshRuns{0};
  ReadinessProbe fresh({passing("token", &freshRuns)}, {0ms, std::chrono::minutes(5)});
  fresh.start();
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(fresh.report().ready);
  EXPECT_EQ(freshRuns.load(), 3);
}

TEST(ReadinessProbe, ACheckWithoutAnswerIsReportedAsFailingAndStopWaitsForIt) {
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::promise<void> enter;
  std::shared_future<void> entered = enter.get_future().share();
  ReadinessProbe probe({passing("state"),
                        {"token",
                         [released, &enter] {
                           enter.set_value();
                           released.wait();
                           return Status{};
                         }}},
                       {std::chrono::hours(1), 20ms});
  probe.start();
  // The first request starts the run; on a loaded machine its 20 ms may end before the run
  // reaches the token check, so what it reports depends on the scheduler. The second request,
  // made once the token check is known to hang, finds "state" done and "token" running.
  EXPECT_FALSE(probe.report().ready);
  ASSERT_EQ(entered.wait_for(std::chrono::seconds(60)), std::future_status::ready);
  const auto report = probe.report();
  EXPECT_FALSE(report.ready);
  ASSERT_EQ(report.checks.size(), 2U);
  EXPECT_TRUE(report.checks[0].passed);
  EXPECT_EQ(report.checks[1].name, "token");
  EXPECT_FALSE(report.checks[1].passed);
  EXPECT_EQ(report.checks[1].error.rfind("no answer within 0.0 s (still running after ", 0), 0U)
      << report.checks[1].error;

  probe.requestStop();
  const auto stopping = probe.report();
  EXPECT_FALSE(stopping.ready);
  ASSERT_EQ(stopping.checks.size(), 1U);
  EXPECT_EQ(stopping.checks[0].error, "the host is stopping");
  release.set_value();
  probe.stop();
}

TEST(ReadinessProbe, NotStartedItSaysTheChecksDidNotRun) {
  ReadinessProbe probe({passing("state")}, {std::chrono::hours(1), 1ms});
  const auto report = probe.report();
  EXPECT_FALSE(report.ready);
  ASSERT_EQ(report.checks.size(), 1U);
  EXPECT_EQ(report.checks[0].error, "the checks did not run");
}

}  // namespace
