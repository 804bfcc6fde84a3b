#include "push/PushWorkers.h"

#include <Poco/Timestamp.h>

#include <algorithm>
#include <map>

namespace ambita::push {
namespace {

constexpr const char* kSource = "ambita.push";

}  // namespace

PushWorkers::PushWorkers(PushInbox& inbox, filing::Reconciler& reconciler, dms::Logger& logger,
                         std::size_t threads)
    : inbox_(inbox),
      reconciler_(reconciler),
      logger_(logger),
      threadCount_(std::max<std::size_t>(1, threads)) {}

PushWorkers::~PushWorkers() {
  stop();
}

void PushWorkers::start() {
  if (!threads_.empty()) return;
  stopping_ = false;
  for (std::size_t i = 0; i < threadCount_; ++i) threads_.emplace_back([this] { loop(); });
}

void PushWorkers::stop() noexcept {
  stopping_ = true;
  reconciler_.requestStop();
  inbox_.wakeAll();
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
    // Idle: sleep until a message arrives (or a postponed one may be due).
    if (!worked && !stopping_) inbox_.waitForWork(std::chrono::seconds(5));
  }
}

std::size_t PushWorkers::drainForTest() {
  std::size_t n = 0;
  while (processOne()) ++n;
  return n;
}

bool PushWorkers::processOne() {
  auto due = inbox_.due(500);
  if (!due) {
    logger_.error(kSource, "push inbox: " + due.error().describe());
    return false;
  }
  std::int64_t orderId = 0;
  {
    std::lock_guard lock(claimMutex_);
    for (const auto& m : *due) {
      if (claimed_.count(m.orderId) == 0) {
        orderId = m.orderId;
        claimed_.insert(orderId);
        break;
      }
    }
  }
  if (orderId == 0) return false;
  struct Release {
    PushWorkers& self;
    std::int64_t id;
    ~Release() {
      {
        std::lock_guard lock(self.claimMutex_);
        self.claimed_.erase(id);
      }
      self.inbox_.wakeAll();
    }
  } release{*this, orderId};

  // Every queued message of this order is answered by one reconcile.
  std::int64_t upToSeq = 0;
  int attempts = 0;
  bool fromPush = false;
  filing::TrackedOrder hint;
  hint.id = orderId;
  hint.origin = filing::OrderOrigin::Poll;
  hint.trackedAt = filing::AuditLog::now();
  for (const auto& m : *due) {
    if (m.orderId != orderId) continue;
    upToSeq = std::max(upToSeq, m.seq);
    attempts = std::max(attempts, m.attempts);
    if (m.source == "push") {
      fromPush = true;
      hint.origin = filing::OrderOrigin::Push;
    }
    if (hint.reference.empty()) hint.reference = m.reference;
    if (hint.technicalReference.empty()) hint.technicalReference = m.technicalReference;
  }
  const auto reason = fromPush ? filing::Reason::Push : filing::Reason::Poll;
  auto report = reconciler_.reconcile(orderId, reason, {}, &hint);
  auto& store = inbox_.store();
  if (report && report->ok()) {
    if (report->filed + report->removed > 0)
      logger_.info(kSource, "order " + std::to_string(orderId) + ": filed " +
                                std::to_string(report->filed) + ", removed " +
                                std::to_string(report->removed));
    if (auto s = store.completeMessages(orderId, upToSeq); !s)
      logger_.error(kSource, s.error().describe());
    return true;
  }
  if (stopping_) return true;  // abandoned: the messages stay and are processed after a restart
  const std::string why = report ? report->problems.front() : report.error().describe();
  if (attempts + 1 >= kMaxAttempts) {
    logger_.error(kSource, "order " + std::to_string(orderId) + ": giving up after " +
                               std::to_string(attempts + 1) + " attempts: " + why);
    if (auto s = store.commit(
            {}, {filing::AuditLog::entry(
                    orderId, "", "failed", reason, "",
                    "gave up after " + std::to_string(attempts + 1) + " attempts: " + why)});
        !s)
      logger_.error(kSource, s.error().describe());
    if (auto s = store.completeMessages(orderId, upToSeq); !s)
      logger_.error(kSource, s.error().describe());
    return true;
  }
  // Exponential backoff: 15 s, 30 s, 1 min, ... capped at 30 min.
  const std::int64_t delay = std::min<std::int64_t>(15LL << std::min(attempts, 7), 30 * 60);
  logger_.warning(kSource, "order " + std::to_string(orderId) + ": " + why + " (retry in " +
                               std::to_string(delay) + " s)");
  if (auto s = store.postponeMessages(orderId, upToSeq, Poco::Timestamp().epochTime() + delay); !s)
    logger_.error(kSource, s.error().describe());
  return true;
}

}  // namespace ambita::push
