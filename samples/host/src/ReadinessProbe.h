#pragma once
/// What GET /readyz answers: named checks (state, target, token, ...) run in order on a thread
/// of their own. /readyz is open to anyone who can reach http.listen and a check may call
/// Ambita or write into the target, so the checks run at most once per `maxAge`, however many
/// requests come; requests in between get the last result. A request waits at most
/// `answerWithin` for a fresh result; a check still running then is reported as failing ("no
/// answer within ..."), so a hanging API or target makes /readyz say so instead of hanging.
///
/// Threading: report() may be called from any thread. No lock is held while a check runs.
/// Lifecycle: start() once; requestStop() makes report() answer "stopping" at once and the
/// thread end after the check in progress; stop() also joins it. A check must end on its own
/// within a deadline, or when the object it uses is stopped (the plugin's stop() cancels its
/// API calls): the host calls requestStop(), stops the listener and the plugin, then stop().

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "dms/Error.h"

namespace dms::host {

/// One readiness check: `run` answers OK or an error saying what is wrong (never a secret).
struct ReadinessCheck {
  std::string name;  ///< "state", "target", "token"
  std::function<Status()> run;
};

/// The outcome of one check.
struct CheckOutcome {
  std::string name;
  bool passed = false;
  std::string error;  ///< why it failed; empty when it passed
};

struct ReadinessReport {
  bool ready = false;  ///< every check passed
  std::vector<CheckOutcome> checks;
};

class ReadinessProbe {
 public:
  struct Timing {
    std::chrono::milliseconds maxAge{10'000};       ///< how long a result is served
    std::chrono::milliseconds answerWithin{5'000};  ///< longest wait of a request
  };

  ReadinessProbe(std::vector<ReadinessCheck> checks, Timing timing);
  /// stop().
  ~ReadinessProbe();
  ReadinessProbe(const ReadinessProbe&) = delete;
  ReadinessProbe& operator=(const ReadinessProbe&) = delete;

  /// Starts the checking thread (no check runs before the first report()).
  void start();

  /// A result no older than maxAge, running the checks when there is none; never waits longer
  /// than answerWithin.
  ReadinessReport report();

  /// report() answers "stopping" from now on; the thread ends after the check in progress.
  void requestStop() noexcept;
  /// requestStop(), then waits for the thread. Idempotent.
  void stop() noexcept;

 private:
  void checkWhenAsked();
  /// Runs every check in order; false when a stop was requested in between.
  bool runChecks();
  /// The report for a request whose fresh result did not come within answerWithin.
  ReadinessReport overdueReport(std::chrono::steady_clock::time_point now) const;

  const std::vector<ReadinessCheck> checks_;
  const Timing timing_;
  std::thread thread_;

  mutable std::mutex mutex_;
  std::condition_variable changed_;
  bool wanted_ = false;    ///< a request waits for a fresh result
  bool stopping_ = false;  ///< requestStop() was called
  std::optional<ReadinessReport> latest_;
  std::chrono::steady_clock::time_point latestAt_;
  std::uint64_t completedRuns_ = 0;
  std::vector<CheckOutcome> inProgress_;  ///< outcomes of the run in progress so far
  std::string runningCheck_;              ///< the check running now, empty between runs
  std::chrono::steady_clock::time_point runningSince_;
};

}  // namespace dms::host
