#pragma once
/// The push inbox: messages (from Ambita's pushes, and from the poller) stored in the state
/// database before they are answered, so that nothing received is lost; workers wait on it.
/// Only the order id of a message is kept (a push body is not trusted beyond it); messages of
/// one order are merged into one, and at most `maxOrders` orders wait (pushes beyond are
/// refused, so forged ids cannot grow it without bound). Thread-safe.
///
/// Group commit (issue 15): pushes arriving together are stored in one transaction (one sync)
/// by whichever of their threads finds no commit running (the leader; the others wait for it,
/// and the next leader takes what came in meanwhile). Each push is answered only after the
/// transaction holding it committed. At most kMaxWaitingPushes wait; more are refused at once
/// (Unavailable with a retry hint: the endpoint answers 503), and counted.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "api/Model.h"
#include "dms/Error.h"
#include "filing/Clock.h"
#include "filing/StateStore.h"
#include "metrics/PluginMetrics.h"

namespace ambita::push {

class PushInbox {
 public:
  /// `store` must outlive the inbox. `maxOrders` bounds the orders waiting because of pushes
  /// (0 = unbounded); the poller's messages (tracked orders) are never refused.
  explicit PushInbox(filing::StateStore& store, std::size_t maxOrders = 0,
                     filing::EpochClock clock = filing::systemClock())
      : store_(store), maxOrders_(maxOrders), clock_(std::move(clock)) {}

  /// Stores the order id of `message` (source "push" or "poll") and wakes the waiting workers
  /// (pushes: once for every push of the group commit that stored it).
  /// Errors: the store's, or Unavailable when the inbox is full (the caller answers 503 so that
  /// Ambita retries).
  dms::Status add(const api::PushMessage& message, const std::string& source);

  /// Messages due now, oldest first; a wait longer than `longestWaitSeconds` (the longest
  /// backoff) is due at once: only a clock set back can leave one (filing::retryDue).
  dms::Result<std::vector<filing::InboxMessage>> due(std::int64_t longestWaitSeconds,
                                                     std::size_t limit);

  /// Blocks until add() or wakeAll() is called, or `timeout` passes.
  void waitForWork(std::chrono::milliseconds timeout);
  /// Wakes every waiting worker (stop, or an order became free).
  void wakeAll();

  filing::StateStore& store() { return store_; }
  /// Seconds since the epoch, from the injected clock (backoff decisions).
  std::int64_t now() const { return clock_(); }

 private:
  filing::StateStore& store_;
  std::size_t maxOrders_;
  filing::EpochClock clock_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::uint64_t generation_ = 0;  ///< bumped by add()/wakeAll(): no lost wake-ups

  // --- metrics (issue 9)
 public:
  /// Counts each push merged into a message of its order already waiting (from now on; null:
  /// not counted). Set before pushes arrive; `metrics` must outlive the inbox.
  void countInto(metrics::PushMetrics* metrics) { metrics_ = metrics; }

 private:
  metrics::PushMetrics* metrics_ = nullptr;
  // --- push group commit (issue 15)
 public:
  /// Pushes waiting for their commit at most; more are refused at once.
  static constexpr std::size_t kMaxWaitingPushes = 4096;
  /// Longest a push waits for the commit of others before it is answered "try again" (Ambita's
  /// retry is merged into the message if it was stored after all).
  static constexpr std::chrono::seconds kMaxCommitWait{30};
  /// Pushes waiting for a commit give up at once (answered "try again") and new ones do not
  /// wait for another thread's commit; the plugin's stop() calls it, start() resume().
  void stop();
  void resume();
  /// Pushes refused because kMaxWaitingPushes were waiting.
  std::uint64_t busyRefusals() const;
  /// Transactions made for pushes so far (tests: proves the grouping).
  std::uint64_t pushCommitsForTest() const;
  /// Pushes waiting for the next commit (not yet in a running one), and whether one runs.
  std::size_t waitingPushesForTest() const;
  void setMaxWaitingPushesForTest(std::size_t max);
  /// Called by each leader before its transaction, with no lock held (tests hold a commit).
  void setBeforeCommitForTest(std::function<void()> hook);
  bool commitRunningForTest() const;

 private:
  struct PendingPush {
    filing::InboxMessage message;
    std::optional<dms::Result<std::int64_t>> stored;  ///< set by the leader after the commit
    bool merged = false;  ///< merged into a message of its order already waiting
  };
  /// Stores a push with the others that arrive meanwhile; returns after its commit. `merged`:
  /// whether it was merged into a message of its order already waiting.
  dms::Result<std::int64_t> storeWithOthers(filing::InboxMessage message, bool& merged);
  /// As leader: takes every waiting push, stores them in one transaction with `lock` released,
  /// hands each its result and wakes the waiters.
  void commitWaiting(std::unique_lock<std::mutex>& lock);

  mutable std::mutex commitMutex_;
  std::condition_variable committed_;
  std::vector<std::shared_ptr<PendingPush>> waiting_;
  std::size_t maxWaitingPushes_ = kMaxWaitingPushes;
  std::function<void()> beforeCommitForTest_;
  bool committing_ = false;
  bool stopped_ = false;
  std::uint64_t busyRefusals_ = 0;
  std::uint64_t pushCommits_ = 0;

  // --- one wake-up per group commit (issue 15, branch push)
 public:
  /// Wake-ups of the workers so far (add() of a poll message, wakeAll(), one per push commit).
  std::uint64_t wakeupsForTest();
};

}  // namespace ambita::push
