#include "ReadinessProbe.h"

namespace dms::host {

namespace {

std::string seconds(std::chrono::steady_clock::duration duration) {
  const auto tenths = std::chrono::duration_cast<std::chrono::milliseconds>(duration).count() / 100;
  return std::to_string(tenths / 10) + "." + std::to_string(tenths % 10) + " s";
}

}  // namespace

ReadinessProbe::ReadinessProbe(std::vector<ReadinessCheck> checks, Timing timing)
    : checks_(std::move(checks)), timing_(timing) {}

ReadinessProbe::~ReadinessProbe() {
  stop();
}

void ReadinessProbe::start() {
  std::lock_guard lock(mutex_);
  if (thread_.joinable() || stopping_) return;
  thread_ = std::thread([this] { checkWhenAsked(); });
}

ReadinessReport ReadinessProbe::report() {
  std::unique_lock lock(mutex_);
  const auto now = std::chrono::steady_clock::now();
  if (stopping_) return {false, {{"service", false, "the host is stopping"}}};
  if (latest_ && now - latestAt_ < timing_.maxAge) return *latest_;
  wanted_ = true;
  changed_.notify_all();
  // A run that started before this request still answers it: it is at most answerWithin old.
  const std::uint64_t before = completedRuns_;
  const bool answered = changed_.wait_for(lock, timing_.answerWithin,
                                          [&] { return completedRuns_ != before || stopping_; });
  if (stopping_) return {false, {{"service", false, "the host is stopping"}}};
  if (answered) return *latest_;
  return overdueReport(std::chrono::steady_clock::now());
}

ReadinessReport ReadinessProbe::overdueReport(std::chrono::steady_clock::time_point now) const {
  ReadinessReport overdue{false, inProgress_};
  if (!runningCheck_.empty())
    overdue.checks.push_back({runningCheck_, false,
                              "no answer within " + seconds(timing_.answerWithin) +
                                  " (still running after " + seconds(now - runningSince_) + ")"});
  else  // only when the thread was not started
    overdue.checks.push_back({"service", false, "the checks did not run"});
  return overdue;
}

void ReadinessProbe::requestStop() noexcept {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
}

void ReadinessProbe::stop() noexcept {
  requestStop();
  if (thread_.joinable()) thread_.join();
}

void ReadinessProbe::checkWhenAsked() {
  while (true) {
    {
      std::unique_lock lock(mutex_);
      changed_.wait(lock, [&] { return wanted_ || stopping_; });
      if (stopping_) return;
      wanted_ = false;
      inProgress_.clear();
    }
    if (!runChecks()) return;
    changed_.notify_all();
  }
}

bool ReadinessProbe::runChecks() {
  for (const auto& check : checks_) {
    {
      std::lock_guard lock(mutex_);
      if (stopping_) return false;
      runningCheck_ = check.name;
      runningSince_ = std::chrono::steady_clock::now();
    }
    CheckOutcome outcome{check.name, true, ""};
    try {
      if (Status status = check.run(); !status)
        outcome = {check.name, false, status.error().describe()};
    } catch (const std::exception& e) {
      outcome = {check.name, false, std::string("the check failed: ") + e.what()};
    } catch (...) {
      outcome = {check.name, false, "the check failed"};
    }
    std::lock_guard lock(mutex_);
    inProgress_.push_back(std::move(outcome));
  }
  std::lock_guard lock(mutex_);
  ReadinessReport report{true, inProgress_};
  for (const auto& outcome : report.checks) report.ready = report.ready && outcome.passed;
  latest_ = std::move(report);
  latestAt_ = std::chrono::steady_clock::now();
  runningCheck_.clear();
  ++completedRuns_;
  return true;
}

}  // namespace dms::host
