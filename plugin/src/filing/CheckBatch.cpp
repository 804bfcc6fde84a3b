#include "filing/CheckBatch.h"

#include <utility>

namespace ambita::filing {

CheckBatch::~CheckBatch() {
  try {
    (void)flush();
  } catch (...) {
    // A destructor lets nothing out; the check times not written are the only loss.
  }
}

dms::Status CheckBatch::add(OrderCheck check) {
  std::vector<OrderCheck> full;
  {
    std::lock_guard lock(mutex_);
    checks_.push_back(std::move(check));
    if (checks_.size() < kMaxChecks) return {};
    full = std::exchange(checks_, {});
  }
  return store_.recordChecks(full);
}

dms::Status CheckBatch::flush() {
  std::vector<OrderCheck> gathered;
  {
    std::lock_guard lock(mutex_);
    gathered = std::exchange(checks_, {});
  }
  return store_.recordChecks(gathered);
}

}  // namespace ambita::filing
