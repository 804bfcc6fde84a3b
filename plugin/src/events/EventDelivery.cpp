#include "events/EventDelivery.h"

#include <chrono>

namespace ambita::events {
namespace {

constexpr const char* kSource = "ambita.events";
/// How often the thread looks for new events: the outbox is written by other threads and
/// processes (sync), so it is polled; one cheap query a second.
constexpr std::chrono::seconds kRoundInterval{1};
/// Heads of orders read per query.
constexpr std::size_t kBatch = 100;

}  // namespace

EventDelivery::EventDelivery(filing::StateStore& store, dms::EventSink* sink, dms::Logger& logger,
                             DeliveryOptions options, filing::EpochClock clock)
    : store_(store), sink_(sink), logger_(logger), options_(options), clock_(std::move(clock)) {}

EventDelivery::~EventDelivery() {
  stop();
}

void EventDelivery::start() {
  if (thread_.joinable()) return;
  {
    std::lock_guard lock(mutex_);
    stopping_ = false;
  }
  thread_ = std::thread([this] { loop(); });
}

void EventDelivery::stop() noexcept {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

bool EventDelivery::stopping() {
  std::lock_guard lock(mutex_);
  return stopping_;
}

void EventDelivery::loop() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    lock.unlock();
    deliverDue();
    lock.lock();
    cv_.wait_for(lock, kRoundInterval, [this] { return stopping_; });
  }
}

std::size_t EventDelivery::deliverDue() {
  // One round at a time (the sink is never called concurrently): a round that finds another
  // running (the service's thread while a host runs `sync`) leaves the work to it, waiting
  // for nothing.
  if (roundRunning_.exchange(true)) return 0;
  struct RoundEnd {
    std::atomic<bool>& flag;
    ~RoundEnd() { flag = false; }
  } roundEnd{roundRunning_};
  std::size_t delivered = 0;
  // Each round offers every order's first due event once: taken ones make room for the
  // order's next, refused ones are postponed, so the rounds end.
  while (sink_ != nullptr && !stopping()) {
    auto heads = store_.dueEvents(clock_(), options_.retryMaxSeconds, kBatch);
    if (!heads) {
      logger_.error(kSource, heads.error().describe());
      break;
    }
    if (heads->empty()) break;
    std::size_t taken = 0;
    for (const auto& event : *heads) {
      if (stopping()) break;
      if (offer(event)) ++taken;
    }
    delivered += taken;
    if (taken == 0) break;
  }
  enforceRetention();
  return delivered;
}

bool EventDelivery::offer(const filing::OutboxEvent& event) {
  const std::string what = "event " + event.eventId + " (" + event.kind + ", order " +
                           std::to_string(event.orderId) + ", asset " + event.assetId + ")";
  auto document = filing::toDocumentEvent(event);
  if (!document) {
    // Not from this code's commits (a hand-edited state): it can never be delivered.
    logger_.error(kSource, document.error().describe() + "; removed from the outbox");
    (void)store_.completeEvent(event.seq);
    return true;
  }
  dms::Status delivered = sink_->deliver(*document);
  if (delivered) {
    if (auto s = store_.completeEvent(event.seq); !s) {
      // Delivered again later: at least once, the host dedupes by id.
      logger_.error(kSource, what + ": delivered, but " + s.error().describe());
    }
    return true;
  }
  const int failures = event.attempts + 1;
  const auto wait = filing::backoffSeconds(failures, 1, options_.retryMaxSeconds);
  const std::string why = delivered.error().describe();
  logger_.warning(kSource, what + ": the host did not take it (attempt " +
                               std::to_string(failures) + "): " + why + "; offered again in " +
                               std::to_string(wait) + " s");
  if (auto s = store_.postponeEvent(event.seq, clock_() + wait, why); !s)
    logger_.error(kSource, s.error().describe());
  return false;
}

void EventDelivery::enforceRetention() {
  auto dropped = store_.dropOldestEvents(options_.maxPending);
  if (!dropped) {
    logger_.error(kSource, dropped.error().describe());
    return;
  }
  if (*dropped == 0) return;
  logger_.warning(kSource, "dropped the " + std::to_string(*dropped) +
                               " oldest undelivered document event(s): more than "
                               "events.maxPending (" +
                               std::to_string(options_.maxPending) + ") were waiting" +
                               (sink_ == nullptr ? " and this host takes no events" : ""));
}

}  // namespace ambita::events
