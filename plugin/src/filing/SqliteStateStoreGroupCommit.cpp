// SqliteStateStore: group commit, the log synced outside the store's mutex (issue 15, branch
// groupcommit). durably() (SqliteStateStore.h) and SqliteLogSync do the work; stop() ends the
// waits for another thread's sync.
#include "filing/SqliteStateStore.h"

namespace ambita::filing {

void SqliteStateStore::cancelWaits() noexcept {
  logSync_->cancelWaits();
}

void SqliteStateStore::resumeWaits() noexcept {
  logSync_->resumeWaits();
}

}  // namespace ambita::filing
