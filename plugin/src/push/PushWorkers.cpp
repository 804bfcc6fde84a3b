#include "push/PushWorkers.h"

#include <algorithm>
#include <map>

namespace ambita::push {
namespace {

constexpr const char* kSource = "ambita.push";

}  // namespace

PushWorkers::PushWorkers(PushInbox& inbox, filing::FilingService& service, dms::Logger& logger,
                         std::size_t threads, OrderRetry retry)
    : inbox_(inbox),
      service_(service),
      logger_(logger),
      threadCount_(std::max<std::size_t>(1, threads)),
      retry_(retry),
      // Only hosts sharing one inbox gain from pausing; a host alone would only start later.
      claimPause_(service.store().sharedByProcesses() ? kClaimPausePerOrderInFlight
                                                      : std::chrono::milliseconds(0)) {}

PushWorkers::~PushWorkers() {
  stop();
}

void PushWorkers::start() {
  if (!threads_.empty()) return;
  stopping_ = false;
  for (std::size_t i = 0; i < threadCount_; ++i) threads_.emplace_back([this] { loop(); });
}

void PushWorkers::requestStop() noexcept {
  stopping_ = true;
  {
    std::lock_guard lock(pauseMutex_);  // a pausing worker is before its check or waiting
  }
  pauseCv_.notify_all();
  service_.reconciler().requestStop();
  inbox_.wakeAll();
}

void PushWorkers::stop() noexcept {
  requestStop();
  for (auto& t : threads_)
    if (t.joinable()) t.join();
  threads_.clear();
}

void PushWorkers::loop() {
  while (!stopping_) {
    bool worked = false;
    try {
      worked = processOne();
    } catch (const std::exception& e) {
      logger_.error(kSource, std::string("push worker: unexpected error: ") + e.what());
    }
    // Between orders, and when woken after a push commit: the state's checkpoint, so that no
    // commit (no push's ack) waits for one (issue 15, branch pushtail).
    inbox_.store().checkpointIfDue();
    // Idle: sleep until a message arrives (or a postponed one may be due).
    if (!worked && !stopping_) inbox_.waitForWork(std::chrono::seconds(5));
  }
}

std::size_t PushWorkers::drainForTest() {
  std::size_t n = 0;
  while (processOne()) ++n;
  return n;
}

std::size_t PushWorkers::ordersInFlight() {
  std::lock_guard lock(claimMutex_);
  return claimed_.size();
}

bool PushWorkers::pauseFor(std::size_t inFlight) {
  if (inFlight == 0 || claimPause_.count() == 0) return !stopping_;
  std::unique_lock lock(pauseMutex_);
  pauseCv_.wait_for(lock, claimPause_ * inFlight, [this] { return stopping_.load(); });
  return !stopping_;
}

bool PushWorkers::processOne() {
  // The orders in flight here that this worker has paused for. The count is checked again
  // under claimMutex_ when claiming: two workers waking together both see 0 before the query,
  // and the second to claim must still pause for the first's order.
  std::size_t pausedFor = 0;
  for (;;) {
    if (const auto inFlight = ordersInFlight(); inFlight > pausedFor) {
      if (!pauseFor(inFlight)) return false;
      pausedFor = inFlight;
    }
    if (stopping_) return false;
    auto due = service_.queuedOrders(inbox_.now(), retry_.maxDelay, 500);
    if (!due) {
      logger_.error(kSource, "push inbox: " + due.error().describe());
      return false;
    }
    // Orders another process reconciles now (their lease is taken) are passed over: that
    // process answers their messages; what comes in meanwhile stays queued for a later round.
    std::set<std::int64_t> leasedElsewhere;
    bool pauseFirst = false;
    while (!pauseFirst) {
      const filing::QueuedOrder* queued = nullptr;
      {
        std::lock_guard lock(claimMutex_);
        if (claimPause_.count() > 0 && claimed_.size() > pausedFor) {
          pauseFirst = true;  // claimed by another worker since the pause: pause for it too
          continue;
        }
        for (const auto& q : *due) {
          if (leasedElsewhere.count(q.orderId) == 0 && claimed_.insert(q.orderId).second) {
            queued = &q;
            break;
          }
        }
      }
      if (queued == nullptr) return false;
      if (reconcileClaimed(*queued)) return true;
      leasedElsewhere.insert(queued->orderId);
    }
  }
}

bool PushWorkers::reconcileClaimed(const filing::QueuedOrder& queued) {
  struct Release {
    PushWorkers& self;
    std::int64_t id;
    bool wakeOthers = true;  ///< not when nothing changed (they would find the same lease taken)
    ~Release() {
      {
        std::lock_guard lock(self.claimMutex_);
        self.claimed_.erase(id);
      }
      if (wakeOthers) self.inbox_.wakeAll();
    }
  } release{*this, queued.orderId};

  // Every queued message of this order is answered by one reconcile.
  const std::string order = "order " + std::to_string(queued.orderId);
  auto report = service_.reconcileQueued(queued);
  if (report && report->ok()) {
    if (report->filed + report->removed > 0)
      logger_.info(kSource, order + ": filed " + std::to_string(report->filed) + ", removed " +
                                std::to_string(report->removed));
    return true;
  }
  if (!report && report.error().code == dms::ErrorCode::Locked) {
    release.wakeOthers = false;
    return false;
  }
  // Abandoned: the messages stay and are processed after a restart. The plugin's stop() tells
  // the workers (requestStop) before it cancels the client and the target, so whatever those
  // cut short is seen here with stopping_ set; files interrupted and nothing failed is the same.
  if (stopping_ || (report && report->failed == 0 && report->interrupted > 0)) return true;
  const std::string why = report ? report->problems.front() : report.error().describe();
  postponeOrGiveUp(queued, why);
  return true;
}

void PushWorkers::postponeOrGiveUp(const filing::QueuedOrder& queued, const std::string& why) {
  const auto orderId = queued.orderId;
  const auto upToSeq = queued.upToSeq;
  auto& store = inbox_.store();
  const std::int64_t now = inbox_.now();
  int attempts = 0;
  std::int64_t lastFailure = 0, failingSeconds = 0;
  for (const auto& m : queued.messages) {
    attempts = std::max(attempts, m.attempts);
    lastFailure = std::max(lastFailure, m.lastFailureEpoch);
    failingSeconds = std::max(failingSeconds, m.failingSeconds);
  }
  // How long the order has been failing is counted gap by gap, each gap capped at the longest
  // backoff: a clock set forward by days adds at most one backoff, so it cannot make the order
  // give up before push.retryDays of retrying (nor can a clock set back extend it).
  if (attempts > 0) failingSeconds += filing::countedWait(lastFailure, now, retry_.maxDelay);
  const std::string order = "order " + std::to_string(orderId);
  if (failingSeconds >= retry_.giveUpAfter) {
    const std::string detail = "gave up after " + std::to_string(attempts + 1) +
                               " attempts failing for " + std::to_string(failingSeconds / 3600) +
                               " h: " + why;
    logger_.error(kSource, order + ": " + detail);
    if (auto s = store.commit(
            {}, {filing::AuditLog::entry(orderId, "", "failed", queued.reason(), "", detail)});
        !s)
      logger_.error(kSource, s.error().describe());
    if (auto s = store.completeMessages(orderId, upToSeq); !s)
      logger_.error(kSource, s.error().describe());
    return;
  }
  const std::int64_t delay =
      filing::backoffSeconds(attempts + 1, retry_.firstDelay, retry_.maxDelay);
  logger_.warning(kSource, order + ": " + why + " (retry in " + std::to_string(delay) + " s)");
  if (auto s = store.postponeMessages(orderId, upToSeq, now + delay, now, failingSeconds, why); !s)
    logger_.error(kSource, s.error().describe());
}

}  // namespace ambita::push
