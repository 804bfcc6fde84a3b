// SqliteStateStore: merging a message into the push inbox (issue 15, branch pushack). It runs
// once for every push, inside the group commit's transaction (PushInbox), so its statements are
// compiled once per connection (statements_) and a message costs two of them: one that writes
// the merged row and one that removes what it replaces.
#include "filing/SqliteStateStore.h"

namespace ambita::filing {
namespace {

/// The merged message of ?1 (order), ?2 (status), ?3 (source), ?4 (received at), ?5 (not
/// before): what the messages already waiting for the order carry over (attempts, backoff,
/// first and last failure, how long it has been failing, the newest error; "push" when any of
/// them was a push) with the new message's words. Nothing is inserted for an order that is not
/// waiting yet while ?6 (maxOrders; 0: no bound) orders wait: the inbox is full.
constexpr const char* kMergeMessage =
    "INSERT INTO inbox(order_id, status, source, received_at, attempts, not_before, "
    "first_failure, last_failure, failing_seconds, last_error) "
    "SELECT ?1, ?2, CASE WHEN waiting.any_push THEN 'push' ELSE ?3 END, ?4, waiting.attempts, "
    "MAX(waiting.not_before, ?5), waiting.first_failure, waiting.last_failure, "
    "waiting.failing_seconds, waiting.last_error FROM ("
    "SELECT COUNT(*) AS messages, COALESCE(MAX(attempts), 0) AS attempts, "
    "COALESCE(MAX(not_before), 0) AS not_before, "
    "COALESCE(MIN(NULLIF(first_failure, 0)), 0) AS first_failure, "
    "COALESCE(MAX(source = 'push'), 0) AS any_push, COALESCE(MAX(last_failure), 0) AS "
    "last_failure, "
    "COALESCE(MAX(failing_seconds), 0) AS failing_seconds, "
    "COALESCE((SELECT last_error FROM inbox WHERE order_id = ?1 ORDER BY seq DESC LIMIT 1), '') "
    "AS last_error FROM inbox WHERE order_id = ?1) AS waiting "
    "WHERE waiting.messages > 0 OR ?6 = 0 OR (SELECT COUNT(DISTINCT order_id) FROM inbox) < ?6";

}  // namespace

dms::Result<std::int64_t> SqliteStateStore::mergeIntoInbox(const InboxMessage& m,
                                                           std::size_t maxOrders, bool& merged) {
  statements_->prepare(kMergeMessage)
      .bindAll(m.orderId, m.status, m.source, m.receivedAt, m.notBeforeEpoch,
               static_cast<std::int64_t>(maxOrders))
      .run();
  merged = false;
  if (statements_->changes() == 0) {
    // Refused: the rare path, so the count for the message is read only here.
    auto orders = statements_->prepare("SELECT COUNT(DISTINCT order_id) FROM inbox");
    const std::int64_t waiting = orders.step() ? orders.integer(0) : 0;
    return dms::fail(dms::ErrorCode::Unavailable,
                     "push inbox full: " + std::to_string(waiting) +
                         " orders wait (push.maxQueuedOrders); order " + std::to_string(m.orderId) +
                         " not queued");
  }
  // The merged row has a new seq (a reconcile running for the order completes only what it
  // read); the rows it replaces go.
  const std::int64_t seq = statements_->lastInsertRowid();
  statements_->prepare("DELETE FROM inbox WHERE order_id = ? AND seq < ?")
      .bindAll(m.orderId, seq)
      .run();
  merged = statements_->changes() > 0;
  return seq;
}

}  // namespace ambita::filing
