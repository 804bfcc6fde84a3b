#pragma once
/// Polling catches what pushes missed: every poll.intervalMinutes (and once at start) it puts a
/// "poll" message into the inbox for every tracked order that is not finished, and for finished
/// ones during poll.finishedDays after they finished (files arrive after FINISHED). The push
/// workers do the rest, so polling and pushes share one queue and one-order-at-a-time.
///
/// Processes sharing one state (PostgreSQL) poll once between them: a round runs only in the
/// process holding the polling lease (StateStore::tryLease), taken at the first round that
/// finds it free and kept until stop(). When its holder dies, another process takes it at its
/// next round, within one interval. With SQLite the lease is always granted.
///
/// Lifecycle: start() launches one thread; stop() wakes and joins it. Not copyable.

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

#include "dms/Logger.h"
#include "push/PushInbox.h"

namespace ambita::push {

class Poller {
 public:
  Poller(PushInbox& inbox, dms::Logger& logger, std::chrono::minutes interval, int finishedDays);
  ~Poller();
  Poller(const Poller&) = delete;
  Poller& operator=(const Poller&) = delete;

  /// Starts the polling thread; its first round runs at once (no-op when running).
  void start();
  /// Wakes and joins the thread; idempotent.
  void stop() noexcept;

  /// One round now on the calling thread; returns how many orders were queued.
  std::size_t pollOnce();

 private:
  void loop();

  PushInbox& inbox_;
  dms::Logger& logger_;
  std::chrono::minutes interval_;
  int finishedDays_;
  std::mutex mutex_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;

  // --- Several hosts (issue 11)
  /// Whether this process polls: takes the polling lease when it is free.
  bool holdsPollingLease();
  std::unique_ptr<filing::StateStore::Lease> pollingLease_;  ///< only the polling thread
};

}  // namespace ambita::push
