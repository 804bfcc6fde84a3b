#pragma once
/// Group commit of a whole-filesystem sync (syncfs) for the batches of one target (issue 15,
/// row 1): batches committing at the same time (`sync` files several orders at once) share one
/// sync instead of each paying its own.
///
/// syncAfterNow() returns once a sync that *started after the call* has finished: everything
/// the caller wrote before calling is then on disk. A caller arriving while a sync that started
/// after its call runs shares that one; otherwise it starts its own at once (up to kMostInFlight
/// at a time, each on a descriptor of its own), without first waiting for the syncs already
/// running, which may have started before its last write and so cannot answer it (branch row1q:
/// waiting for them first put a whole sync's time on every batch that arrived mid-sync). Beyond
/// that bound callers wait for a running sync to end. None is reported durable on a sync that
/// could have missed its data.
///
/// Results: a caller gets an error if any sync that started after its call and ended before it
/// returned failed, else 0. Each sync runs on its own descriptor (opened together: the kernel
/// tells each descriptor of every writeback error after its opening, once), so an error seen by
/// one sync is not hidden from a sync on another descriptor running beside it. A descriptor
/// already told of an error does not tell it again, though: a sync that started before the
/// call (or ended before it) may have taken the error of a page the caller wrote, and the
/// caller's own sync, on that descriptor later, returns 0. So a caller takes a mark before its
/// writes (markBeforeWrites()) and also gets the error of any sync that ended after the mark
/// (branch waits): an error after the mark is taken by a sync that ends after it. It may be
/// another file's error on the same filesystem; syncfs cannot tell, so the batch fails.
///
/// No lock is held during a sync itself; a waiting caller waits for a running sync call, which
/// is as long as it would have waited in its own. Every such wait has a deadline (kLongestWait)
/// and ends at cancelWaits() (the target's cancel(), called by the plugin's stop()): the caller
/// then gets an error naming the target's root, never a success its data may not have had.
/// A caller that can start a sync of its own still does after cancelWaits(): that is its own
/// I/O, not a wait for somebody else's.

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>

#include "dms/Error.h"

namespace dms::filesystem {

class SharedSync {
 public:
  /// Syncs that may run at once (as many descriptors as the sync function is given).
  static constexpr int kMostInFlight = 3;

  /// How long a caller waits for syncs other callers run before it gives up.
  static constexpr std::chrono::milliseconds kLongestWait = std::chrono::seconds(60);

  /// `root`: the synced folder, for messages. `sync(slot)` runs one sync on descriptor `slot`
  /// (0 to kMostInFlight - 1, never two calls with the same slot at once) and returns 0 or an
  /// errno; it must not throw. `longestWait`: kLongestWait unless a test shortens it.
  SharedSync(std::string root, std::function<int(int slot)> sync,
             std::chrono::milliseconds longestWait = kLongestWait)
      : root_(std::move(root)), sync_(std::move(sync)), longestWait_(longestWait) {}
  SharedSync(const SharedSync&) = delete;
  SharedSync& operator=(const SharedSync&) = delete;

  /// Waits for (or runs) a sync that starts after this call. Errors: the errno's kind (a sync
  /// failed); Unavailable (other callers' syncs ran past the deadline); Cancelled (a wait for
  /// other callers' syncs was ended by cancelWaits()). Each message names the root.
  /// `writesAfter`: markBeforeWrites() taken before the caller's writes.
  dms::Status syncAfterNow(std::uint64_t writesAfter);
  /// A mark to take before writing what a later syncAfterNow() is to make durable.
  std::uint64_t markBeforeWrites();
  /// Ends the waits for other callers' syncs at once, and fails every such wait until
  /// resumeWaits(). Thread-safe.
  void cancelWaits() noexcept;
  void resumeWaits() noexcept;
  /// Callers waiting for another caller's sync to finish (for tests).
  std::size_t waitingCallers();
  /// The most syncs that ran at once so far (for tests).
  int mostInFlight();

 private:
  /// The result for a caller that called when `calledAfter` syncs had started: the first error
  /// of a finished sync numbered above it, else 0; nothing if none of those has finished.
  bool answer(std::uint64_t calledAfter, int& result) const;
  /// Runs sync number `round` on a free slot, the lock released meanwhile.
  void run(std::unique_lock<std::mutex>& lock, std::uint64_t round);
  /// Forgets the results no caller can still ask for.
  void forgetAnswered();

  /// The error for a caller that got no answer (cancelled, or past its deadline).
  dms::Error unanswered(bool cancelled) const;

  const std::string root_;
  std::function<int(int)> sync_;
  const std::chrono::milliseconds longestWait_;
  std::mutex mutex_;
  std::condition_variable syncFinished_;
  std::uint64_t started_ = 0;              ///< syncs started so far; sync n is the n-th one
  std::map<std::uint64_t, int> finished_;  ///< sync number -> result, while a caller may ask
  std::multiset<std::uint64_t> callers_;   ///< each present caller's `calledAfter`
  unsigned busySlots_ = 0;                 ///< bit i: slot i is in use
  int inFlight_ = 0;
  int mostInFlight_ = 0;
  std::set<std::uint64_t> running_;  ///< the numbers of the syncs running now
  std::size_t waiting_ = 0;
  bool cancelled_ = false;
  std::uint64_t ended_ = 0;            ///< syncs ended so far (a mark is this count)
  std::uint64_t lastFailedEnded_ = 0;  ///< ended_ when the last failed sync ended (0: none)
  int lastFailure_ = 0;                ///< its errno
};

}  // namespace dms::filesystem
