#include "push/PushInbox.h"

#include <algorithm>

#include "filing/AuditLog.h"

namespace ambita::push {

dms::Status PushInbox::add(const api::PushMessage& message, const std::string& source) {
  filing::InboxMessage m;
  m.orderId = message.orderCollectionId;
  m.status = message.status;
  m.source = source;
  m.receivedAt = filing::AuditLog::now();
  // The poller's messages are few and never refused: one transaction each, as before.
  bool merged = false;
  auto seq = source == "push" ? storeWithOthers(std::move(m), merged) : store_.enqueue(m, 0);
  if (!seq) return seq.error();
  if (merged && source == "push" && metrics_ != nullptr) metrics_->coalesced();
  // A push's commit woke the workers already, once for every push in it (commitWaiting).
  if (source != "push") wakeAll();
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

// --- push group commit (issue 15)

dms::Result<std::int64_t> PushInbox::storeWithOthers(filing::InboxMessage message, bool& merged) {
  auto pending = std::make_shared<PendingPush>();
  pending->message = std::move(message);
  std::unique_lock lock(commitMutex_);
  if (waiting_.size() >= maxWaitingPushes_) {
    ++busyRefusals_;
    return dms::Error{dms::ErrorCode::Unavailable,
                      "push inbox busy: " + std::to_string(waiting_.size()) +
                          " pushes wait for their commit; order " +
                          std::to_string(pending->message.orderId) + " not queued",
                      std::chrono::milliseconds(1000)};
  }
  waiting_.push_back(pending);
  const auto deadline = std::chrono::steady_clock::now() + kMaxCommitWait;
  while (!pending->stored) {
    if (!committing_) {
      commitWaiting(lock);
      continue;
    }
    // Another thread's transaction is running; ours may be in it or come next.
    if (stopped_ || committed_.wait_until(lock, deadline) == std::cv_status::timeout) {
      if (pending->stored) break;
      return dms::Error{
          dms::ErrorCode::Unavailable,
          std::string("the push for order ") + std::to_string(pending->message.orderId) +
              (stopped_
                   ? " was not committed before the service stopped"
                   : " was not committed within " + std::to_string(kMaxCommitWait.count()) + " s"),
          std::chrono::milliseconds(1000)};
    }
  }
  merged = pending->merged;
  return *pending->stored;
}

void PushInbox::commitWaiting(std::unique_lock<std::mutex>& lock) {
  committing_ = true;
  std::vector<std::shared_ptr<PendingPush>> batch;
  batch.swap(waiting_);
  const auto beforeCommit = beforeCommitForTest_;
  lock.unlock();
  if (beforeCommit) beforeCommit();
  std::vector<filing::InboxMessage> messages;
  messages.reserve(batch.size());
  for (const auto& pending : batch) messages.push_back(pending->message);
  std::vector<bool> merged;
  auto stored = store_.enqueueBatch(messages, maxOrders_, &merged);  // no lock held: database I/O
  // One wake-up for the whole group (issue 15, branch push): each wake sends the idle workers to
  // the inbox (a query under the store's lock, beside the next group commit), and one finds
  // every message the group stored.
  if (stored && std::any_of(stored->begin(), stored->end(), [](const auto& r) { return r.ok(); }))
    wakeAll();
  lock.lock();
  for (std::size_t i = 0; i < batch.size(); ++i) {
    if (!stored)
      batch[i]->stored = dms::Result<std::int64_t>(stored.error());
    else
      batch[i]->stored = std::move((*stored)[i]);
    if (i < merged.size()) batch[i]->merged = merged[i];
  }
  ++pushCommits_;
  committing_ = false;
  committed_.notify_all();
}

void PushInbox::stop() {
  {
    std::lock_guard lock(commitMutex_);
    stopped_ = true;
  }
  committed_.notify_all();
}

void PushInbox::resume() {
  std::lock_guard lock(commitMutex_);
  stopped_ = false;
}

std::uint64_t PushInbox::busyRefusals() const {
  std::lock_guard lock(commitMutex_);
  return busyRefusals_;
}

std::uint64_t PushInbox::pushCommitsForTest() const {
  std::lock_guard lock(commitMutex_);
  return pushCommits_;
}

std::size_t PushInbox::waitingPushesForTest() const {
  std::lock_guard lock(commitMutex_);
  return waiting_.size();
}

void PushInbox::setMaxWaitingPushesForTest(std::size_t max) {
  std::lock_guard lock(commitMutex_);
  maxWaitingPushes_ = max;
}

void PushInbox::setBeforeCommitForTest(std::function<void()> hook) {
  std::lock_guard lock(commitMutex_);
  beforeCommitForTest_ = std::move(hook);
}

bool PushInbox::commitRunningForTest() const {
  std::lock_guard lock(commitMutex_);
  return committing_;
}

// --- one wake-up per group commit (issue 15, branch push)

std::uint64_t PushInbox::wakeupsForTest() {
  std::lock_guard lock(mutex_);
  return generation_;
}

}  // namespace ambita::push
