#include "push/Poller.h"

#include <limits>
#include <set>

#include "filing/FilingService.h"

namespace ambita::push {
namespace {

constexpr const char* kSource = "ambita.poll";

}  // namespace

Poller::Poller(PushInbox& inbox, dms::Logger& logger, std::chrono::minutes interval,
               int finishedDays)
    : inbox_(inbox), logger_(logger), interval_(interval), finishedDays_(finishedDays) {}

Poller::~Poller() {
  stop();
}

void Poller::start() {
  if (thread_.joinable()) return;
  {
    std::lock_guard lock(mutex_);
    stopping_ = false;
  }
  thread_ = std::thread([this] { loop(); });
}

void Poller::stop() noexcept {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  pollingLease_.reset();  // another process polls from its next round
}

void Poller::loop() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    lock.unlock();
    try {
      if (holdsPollingLease()) pollOnce();
    } catch (const std::exception& e) {
      logger_.error(kSource, std::string("poll: unexpected error: ") + e.what());
    }
    lock.lock();
    cv_.wait_for(lock, interval_, [this] { return stopping_; });
  }
}

bool Poller::holdsPollingLease() {
  if (pollingLease_) return true;
  auto lease = inbox_.store().tryLease(filing::LeaseKey::polling());
  if (!lease) {
    logger_.error(kSource, lease.error().describe());
    return false;
  }
  if (!*lease) {
    logger_.debug(kSource, "another process sharing the state polls");
    return false;
  }
  pollingLease_ = std::move(*lease);
  logger_.info(kSource, "this process polls the tracked orders");
  return true;
}

std::size_t Poller::pollOnce() {
  auto& store = inbox_.store();
  // Orders that already wait in the inbox need no second message.
  std::set<std::int64_t> queued;
  if (auto due = store.dueMessages(std::numeric_limits<std::int64_t>::max(), 0, 100000); due)
    for (const auto& m : *due) queued.insert(m.orderId);
  std::size_t n = 0;
  // Ids and finished times only, a page at a time: a poll of 1M tracked orders holds no whole
  // table (issue 15).
  auto walked = filing::forEachOrderDueForCheck(store, finishedDays_, [&](std::int64_t id) {
    if (queued.count(id) != 0) return;
    api::PushMessage m;
    m.orderCollectionId = id;
    m.status = "POLL";
    if (auto s = inbox_.add(m, "poll"); !s) {
      logger_.error(kSource, s.error().describe());
      return;
    }
    ++n;
  });
  if (!walked) logger_.error(kSource, walked.error().describe());
  if (n > 0)
    logger_.debug(kSource, "queued " + std::to_string(n) + " tracked order(s) for a check");
  return n;
}

}  // namespace ambita::push
