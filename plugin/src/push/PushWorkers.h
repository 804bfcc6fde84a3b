#pragma once
/// Workers that empty the push inbox: each takes the oldest due message whose order nobody is
/// working on, folds every queued message of that order into one reconcile (duplicates and
/// reordering are harmless: the GET decides), and then removes them, or postpones them with
/// backoff when the reconcile failed (15 s doubling up to push.retryMaxMinutes, for
/// push.retryDays: an Ambita outage or expired credentials must not lose an order; then the
/// order is given up and audited). Orders run in parallel (poll.workers threads), one order on
/// at most one worker; an order another process sharing the state reconciles is passed over.
///
/// Lifecycle: start() launches the threads; stop() asks the reconciler to stop, wakes and
/// joins them (nothing left running). Not copyable; start/stop from one thread.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "dms/Logger.h"
#include "filing/FilingService.h"
#include "push/PushInbox.h"

namespace ambita::push {

/// How an order whose reconcile fails is retried (seconds).
struct OrderRetry {
  std::int64_t firstDelay = 15;
  std::int64_t maxDelay = 60 * 60;
  /// How long an order is retried (InboxMessage::failingSeconds: the gaps between attempts,
  /// each counted at most as maxDelay, so a clock jump cannot cut it short); then the messages
  /// are dropped and the drop audited (the poller still looks at a tracked order later).
  std::int64_t giveUpAfter = 7 * 24 * 60 * 60;
};

class PushWorkers {
 public:
  PushWorkers(PushInbox& inbox, filing::FilingService& service, dms::Logger& logger,
              std::size_t threads, OrderRetry retry = {});
  ~PushWorkers();
  PushWorkers(const PushWorkers&) = delete;
  PushWorkers& operator=(const PushWorkers&) = delete;

  /// Starts the worker threads (no-op when running).
  void start();
  /// Tells the workers to stop and wakes them, without waiting. The plugin's stop() calls it
  /// before it cancels the client and the target: a reconcile those make fail (its order GET
  /// answering `Cancelled`) is then seen as abandoned by a stop, not as a failed attempt whose
  /// messages would wait out a backoff after the next start.
  void requestStop() noexcept;
  /// requestStop(), then joins the workers; idempotent.
  void stop() noexcept;

  /// Processes due messages on the calling thread until none is left (tests, `sync`).
  /// Returns how many orders were reconciled.
  std::size_t drainForTest();

 private:
  void loop();
  /// Claims the next order and reconciles it; false when nothing was due (or every due order
  /// is being reconciled by another process sharing the state).
  bool processOne();
  /// Reconciles a claimed order and answers its messages; false (nothing done, the claim
  /// released) when another process holds the order's lease.
  bool reconcileClaimed(const filing::QueuedOrder& queued);
  /// Answers the order's messages up to `upToSeq` after a failed reconcile: postponed with
  /// backoff, or dropped (and audited) once the order has been failing for retry_.giveUpAfter.
  void postponeOrGiveUp(const filing::QueuedOrder& queued, const std::string& why);

  PushInbox& inbox_;
  filing::FilingService& service_;
  dms::Logger& logger_;
  std::size_t threadCount_;
  OrderRetry retry_;
  std::atomic<bool> stopping_{false};
  std::mutex claimMutex_;
  std::set<std::int64_t> claimed_;
  std::vector<std::thread> threads_;

  // --- Orders shared out between hosts (issue 11, branch pagerest)
 public:
  /// How long a worker waits before claiming another order, for each order this process
  /// reconciles already (0: none). Default: kClaimPausePerOrderInFlight with a state shared by
  /// several processes (StateStore::sharedByProcesses), 0 otherwise. Set before start().
  void setClaimPausePerOrderInFlight(std::chrono::milliseconds pause) { claimPause_ = pause; }
  std::chrono::milliseconds claimPausePerOrderInFlight() const { return claimPause_; }
  /// Several hosts share one inbox and an order goes to the first that claims it: a host with
  /// no order at all claims at once, one with k orders in flight k × 30 ms later, so that an idle
  /// host takes a new order before a busy one queues it behind its own downloads (cluster_bench:
  /// one host took 3 of the last 5 orders and finished 0.3-0.7 s after the others). A host
  /// with a state of its own does not pause.
  static constexpr std::chrono::milliseconds kClaimPausePerOrderInFlight{30};

 private:
  /// Waits claimPause_ times `inFlight` (stop() ends it); false when stopping.
  bool pauseFor(std::size_t inFlight);
  std::size_t ordersInFlight();
  std::chrono::milliseconds claimPause_;
  std::mutex pauseMutex_;
  std::condition_variable pauseCv_;
};

}  // namespace ambita::push
