#pragma once
/// The checks of a run over many orders that found nothing new (issue 15: a re-sync with
/// nothing new writes nothing per order). Such a reconcile has only one thing to record: when
/// the order was checked (`status`'s "checked"). Writing that alone cost each order a state
/// transaction (and its sync); gathered here, they are written together: one transaction when
/// kMaxChecks have gathered (so a run over 100k orders holds a bounded list) and one at the end
/// (flush(), or the destructor as a safety net). A crash loses only the times of the checks not
/// yet written: the orders show their previous "checked" time and are checked again as usual.
/// Thread-safe: the orders of one run may be reconciled on several threads.

#include <cstddef>
#include <mutex>
#include <vector>

#include "filing/StateStore.h"

namespace ambita::filing {

class CheckBatch {
 public:
  /// Checks held before they are written together.
  static constexpr std::size_t kMaxChecks = 500;

  explicit CheckBatch(StateStore& store) : store_(store) {}
  /// Writes what is left (errors ignored: call flush() to see them).
  ~CheckBatch();
  CheckBatch(const CheckBatch&) = delete;
  CheckBatch& operator=(const CheckBatch&) = delete;

  /// Adds one check; writes the gathered ones when kMaxChecks are reached (without holding the
  /// batch's lock while the store writes).
  dms::Status add(OrderCheck check);
  /// Writes the gathered checks in one transaction.
  dms::Status flush();

 private:
  StateStore& store_;
  std::mutex mutex_;
  std::vector<OrderCheck> checks_;
};

}  // namespace ambita::filing
