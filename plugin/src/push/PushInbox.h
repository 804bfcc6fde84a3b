#pragma once
/// The push inbox: messages (from Ambita's pushes, and from the poller) stored in the state
/// database before they are answered, so that nothing received is lost; workers wait on it.
/// Only the order id of a message is kept (a push body is not trusted beyond it); messages of
/// one order are merged into one, and at most `maxOrders` orders wait (pushes beyond are
/// refused, so forged ids cannot grow it without bound). Thread-safe.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
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

  /// Stores the order id of `message` (source "push" or "poll") and wakes a waiting worker.
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
};

}  // namespace ambita::push
