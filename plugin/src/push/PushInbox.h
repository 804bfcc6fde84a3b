#pragma once
/// The push inbox: messages (from Ambita's pushes, and from the poller) stored in the state
/// database before they are answered, so that nothing received is lost; workers wait on it.
/// Thread-safe.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include "api/Model.h"
#include "dms/Error.h"
#include "filing/StateStore.h"

namespace ambita::push {

class PushInbox {
 public:
  /// `store` must outlive the inbox.
  explicit PushInbox(filing::StateStore& store) : store_(store) {}

  /// Stores `message` (source "push" or "poll") and wakes a waiting worker.
  /// Errors: the store's (the caller answers 503 so that Ambita retries).
  dms::Status add(const api::PushMessage& message, const std::string& source);

  /// Messages due now, oldest first.
  dms::Result<std::vector<filing::InboxMessage>> due(std::size_t limit);

  /// Blocks until add() or wakeAll() is called, or `timeout` passes.
  void waitForWork(std::chrono::milliseconds timeout);
  /// Wakes every waiting worker (stop, or an order became free).
  void wakeAll();

  filing::StateStore& store() { return store_; }

 private:
  filing::StateStore& store_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::uint64_t generation_ = 0;  ///< bumped by add()/wakeAll(): no lost wake-ups
};

}  // namespace ambita::push
