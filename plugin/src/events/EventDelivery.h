#pragma once
/// Hands the document events of the state's outbox (filing/Outbox.h) to the host's
/// dms::EventSink: at least once, in order per order (an order's next event only after its
/// previous one was taken), one call at a time. A refused event is offered again with backoff
/// (1 s, doubling up to `retryMaxSeconds`) before any later event of its order; other orders
/// go on meanwhile. Without a sink nothing is delivered and the events wait in the outbox,
/// bounded by `maxPending`: beyond it the oldest are dropped with a warning naming how many.
///
/// Lifecycle: start() launches one thread that delivers what is due every second; stop() wakes
/// and joins it (a delivery in flight finishes: the sink bounds its own calls). deliverDue()
/// runs one round on the calling thread (the sync command, tests). Not copyable.

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <thread>

#include "dms/Events.h"
#include "dms/Logger.h"
#include "filing/Clock.h"
#include "filing/StateStore.h"

namespace ambita::events {

struct DeliveryOptions {
  std::size_t maxPending = 100000;     ///< events.maxPending: the outbox's retention bound
  std::int64_t retryMaxSeconds = 300;  ///< events.retryMaxSeconds: the longest backoff
};

class EventDelivery {
 public:
  /// `sink` may be null (the host takes no events). Everything passed outlives this object.
  EventDelivery(filing::StateStore& store, dms::EventSink* sink, dms::Logger& logger,
                DeliveryOptions options, filing::EpochClock clock = filing::systemClock());
  ~EventDelivery();
  EventDelivery(const EventDelivery&) = delete;
  EventDelivery& operator=(const EventDelivery&) = delete;

  /// Starts the delivery thread; its first round runs at once (no-op when running).
  void start();
  /// Wakes and joins the thread; idempotent.
  void stop() noexcept;

  /// Delivers every event due now, order by order, until none is due, the sink refused each
  /// order's next event, or stop() was called; then applies the retention bound. Returns how
  /// many events the sink took. Returns 0 at once while another round runs (that one goes on).
  std::size_t deliverDue();

 private:
  void loop();
  bool stopping();
  /// Offers one event; true when the sink took it (or it can never be delivered: logged).
  bool offer(const filing::OutboxEvent& event);
  void enforceRetention();

  filing::StateStore& store_;
  dms::EventSink* sink_;
  dms::Logger& logger_;
  DeliveryOptions options_;
  filing::EpochClock clock_;
  std::mutex mutex_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;
  std::atomic<bool> roundRunning_{false};  ///< a deliverDue() round is in progress
};

}  // namespace ambita::events
