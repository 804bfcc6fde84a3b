// Group commit of the SQLite state (issue 15, branch groupcommit): a commit writes the log under
// the store's mutex, and its sync runs after the mutex is released, one sync for every commit
// written before it started. The syncs are replaced here (SqliteLogSync::setSyncForTest) to
// count them, hold one while other threads commit, or take the log's bytes a sync would make
// durable: what a power cut leaves. No timing: the threads are ordered by the held sync.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "filing/SqliteStateStore.h"
#include "support/TempDir.h"

namespace ambita::filing {
namespace {

/// Deadline for a step that must happen (fails the test instead of hanging it).
constexpr auto kDeadline = std::chrono::seconds(60);

std::unique_ptr<SqliteStateStore> openStore(const std::string& file) {
  auto opened = SqliteStateStore::open(file);
  if (!opened) throw std::runtime_error(opened.error().describe());
  return std::move(*opened);
}

TrackedOrder orderNumbered(std::int64_t id) {
  TrackedOrder o;
  o.id = id;
  o.reference = "ref-" + std::to_string(id);
  o.trackedAt = "2026-11-30T08:00:00Z";
  return o;
}

void track(SqliteStateStore& store, std::int64_t id) {
  auto tracked = store.trackOrder(orderNumbered(id));
  ASSERT_TRUE(tracked.ok()) << tracked.error().describe();
}

/// The log's syncs, replaced: the first one is held until release(); each sync first takes
/// the bytes of the log (what it makes durable) and then really syncs.
class HeldSyncs {
 public:
  explicit HeldSyncs(SqliteStateStore& store) : store_(store) {
    store.logSyncForTest().setSyncForTest([this](int fd) { return sync(fd); });
  }
  void waitUntilFirstSyncHeld() {
    std::unique_lock lock(mutex_);
    ASSERT_TRUE(changed_.wait_for(lock, kDeadline, [&] { return held_; }));
  }
  void release() {
    {
      std::lock_guard lock(mutex_);
      released_ = true;
    }
    changed_.notify_all();
  }
  /// The log as the last finished sync left it on disk.
  std::string durableLog() {
    std::lock_guard lock(mutex_);
    return durableLog_;
  }
  int syncs() {
    std::lock_guard lock(mutex_);
    return syncs_;
  }
  /// Waits until `commits` commits were written to the log (their threads then wait for a sync).
  void waitUntilWritten(std::uint64_t commits) {
    const auto deadline = std::chrono::steady_clock::now() + kDeadline;
    while (store_.logSyncForTest().commitsWritten() < commits) {
      ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "commits were not written";
      std::this_thread::yield();
    }
  }

 private:
  int sync(int fd) {
    std::string log = readAll(fd);
    std::unique_lock lock(mutex_);
    const bool first = ++syncs_ == 1;
    if (first) {
      held_ = true;
      changed_.notify_all();
      changed_.wait_for(lock, kDeadline, [&] { return released_; });
    }
    lock.unlock();
    const int failed = ::fdatasync(fd) == 0 ? 0 : errno;
    lock.lock();
    if (failed == 0) durableLog_ = std::move(log);
    return failed;
  }
  static std::string readAll(int fd) {
    std::string out;
    char buffer[64 * 1024];
    for (off_t at = 0;;) {
      const ssize_t got = ::pread(fd, buffer, sizeof buffer, at);
      if (got <= 0) return out;
      out.append(buffer, static_cast<std::size_t>(got));
      at += got;
    }
  }

  SqliteStateStore& store_;
  std::mutex mutex_;
  std::condition_variable changed_;
  bool held_ = false;
  bool released_ = false;
  int syncs_ = 0;
  std::string durableLog_;
};

TEST(SqliteGroupCommit, CommitsWrittenWhileASyncRunsShareTheNextSync) {
  dms::test::TempDir dir;
  auto store = openStore(dir.str() + "/state.db");
  HeldSyncs syncs(*store);
  const std::uint64_t before = store->logSyncForTest().commitsWritten();
  const std::uint64_t syncsBefore = store->logSyncForTest().syncsForTest();

  std::thread first([&] { track(*store, 1); });
  syncs.waitUntilFirstSyncHeld();
  // The mutex is free while the first commit's sync runs: the others write meanwhile.
  constexpr int kOthers = 6;
  std::vector<std::thread> others;
  for (int i = 0; i < kOthers; ++i) others.emplace_back([&, i] { track(*store, 2 + i); });
  syncs.waitUntilWritten(before + 1 + kOthers);
  syncs.release();
  first.join();
  for (auto& t : others) t.join();

  EXPECT_EQ(syncs.syncs(), 2) << "one sync for the first commit, one for the six after it";
  EXPECT_EQ(store->logSyncForTest().syncsForTest(), syncsBefore + 2);
  for (int id = 1; id <= 1 + kOthers; ++id) {
    auto o = store->order(id);
    ASSERT_TRUE(o.ok() && o->has_value()) << "order " << id;
  }
}

TEST(SqliteGroupCommit, EveryCommitReportedDoneSurvivesLosingWhatWasNotSynced) {
  dms::test::TempDir dir;
  const std::string file = dir.str() + "/state.db";
  openStore(file).reset();  // migrated; closing copied the log into state.db and removed it
  auto store = openStore(file);
  HeldSyncs syncs(*store);

  // Order 1's sync starts (its log bytes taken) and is held; order 2 is written after it
  // started, so that sync does not cover it: order 2 must wait for one that does.
  std::thread first([&] { track(*store, 1); });
  syncs.waitUntilFirstSyncHeld();
  const std::uint64_t written = store->logSyncForTest().commitsWritten();
  std::thread second([&] { track(*store, 2); });
  syncs.waitUntilWritten(written + 1);
  syncs.release();
  first.join();
  second.join();

  // The power cut: state.db as it is (no checkpoint ran since it was synced at close) and only
  // the log bytes a finished sync made durable.
  ASSERT_EQ(store->checkpointsInCommitsForTest(), 0u);
  dms::test::TempDir after;
  std::filesystem::copy_file(file, after.str() + "/state.db");
  std::ofstream(after.str() + "/state.db-wal", std::ios::binary) << syncs.durableLog();
  store.reset();
  auto recovered = openStore(after.str() + "/state.db");
  for (int id : {1, 2}) {
    auto o = recovered->order(id);
    ASSERT_TRUE(o.ok()) << o.error().describe();
    EXPECT_TRUE(o->has_value()) << "order " << id << " was reported tracked but is lost";
  }
}

TEST(SqliteGroupCommit, AfterCancelWaitsNoCommitWaitsForAnotherThreadsSync) {
  dms::test::TempDir dir;
  auto store = openStore(dir.str() + "/state.db");
  HeldSyncs syncs(*store);

  std::thread first([&] { track(*store, 1); });
  syncs.waitUntilFirstSyncHeld();
  store->cancelWaits();  // stop(): the first sync is still held
  track(*store, 2);      // syncs itself instead of waiting for the held one
  EXPECT_EQ(syncs.syncs(), 2);
  syncs.release();
  first.join();
  store->resumeWaits();
  track(*store, 3);
  auto o = store->order(3);
  ASSERT_TRUE(o.ok() && o->has_value());
}

TEST(SqliteGroupCommit, AFailedSyncFailsItsCommitAndEveryLaterOne) {
  dms::test::TempDir dir;
  auto store = openStore(dir.str() + "/state.db");
  store->logSyncForTest().setSyncForTest([](int) { return EIO; });
  auto tracked = store->trackOrder(orderNumbered(1));
  ASSERT_FALSE(tracked.ok());
  EXPECT_NE(tracked.error().message.find("fdatasync of " + dir.str() + "/state.db-wal failed"),
            std::string::npos)
      << tracked.error().message;
  store->logSyncForTest().setSyncForTest([](int) { return 0; });
  auto later = store->trackOrder(orderNumbered(2));
  ASSERT_FALSE(later.ok()) << "the log's earlier pages may be lost: nothing is reported after";
  EXPECT_NE(later.error().message.find("restart the service"), std::string::npos);
}

TEST(SqliteGroupCommit, AReadWaitsForNoSync) {
  dms::test::TempDir dir;
  auto store = openStore(dir.str() + "/state.db");
  track(*store, 1);
  const auto syncsBefore = store->logSyncForTest().syncsForTest();
  auto o = store->order(1);
  ASSERT_TRUE(o.ok() && o->has_value());
  EXPECT_EQ(store->logSyncForTest().syncsForTest(), syncsBefore);
}

/// Device and inode of a file or an open descriptor.
std::pair<dev_t, ino_t> identity(const struct stat& s) {
  return {s.st_dev, s.st_ino};
}

TEST(SqliteLogSync, ALogCreatedAgainIsSyncedNotTheOldFile) {
  dms::test::TempDir dir;
  const std::string log = dir.str() + "/state.db-wal";
  std::ofstream(log) << "first";
  SqliteLogSync sync(log);
  std::vector<std::pair<dev_t, ino_t>> synced;
  sync.setSyncForTest([&](int fd) {
    struct stat held {};
    if (::fstat(fd, &held) != 0) return errno;
    synced.push_back(identity(held));
    return 0;
  });
  sync.noteCommitWritten();
  ASSERT_TRUE(sync.waitDurable(1).ok());

  // SQLite removes the log when its last connection closes and creates a new one later.
  std::filesystem::remove(log);
  std::ofstream(log) << "second";
  struct stat now {};
  ASSERT_EQ(::stat(log.c_str(), &now), 0);
  sync.noteCommitWritten();
  ASSERT_TRUE(sync.waitDurable(2).ok());
  ASSERT_EQ(synced.size(), 2u);
  EXPECT_EQ(synced[1], identity(now)) << "the sync went to the removed file";
}

TEST(SqliteLogSync, AMissingLogFailsTheCommitNamingIt) {
  dms::test::TempDir dir;
  const std::string log = dir.str() + "/state.db-wal";
  SqliteLogSync sync(log);
  sync.noteCommitWritten();
  auto durable = sync.waitDurable(1);
  ASSERT_FALSE(durable.ok());
  EXPECT_NE(durable.error().message.find("the log " + log + " cannot be found"), std::string::npos)
      << durable.error().message;
  EXPECT_TRUE(sync.waitDurable(0).ok()) << "nothing to wait for";
}

}  // namespace
}  // namespace ambita::filing
