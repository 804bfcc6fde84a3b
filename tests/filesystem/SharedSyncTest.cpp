// SharedSync (connectors/filesystem/src): batches committing at once share syncfs calls, up to
// three run at once, and no caller is answered by a sync that may have started before it called.
#include "SharedSync.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
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

/// Spins (yielding) until `n` callers wait for the running sync: no clock involved.
void waitForWaiters(SharedSync& sync, std::size_t n) {
  while (sync.waitingCallers() < n) std::this_thread::yield();
}

TEST(SharedSyncTest, EachCallAloneRunsItsOwnSync) {
  int calls = 0;
  SharedSync sync([&](int) { return ++calls == 2 ? EIO : 0; });
  EXPECT_EQ(sync.syncAfterNow(), 0);
  EXPECT_EQ(sync.syncAfterNow(), EIO);
  EXPECT_EQ(sync.syncAfterNow(), 0);
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
  SharedSync sync([&](int slot) {
    {
      std::lock_guard lock(slotsMutex);
      slots.push_back(slot);
    }
    return held();
  });
  int first = -1;
  std::thread leader([&] { first = sync.syncAfterNow(); });
  ASSERT_TRUE(held.waitUntilStarted(1));
  int second = -1;
  std::thread follower([&] { second = sync.syncAfterNow(); });
  // The first sync is still held: the follower's sync must start anyway.
  const bool startedBeside = held.waitUntilStarted(2);
  held.releaseOne();  // the leader's own sync ends first: its answer is that sync's
  leader.join();
  held.releaseAll();
  follower.join();
  ASSERT_TRUE(startedBeside) << "the follower waited for a sync that started before it called";
  EXPECT_EQ(sync.mostInFlight(), 2);
  EXPECT_EQ(first, 0);
  EXPECT_EQ(second, EIO) << "answered by the sync that started before it called";
  ASSERT_EQ(slots.size(), 2u);
  EXPECT_NE(slots[0], slots[1]) << "two syncs at once on one descriptor";
}

// With kMostInFlight syncs running, later callers wait; when one ends, one of them starts a
// sync that started after all of them called, and they all share it: six callers, four syncs.
// Each waiter gets that fourth sync's result, not the result of one that started before it.
TEST(SharedSyncTest, CallersBeyondTheBoundShareTheNextSync) {
  static_assert(SharedSync::kMostInFlight == 3);
  HeldSync held({0, 0, 0, EIO});
  SharedSync sync([&](int) { return held(); });
  std::vector<int> running(3, -1);
  std::vector<std::thread> first;
  for (std::size_t i = 0; i < running.size(); ++i) {
    first.emplace_back([&, i] { running[i] = sync.syncAfterNow(); });
    ASSERT_TRUE(held.waitUntilStarted(i + 1));  // one at a time: each starts its own
  }
  std::vector<int> later(3, -1);
  std::vector<std::thread> waiters;
  for (auto& result : later) waiters.emplace_back([&] { result = sync.syncAfterNow(); });
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
  EXPECT_EQ(running, std::vector<int>(3, 0));
  EXPECT_EQ(later, std::vector<int>(3, EIO));
}

}  // namespace
}  // namespace dms::filesystem
