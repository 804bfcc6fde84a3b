#pragma once
/// Group commit of a whole-filesystem sync (syncfs) for the batches of one target (issue 15,
/// row 1): batches committing at the same time (`sync` files several orders at once) share one
/// sync instead of each paying its own.
///
/// syncAfterNow() returns once a sync that *started after the call* has finished: everything
/// the caller wrote before calling is then on disk. A sync already running when the call comes
/// may have started before the caller's last write, so the caller waits for it to end and for
/// the next one; every caller arriving meanwhile shares that next sync. So N batches committing
/// together cost at most two syncs, not N, and none is reported durable on a sync that could
/// have missed its data. The result of a round (0 or an errno) goes to every caller it covers;
/// a later round also covers a caller, so a caller woken late takes the newest result.
///
/// No lock is held during the sync itself; a waiting caller waits for a running sync call,
/// which is as long as it would have waited in its own.

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>

namespace dms::filesystem {

class SharedSync {
 public:
  /// `sync` runs one sync and returns 0 or an errno; it must not throw.
  explicit SharedSync(std::function<int()> sync) : sync_(std::move(sync)) {}
  SharedSync(const SharedSync&) = delete;
  SharedSync& operator=(const SharedSync&) = delete;

  /// Waits for (or runs) a sync that starts after this call; its result: 0 or an errno.
  int syncAfterNow();
  /// Callers waiting for another caller's sync to finish (for tests).
  std::size_t waitingCallers();

 private:
  std::function<int()> sync_;
  std::mutex mutex_;
  std::condition_variable roundFinished_;
  std::uint64_t roundsStarted_ = 0;
  std::uint64_t roundsFinished_ = 0;  ///< the last started round, once none is running
  bool running_ = false;
  std::size_t waiting_ = 0;
  int lastResult_ = 0;  ///< of round roundsFinished_
};

}  // namespace dms::filesystem
