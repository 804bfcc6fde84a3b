#include "dms/http/AttemptLoop.h"

namespace dms::http {

AttemptLoop::AttemptLoop(RetryPolicy& policy, StopSignal& stop, CallCounters* counters)
    : policy_(policy), stop_(stop), counters_(counters) {}

Status AttemptLoop::run(const std::function<Step(int attempt)>& attempt,
                        const RetryObserver& onRetry) {
  const auto started = policy_.now();
  failures_ = 0;
  int repeats = 0;
  for (int number = 1;; ++number) {
    Step step = attempt(number);
    switch (step.kind()) {
      case Step::Kind::Done:
        end_ = End::Done;
        return {};
      case Step::Kind::Final:
        end_ = End::Final;
        return step.error();
      case Step::Kind::Repeat:
        if (++repeats > kMaxRepeats) {
          end_ = End::Spinning;
          return fail(ErrorCode::Unavailable, "repeated " + std::to_string(kMaxRepeats) +
                                                  " times without an answer to act on");
        }
        continue;
      case Step::Kind::Failure:
        break;
    }
    repeats = 0;
    ++failures_;
    const auto delay = policy_.nextDelay(failures_, started, step.error().retryAfter);
    if (!delay) {
      end_ = End::GaveUp;
      return step.error();
    }
    if (counters_ != nullptr) counters_->retried();
    if (onRetry) onRetry(step.error(), *delay, failures_);
    if (!stop_.sleepFor(*delay)) {
      end_ = End::Stopped;
      return fail(ErrorCode::Cancelled, "stopped while waiting to retry");
    }
  }
}

}  // namespace dms::http
