#include "push/PushInbox.h"

#include "filing/AuditLog.h"

namespace ambita::push {

dms::Status PushInbox::add(const api::PushMessage& message, const std::string& source) {
  filing::InboxMessage m;
  m.orderId = message.orderCollectionId;
  m.status = message.status;
  m.source = source;
  m.receivedAt = filing::AuditLog::now();
  bool merged = false;
  auto seq = store_.enqueue(m, source == "push" ? maxOrders_ : 0, &merged);
  if (!seq) return seq.error();
  if (merged && source == "push" && metrics_ != nullptr) metrics_->coalesced();
  wakeAll();
  return {};
}

dms::Result<std::vector<filing::InboxMessage>> PushInbox::due(std::int64_t longestWaitSeconds,
                                                              std::size_t limit) {
  return store_.dueMessages(now(), longestWaitSeconds, limit);
}

void PushInbox::waitForWork(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  const auto seen = generation_;
  cv_.wait_for(lock, timeout, [&] { return generation_ != seen; });
}

void PushInbox::wakeAll() {
  {
    std::lock_guard lock(mutex_);
    ++generation_;
  }
  cv_.notify_all();
}

}  // namespace ambita::push
