#pragma once
/// The one loop that tries an HTTP call again, for both HTTP clients (the Ambita API client and
/// the WebDAV connector). The client says what one attempt came to; the loop counts failures,
/// asks the RetryPolicy for the pause (backoff, Retry-After capped at kMaxRetryAfter, the
/// call's total-time deadline), and pauses on the client's StopSignal, so stop() ends any pause
/// at once. Statuses, redirects, authentication and bodies stay the client's business.

#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include "dms/Error.h"
#include "dms/http/CallCounters.h"
#include "dms/http/RetryPolicy.h"
#include "dms/http/StopSignal.h"

namespace dms::http {

/// What one attempt of a call came to.
class Step {
 public:
  /// The call is over: it succeeded (or ended in a way the caller reports itself).
  static Step done() { return Step(Kind::Done, {}); }
  /// The call failed and trying again cannot help: the loop ends with `error`.
  static Step finalFailure(Error error) { return Step(Kind::Final, std::move(error)); }
  /// The attempt failed in a way another try may fix (error.retryAfter: the server's wish):
  /// counted against the policy's attempts and total time.
  static Step failure(Error error) { return Step(Kind::Failure, std::move(error)); }
  /// Send again at once, not counted as a failure: a redirect, an authentication challenge, a
  /// stale keep-alive connection. The caller bounds its own reasons (the loop allows at most
  /// kMaxRepeats in a row, so none can spin forever).
  static Step repeat() { return Step(Kind::Repeat, {}); }

  enum class Kind { Done, Final, Failure, Repeat };
  Kind kind() const { return kind_; }
  const Error& error() const { return error_; }

 private:
  Step(Kind kind, Error error) : kind_(kind), error_(std::move(error)) {}
  Kind kind_;
  Error error_;
};

class AttemptLoop {
 public:
  /// Repeats in a row (Step::repeat()) before the loop gives up.
  static constexpr int kMaxRepeats = 16;

  /// Told before each pause: the failure, the pause and the failures so far (for the log).
  using RetryObserver =
      std::function<void(const Error& failure, std::chrono::milliseconds delay, int failures)>;

  /// `policy` and `stop` (and `counters`, when given) must outlive the loop. One loop per call.
  /// `counters` counts each retry (each pause before another attempt).
  AttemptLoop(RetryPolicy& policy, StopSignal& stop, CallCounters* counters = nullptr);

  /// Calls `attempt` (with the attempt number, 1 for the first) until a Step ends the call:
  /// ok after Step::done(); the error of Step::finalFailure(); the last failure when the policy
  /// gives up (attempts or total time used up; failures() says how many); Cancelled
  /// ("stopped while waiting to retry") when the stop signal ends a pause or is already set
  /// before a retry; Unavailable after kMaxRepeats repeats in a row.
  Status run(const std::function<Step(int attempt)>& attempt, const RetryObserver& onRetry = {});

  /// Failed attempts in the last run().
  int failures() const { return failures_; }

  /// How the last run() ended, for the caller's message.
  enum class End { Done, Final, GaveUp, Stopped, Spinning };
  End end() const { return end_; }

 private:
  RetryPolicy& policy_;
  StopSignal& stop_;
  CallCounters* counters_;
  int failures_ = 0;
  End end_ = End::Done;
};

}  // namespace dms::http
