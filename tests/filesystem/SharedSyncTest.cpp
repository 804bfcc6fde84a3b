// SharedSync (connectors/filesystem/src): batches committing at once share syncfs calls, up to
// three run at once, and no caller is answered by a sync that may have started before it called.
#include "SharedSync.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <future>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace dms::filesystem {
namespace {

/// A sync whose calls each block until the test releases them, returning results in turn.
class HeldSync {
 public:
  explicit HeldSync(std::vector<int> results) : results_(std::move(results)) {}
  int operator()() {
    std::unique_lock lock(mutex_);
    const std::size_t call = started_++;
    changed_.notify_all();
    changed_.wait(lock, [&] { return released_ > call; });
    return call < results_.size() ? results_[call] : 0;
  }
  /// False when fewer calls came within a generous deadline (a broken SharedSync must fail
  /// the test, not hang it).
  bool waitUntilStarted(std::size_t calls) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, std::chrono::seconds(30), [&] { return started_ >= calls; });
  }
  /// Lets every call, present and future, return.
  void releaseAll() {
    std::lock_guard lock(mutex_);
    released_ = SIZE_MAX;
    changed_.notify_all();
  }
  void releaseOne() {
    std::lock_guard lock(mutex_);
    ++released_;
    changed_.notify_all();
  }
  std::size_t started() {
    std::lock_guard lock(mutex_);
    return started_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<int> results_;
  std::size_t started_ = 0;
  std::size_t released_ = 0;
};

const std::string kRoot = "/srv/archive";
const std::string kOk = "ok";
const std::string kEio =
    "Unavailable: cannot sync the filesystem of /srv/archive: Input/output error";

/// "ok", or the error's kind and message.
std::string outcomeOf(const Status& status) {
  return status ? kOk : status.error().describe();
}

/// Spins (yielding) until `n` callers wait for the running sync: no clock involved.
void waitForWaiters(SharedSync& sync, std::size_t n) {
  while (sync.waitingCallers() < n) std::this_thread::yield();
}

TEST(SharedSyncTest, EachCallAloneRunsItsOwnSync) {
  int calls = 0;
  SharedSync sync(kRoot, [&](int) { return ++calls == 2 ? EIO : 0; });
  EXPECT_EQ(outcomeOf(sync.syncAfterNow(sync.markBeforeWrites())), kOk);
  EXPECT_EQ(outcomeOf(sync.syncAfterNow(sync.markBeforeWrites())), kEio);
  EXPECT_EQ(outcomeOf(sync.syncAfterNow(sync.markBeforeWrites())), kOk);
  EXPECT_EQ(calls, 3);
}

// A batch arriving while another batch's sync runs cannot be answered by that sync (it may
// have started before the batch's writes): it starts its own at once, beside the running one,
// instead of waiting for it to end first (branch row1q: that wait put up to a whole sync's time
// on every batch arriving mid-sync). Each runs on a descriptor of its own.
TEST(SharedSyncTest, ACallerArrivingDuringASyncStartsItsOwnBesideIt) {
  HeldSync held({0, EIO});
  std::vector<int> slots;
  std::mutex slotsMutex;
  SharedSync sync(kRoot, [&](int slot) {
    {
      std::lock_guard lock(slotsMutex);
      slots.push_back(slot);
    }
    return held();
  });
  std::string first;
  std::thread leader([&] { first = outcomeOf(sync.syncAfterNow(sync.markBeforeWrites())); });
  ASSERT_TRUE(held.waitUntilStarted(1));
  std::string second;
  std::thread follower([&] { second = outcomeOf(sync.syncAfterNow(sync.markBeforeWrites())); });
  // The first sync is still held: the follower's sync must start anyway.
  const bool startedBeside = held.waitUntilStarted(2);
  held.releaseOne();  // the leader's own sync ends first: its answer is that sync's
  leader.join();
  held.releaseAll();
  follower.join();
  ASSERT_TRUE(startedBeside) << "the follower waited for a sync that started before it called";
  EXPECT_EQ(sync.mostInFlight(), 2);
  EXPECT_EQ(first, kOk);
  EXPECT_EQ(second, kEio) << "answered by the sync that started before it called";
  ASSERT_EQ(slots.size(), 2u);
  EXPECT_NE(slots[0], slots[1]) << "two syncs at once on one descriptor";
}

// With kMostInFlight syncs running, later callers wait; when one ends, one of them starts a
// sync that started after all of them called, and they all share it: six callers, four syncs.
// Each waiter gets that fourth sync's result, not the result of one that started before it.
TEST(SharedSyncTest, CallersBeyondTheBoundShareTheNextSync) {
  static_assert(SharedSync::kMostInFlight == 3);
  HeldSync held({0, 0, 0, EIO});
  SharedSync sync(kRoot, [&](int) { return held(); });
  std::vector<std::string> running(3);
  std::vector<std::thread> first;
  for (std::size_t i = 0; i < running.size(); ++i) {
    first.emplace_back(
        [&, i] { running[i] = outcomeOf(sync.syncAfterNow(sync.markBeforeWrites())); });
    ASSERT_TRUE(held.waitUntilStarted(i + 1));  // one at a time: each starts its own
  }
  std::vector<std::string> later(3);
  std::vector<std::thread> waiters;
  for (auto& result : later)
    waiters.emplace_back([&] { result = outcomeOf(sync.syncAfterNow(sync.markBeforeWrites())); });
  waitForWaiters(sync, 3);
  EXPECT_EQ(held.started(), 3u) << "more syncs at once than the bound";
  held.releaseOne();  // the first sync ends; the waiters' sync may start
  const bool fourthStarted = held.waitUntilStarted(4);
  // The first three callers' own syncs end before the fourth: each answered by its own.
  held.releaseOne();
  held.releaseOne();
  for (auto& t : first) t.join();
  held.releaseAll();
  for (auto& t : waiters) t.join();
  EXPECT_TRUE(fourthStarted);
  EXPECT_EQ(held.started(), 4u) << "the waiters did not share one sync";
  EXPECT_EQ(sync.mostInFlight(), 3);
  EXPECT_EQ(running, std::vector<std::string>(3, kOk));
  EXPECT_EQ(later, std::vector<std::string>(3, kEio));
}

// A descriptor is told of a writeback error once: another batch's sync that ended after this
// batch began writing may have taken the error of one of its pages, and this batch's own sync
// then returns 0. The batch's mark, taken before its writes, makes it fail too (branch waits).
TEST(SharedSyncTest, AnErrorToldToASyncThatEndedAfterTheWritesBeganFailsTheCaller) {
  int calls = 0;
  SharedSync sync(kRoot, [&](int) { return ++calls == 1 ? EIO : 0; });
  const auto writesAfter = sync.markBeforeWrites();  // the batch begins writing
  // Another batch commits meanwhile; its sync takes the error (of a page of either batch).
  EXPECT_EQ(outcomeOf(sync.syncAfterNow(sync.markBeforeWrites())), kEio);
  EXPECT_EQ(outcomeOf(sync.syncAfterNow(writesAfter)),
            kEio +
                " (told to another batch's syncfs that ended after these writes began: the kernel "
                "may have dropped their pages)");
  // A batch that began writing after that sync ended is answered by its own sync.
  EXPECT_EQ(outcomeOf(sync.syncAfterNow(sync.markBeforeWrites())), kOk);
  EXPECT_EQ(calls, 3);
}

/// kMostInFlight held syncs: every later caller has to wait for one of them.
class BoundReached {
 public:
  BoundReached(SharedSync& sync, HeldSync& held) : held_(held) {
    for (int i = 0; i < SharedSync::kMostInFlight; ++i) {
      running_.emplace_back([&] { (void)sync.syncAfterNow(sync.markBeforeWrites()); });
      started_ = held.waitUntilStarted(static_cast<std::size_t>(i) + 1) && started_;
    }
  }
  ~BoundReached() {
    held_.releaseAll();
    for (auto& t : running_) t.join();
  }
  bool started() const { return started_; }

 private:
  HeldSync& held_;
  std::vector<std::thread> running_;
  bool started_ = true;
};

/// The caller's outcome, or "still waiting" after a generous 30 s (a wait without an end must
/// fail the test, not hang it).
std::string outcomeWithin30s(std::future<Status>& call) {
  if (call.wait_for(std::chrono::seconds(30)) != std::future_status::ready) return "still waiting";
  return outcomeOf(call.get());
}

// "Every wait has a deadline": a caller waiting for other callers' syncs (the bound reached,
// the disk stuck) gives up after the longest wait with an error naming the root, never "durable".
TEST(SharedSyncTest, AWaitForOtherCallersSyncsEndsAtItsDeadline) {
  HeldSync held({});
  SharedSync sync(
      kRoot, [&](int) { return held(); }, std::chrono::milliseconds(50));
  std::optional<BoundReached> bound;
  bound.emplace(sync, held);
  ASSERT_TRUE(bound->started());
  auto late =
      std::async(std::launch::async, [&] { return sync.syncAfterNow(sync.markBeforeWrites()); });
  const std::string outcome = outcomeWithin30s(late);
  bound.reset();  // releases the held syncs (and a caller that did not give up)
  EXPECT_EQ(outcome,
            "Unavailable: syncing the filesystem of /srv/archive took over 50 ms (other batches' "
            "syncfs still run); the data is not reported durable");
}

// "Every wait can be cancelled by stop()": cancelWaits() (the target's cancel(), called by the
// plugin's stop()) ends a caller's wait at once with Cancelled naming the root; after
// resumeWaits() callers are answered by syncs again.
TEST(SharedSyncTest, CancelWaitsEndsAWaitForOtherCallersSyncs) {
  HeldSync held({});
  SharedSync sync(kRoot, [&](int) { return held(); });  // the 60 s deadline: not reached
  std::optional<BoundReached> bound;
  bound.emplace(sync, held);
  ASSERT_TRUE(bound->started());
  auto late =
      std::async(std::launch::async, [&] { return sync.syncAfterNow(sync.markBeforeWrites()); });
  waitForWaiters(sync, 1);
  sync.cancelWaits();
  const std::string outcome = outcomeWithin30s(late);
  bound.reset();
  EXPECT_EQ(outcome,
            "Cancelled: the filesystem target /srv/archive is stopping: its data was still being "
            "synced by another batch's syncfs, so it is not reported durable");
  sync.resumeWaits();
  EXPECT_EQ(outcomeOf(sync.syncAfterNow(sync.markBeforeWrites())), kOk);
}

}  // namespace
}  // namespace dms::filesystem
