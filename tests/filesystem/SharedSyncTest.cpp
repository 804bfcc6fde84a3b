// SharedSync (connectors/filesystem/src): batches committing at once share one syncfs, and no
// caller is answered by a sync that may have started before it called.
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
  SharedSync sync([&] { return ++calls == 2 ? EIO : 0; });
  EXPECT_EQ(sync.syncAfterNow(), 0);
  EXPECT_EQ(sync.syncAfterNow(), EIO);
  EXPECT_EQ(sync.syncAfterNow(), 0);
  EXPECT_EQ(calls, 3);
}

// Three batches arrive while a fourth's sync runs: they share the next sync, so four callers
// cost two syncs, and each gets the result of a sync that started after it called.
TEST(SharedSyncTest, CallersArrivingDuringASyncShareTheNextOne) {
  HeldSync held({0, EIO});
  SharedSync sync([&] { return held(); });
  int first = -1;
  std::thread leader([&] { first = sync.syncAfterNow(); });
  ASSERT_TRUE(held.waitUntilStarted(1));
  std::vector<int> later(3, -1);
  std::vector<std::thread> followers;
  for (auto& result : later) followers.emplace_back([&] { result = sync.syncAfterNow(); });
  waitForWaiters(sync, 3);
  held.releaseOne();  // the first sync ends: it may have missed the followers' writes
  const bool secondStarted = held.waitUntilStarted(2);
  held.releaseAll();
  leader.join();
  for (auto& t : followers) t.join();
  EXPECT_TRUE(secondStarted) << "the followers returned on a sync that started before them";
  EXPECT_EQ(held.started(), 2u) << "the followers did not share one sync";
  EXPECT_EQ(first, 0);
  // The second sync's result (EIO), not the first's: that one started before they called.
  EXPECT_EQ(later, std::vector<int>(3, EIO));
}

}  // namespace
}  // namespace dms::filesystem
