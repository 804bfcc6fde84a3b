// Group commit of the SQLite state (issue 15, branches groupcommit, pushsync): a commit writes
// the log under the store's mutex, and its sync runs after the mutex is released; a sync covers
// every commit written before it started, a commit written during one starts its own at once,
// at most SqliteLogSync::kMostSyncsInFlight at a time. The syncs are replaced here
// (SqliteLogSync::setSyncForTest) to count them, hold one while other threads commit, or take the
// log's bytes a sync would make durable: what a power cut leaves. No timing: the threads are
// ordered by the held sync.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <list>
#include <mutex>
#include <set>
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

/// Polls `condition` until it holds or the deadline passes (then false).
template <class Condition>
bool eventually(Condition condition) {
  const auto deadline = std::chrono::steady_clock::now() + kDeadline;
  while (!condition()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

/// The log's syncs, replaced: each takes the bytes of the log (what it makes durable), the first
/// hold() of them (numbered from 1 as they start) wait until release(number), and each then
/// really syncs. The log is only appended to in these tests (no checkpoint), so what a power cut
/// leaves of it is the bytes of the latest-started sync that finished.
class HeldSyncs {
 public:
  explicit HeldSyncs(SqliteLogSync& log) : log_(log) {
    log.setSyncForTest([this](int fd) { return sync(fd); });
  }
  /// The first `syncs` syncs wait for release().
  void hold(int syncs) {
    std::lock_guard lock(mutex_);
    held_ = syncs;
  }
  ~HeldSyncs() { releaseAll(); }
  bool waitUntilStarted(int syncs) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, kDeadline, [&] { return started_ >= syncs; });
  }
  void release(int sync) {
    {
      std::lock_guard lock(mutex_);
      released_.insert(sync);
    }
    changed_.notify_all();
  }
  void releaseAll() {
    {
      std::lock_guard lock(mutex_);
      releaseAll_ = true;
    }
    changed_.notify_all();
  }
  int started() {
    std::lock_guard lock(mutex_);
    return started_;
  }
  bool finished(int sync) {
    std::lock_guard lock(mutex_);
    return finished_.count(sync) != 0;
  }
  /// The descriptors the syncs were given, in their order.
  std::vector<int> descriptors() {
    std::lock_guard lock(mutex_);
    return descriptors_;
  }
  /// Sync number `sync` fails (EIO) instead of syncing.
  void fail(int sync) {
    std::lock_guard lock(mutex_);
    failing_.insert(sync);
  }
  /// The log as the finished syncs left it on disk.
  std::string durableLog() {
    std::lock_guard lock(mutex_);
    return durableLog_;
  }
  /// Waits until `commits` commits were written to the log.
  bool waitUntilWritten(std::uint64_t commits) {
    return eventually([&] { return log_.commitsWritten() >= commits; });
  }
  /// Waits until `threads` threads wait for syncs other threads run.
  bool waitUntilWaiting(int threads) {
    return eventually([&] { return log_.waitingForTest() == threads; });
  }

 private:
  int sync(int fd) {
    std::unique_lock lock(mutex_);
    const int number = ++started_;
    descriptors_.push_back(fd);
    std::string log = readAll(fd);  // under mutex_: the snapshots are in the syncs' order
    changed_.notify_all();
    if (number <= held_)
      changed_.wait_for(lock, kDeadline, [&] { return releaseAll_ || released_.count(number); });
    const bool fails = failing_.count(number) != 0;
    lock.unlock();
    const int failed = fails ? EIO : ::fdatasync(fd) == 0 ? 0 : errno;
    lock.lock();
    finished_.insert(number);
    if (failed == 0 && number > durableSync_) {
      durableSync_ = number;
      durableLog_ = std::move(log);
    }
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

  SqliteLogSync& log_;
  int held_ = 0;
  std::mutex mutex_;
  std::condition_variable changed_;
  int started_ = 0;
  std::set<int> released_;
  bool releaseAll_ = false;
  std::set<int> finished_;
  std::set<int> failing_;
  std::vector<int> descriptors_;
  int durableSync_ = 0;
  std::string durableLog_;
};

/// Threads of a test, joined at its end also when an assertion ended it early (the held syncs
/// released first, so none waits for them).
class Threads {
 public:
  explicit Threads(HeldSyncs& syncs) : syncs_(syncs) {}
  ~Threads() {
    syncs_.releaseAll();
    for (auto& t : threads_)
      if (t.joinable()) t.join();
  }
  template <class Work>
  std::thread& start(Work work) {
    return threads_.emplace_back(std::move(work));
  }

 private:
  HeldSyncs& syncs_;
  std::list<std::thread> threads_;  // a list: start()'s references stay valid
};

/// What a power cut leaves of the store at `file`: state.db as it is (no checkpoint ran since it
/// was synced at close) and only the log bytes finished syncs made durable. Every order in
/// `reported` was reported tracked and must be there.
void expectEveryReportedOrderSurvivesAPowerCut(SqliteStateStore& store, const std::string& file,
                                               const std::string& durableLog,
                                               const std::vector<std::int64_t>& reported) {
  ASSERT_EQ(store.checkpointsInCommitsForTest(), 0u);
  dms::test::TempDir after;
  std::filesystem::copy_file(file, after.str() + "/state.db");
  std::ofstream(after.str() + "/state.db-wal", std::ios::binary) << durableLog;
  auto recovered = openStore(after.str() + "/state.db");
  for (std::int64_t id : reported) {
    auto o = recovered->order(id);
    ASSERT_TRUE(o.ok()) << o.error().describe();
    EXPECT_TRUE(o->has_value()) << "order " << id << " was reported tracked but is lost";
  }
}

/// A thread's work: waits until commit `commit` is durable, which it must become.
std::function<void()> waitingFor(SqliteLogSync& log, std::uint64_t commit) {
  return [&log, commit] { EXPECT_TRUE(log.waitDurable(commit).ok()); };
}

/// Writes commits from-to, one at a time, each with a thread waiting for it, and waits until
/// each one started its own sync (numbered as the commit: the syncs before it are all held).
bool eachStartsItsOwnSync(SqliteLogSync& log, HeldSyncs& syncs, Threads& threads, int from,
                          int to) {
  for (int commit = from; commit <= to; ++commit) {
    log.noteCommitWritten();
    threads.start(waitingFor(log, static_cast<std::uint64_t>(commit)));
    if (!syncs.waitUntilStarted(commit)) return false;
  }
  return true;
}

/// A migrated state.db whose log holds only this test's commits (closing the first store copied
/// the migrations' log into state.db and removed it), and the store over it; the test holds its
/// log's syncs.
class HeldStoreSyncs : public ::testing::Test {
 protected:
  dms::test::TempDir dir;
  std::string file = dir.str() + "/state.db";
  std::unique_ptr<SqliteStateStore> store = (openStore(file).reset(), openStore(file));
  HeldSyncs syncs{store->logSyncForTest()};
  Threads threads{syncs};  // joined first
};

TEST_F(HeldStoreSyncs, ACommitWrittenWhileASyncRunsDoesNotWaitForItsEnd) {
  syncs.hold(1);

  std::thread& first = threads.start([&] { track(*store, 1); });
  ASSERT_TRUE(syncs.waitUntilStarted(1));
  // Order 2 is written while order 1's sync runs (held): it starts its own sync at once and is
  // reported while the first one still runs, and a power cut then keeps it.
  track(*store, 2);
  EXPECT_FALSE(syncs.finished(1)) << "order 2 waited for the sync running when it was written";
  EXPECT_EQ(syncs.started(), 2);
  expectEveryReportedOrderSurvivesAPowerCut(*store, file, syncs.durableLog(), {2});
  syncs.release(1);
  first.join();
  expectEveryReportedOrderSurvivesAPowerCut(*store, file, syncs.durableLog(), {1, 2});
}

TEST_F(HeldStoreSyncs, EveryCommitReportedDoneSurvivesLosingWhatWasNotSynced) {
  syncs.hold(2);

  // Order 1's sync starts (its log bytes taken) and is held; order 2 is written after it
  // started, so that sync does not cover it: order 2 starts a second one, also held. The first
  // ends first: order 1 is reported, order 2 must wait for its own.
  std::atomic<bool> secondReported{false};
  std::thread& first = threads.start([&] { track(*store, 1); });
  ASSERT_TRUE(syncs.waitUntilStarted(1));
  std::thread& second = threads.start([&] {
    track(*store, 2);
    secondReported = true;
  });
  ASSERT_TRUE(syncs.waitUntilStarted(2));
  syncs.release(1);
  first.join();
  std::vector<std::int64_t> reported{1};
  if (secondReported) reported.push_back(2);
  expectEveryReportedOrderSurvivesAPowerCut(*store, file, syncs.durableLog(), reported);
  syncs.release(2);
  second.join();
  expectEveryReportedOrderSurvivesAPowerCut(*store, file, syncs.durableLog(), {1, 2});
}

/// A log file of its own and the group commit over it, no database; the test holds its syncs.
class HeldLogSync : public ::testing::Test {
 protected:
  static std::string created(std::string path) {
    std::ofstream(path) << "log";
    return path;
  }

  dms::test::TempDir dir;
  std::string file = created(dir.str() + "/state.db-wal");
  SqliteLogSync log{file};
  HeldSyncs syncs{log};
  Threads threads{syncs};  // joined first
};

TEST_F(HeldLogSync, CommitsCoveredByARunningSyncStartNone) {
  syncs.hold(2);

  log.noteCommitWritten();
  log.noteCommitWritten();
  std::thread& a = threads.start(waitingFor(log, 1));  // sync 1, covering commits 1 and 2, held
  ASSERT_TRUE(syncs.waitUntilStarted(1));
  std::thread& b = threads.start(waitingFor(log, 2));  // covered by sync 1: waits for it
  ASSERT_TRUE(syncs.waitUntilWaiting(1));
  log.noteCommitWritten();                             // commit 3, written while sync 1 runs
  std::thread& c = threads.start(waitingFor(log, 3));  // starts sync 2 at once, held
  ASSERT_TRUE(syncs.waitUntilStarted(2)) << "commit 3 waited for the running sync to end";
  std::thread& d = threads.start(waitingFor(log, 3));  // covered by sync 2: waits for it
  ASSERT_TRUE(syncs.waitUntilWaiting(2));
  EXPECT_EQ(syncs.started(), 2);

  syncs.release(2);  // the later sync ends first: commit 3's threads go, sync 1's stay
  c.join();
  d.join();
  EXPECT_FALSE(syncs.finished(1));
  syncs.release(1);
  a.join();
  b.join();
  EXPECT_EQ(log.syncsForTest(), 2u) << "four waits, two syncs";
}

TEST_F(HeldLogSync, NoMoreThanTheBoundOfSyncsRunAtOnce) {
  constexpr int kBound = SqliteLogSync::kMostSyncsInFlight;
  syncs.hold(kBound + 1);

  // Each commit is written while the syncs before it run: the first kBound start one each, the
  // two after find them all running and wait.
  ASSERT_TRUE(eachStartsItsOwnSync(log, syncs, threads, 1, kBound));
  for (int commit = kBound + 1; commit <= kBound + 2; ++commit) {
    log.noteCommitWritten();
    threads.start(waitingFor(log, static_cast<std::uint64_t>(commit)));
    ASSERT_TRUE(syncs.waitUntilWaiting(commit - kBound));
  }
  EXPECT_EQ(syncs.started(), kBound);
  EXPECT_EQ(log.mostSyncsInFlightForTest(), kBound);

  // One ends: one of the two waiting starts a sync covering both, the other waits for it.
  syncs.release(1);
  ASSERT_TRUE(syncs.waitUntilStarted(kBound + 1));
  ASSERT_TRUE(syncs.waitUntilWaiting(1));
  syncs.releaseAll();
  ASSERT_TRUE(eventually([&] { return log.syncsForTest() == kBound + 1; }));
  EXPECT_EQ(log.mostSyncsInFlightForTest(), kBound);
}

TEST_F(HeldLogSync, SyncsRunningAtOnceUseDescriptorsOfTheirOwn) {
  // Linux tells a writeback error to one fsync of each open file description: two syncs on one
  // descriptor could both succeed for a lost page. Each running sync has its own open().
  constexpr int kBound = SqliteLogSync::kMostSyncsInFlight;
  syncs.hold(kBound);
  ASSERT_TRUE(eachStartsItsOwnSync(log, syncs, threads, 1, kBound));
  const std::vector<int> fds = syncs.descriptors();
  ASSERT_EQ(fds.size(), static_cast<std::size_t>(kBound));
  for (std::size_t i = 0; i < fds.size(); ++i) {
    ASSERT_EQ(::lseek(fds[i], static_cast<off_t>(i + 1), SEEK_SET), static_cast<off_t>(i + 1));
    for (std::size_t j = 0; j < i; ++j)
      EXPECT_EQ(::lseek(fds[j], 0, SEEK_CUR), static_cast<off_t>(j + 1))
          << "syncs " << j + 1 << " and " << i + 1 << " share one open file description";
  }
}

TEST_F(HeldLogSync, AFailedSyncFailsEveryCommitNotYetReportedAndALaterSyncVouchesForItsOwn) {
  syncs.hold(3);
  syncs.fail(1);

  log.noteCommitWritten();
  std::thread& first = threads.start([&] { EXPECT_TRUE(log.waitDurable(1).ok()); });
  ASSERT_TRUE(syncs.waitUntilStarted(1));
  log.noteCommitWritten();
  std::thread& second = threads.start([&] { EXPECT_TRUE(log.waitDurable(2).ok()); });
  ASSERT_TRUE(syncs.waitUntilStarted(2));
  // Sync 2 started after commits 1 and 2 were written, on its own descriptor (so it is told of
  // any error on their pages): it ends first and vouches for both.
  syncs.release(2);
  second.join();
  // Sync 3 starts for commit 3; then sync 1 fails (commit 1 was reported by sync 2): commit 3,
  // not yet reported, fails although its own sync then succeeds, and so does every later one.
  log.noteCommitWritten();
  std::atomic<bool> thirdFailed{false};
  std::thread& third = threads.start([&] { thirdFailed = !log.waitDurable(3).ok(); });
  ASSERT_TRUE(syncs.waitUntilStarted(3));
  syncs.release(1);
  first.join();
  ASSERT_EQ(log.syncsForTest(), 2u);
  syncs.release(3);
  third.join();
  EXPECT_TRUE(thirdFailed) << "commit 3 was reported after a sync failed";
  log.noteCommitWritten();
  auto later = log.waitDurable(4);
  ASSERT_FALSE(later.ok());
  EXPECT_NE(later.error().message.find("restart the service"), std::string::npos);
}

/// A thread's work: waits for commit `commit` and keeps whether it was reported durable.
std::function<void()> reporting(SqliteLogSync& log, std::uint64_t commit, std::atomic<int>& ok) {
  return [&log, commit, &ok] { ok = log.waitDurable(commit).ok() ? 1 : 0; };
}

TEST_F(HeldLogSync, AfterCancelWaitsNoCommitWaitsForAnotherThreadsSync) {
  constexpr int kBound = SqliteLogSync::kMostSyncsInFlight;
  syncs.hold(kBound);

  // Every sync allowed runs (held); one thread waits for the sync covering its commit, another
  // for a sync to end so that it can start its own.
  log.noteCommitWritten();
  threads.start(waitingFor(log, 1));
  ASSERT_TRUE(syncs.waitUntilStarted(1));
  std::atomic<int> coveredOk{-1}, beyondOk{-1};
  std::thread& covered = threads.start(reporting(log, 1, coveredOk));
  ASSERT_TRUE(syncs.waitUntilWaiting(1));
  ASSERT_TRUE(eachStartsItsOwnSync(log, syncs, threads, 2, kBound));
  log.noteCommitWritten();
  std::thread& beyondTheBound = threads.start(reporting(log, kBound + 1, beyondOk));
  ASSERT_TRUE(syncs.waitUntilWaiting(2));

  log.cancelWaits();  // stop(): they sync themselves now, the held syncs still running
  covered.join();
  beyondTheBound.join();
  // Each on a descriptor opened for it (every one busy), the held syncs still running: neither
  // is reported durable (AfterCancelWaitsASyncOnADescriptorOpenedLate... below says why).
  EXPECT_EQ(coveredOk, 0);
  EXPECT_EQ(beyondOk, 0);
  EXPECT_EQ(syncs.started(), kBound + 2);
  for (int sync = 1; sync <= kBound; ++sync) EXPECT_FALSE(syncs.finished(sync));
  syncs.releaseAll();
  log.resumeWaits();
  log.noteCommitWritten();
  EXPECT_TRUE(log.waitDurable(kBound + 2).ok());
}

// Linux tells a writeback error once to each open file description, and a description opened
// after a sync was told of it is not (errseq: the error is marked seen). Sync 1 below was told
// (it fails) and has not returned; a waiter that stop() left with every descriptor busy syncs on
// a descriptor opened now, whose fdatasync returns 0 (the real one here, as the kernel would):
// its commit must not be reported durable, the lost page may be one of its log's.
TEST_F(HeldLogSync, AfterCancelWaitsASyncOnADescriptorOpenedLateDoesNotVouchBeforeTheOthersEnd) {
  constexpr int kBound = SqliteLogSync::kMostSyncsInFlight;
  syncs.hold(kBound);
  syncs.fail(1);
  std::array<std::atomic<int>, kBound> ok{};
  std::vector<std::thread*> running;
  for (int commit = 1; commit <= kBound; ++commit) {
    log.noteCommitWritten();
    running.push_back(&threads.start(reporting(log, static_cast<std::uint64_t>(commit),
                                               ok[static_cast<std::size_t>(commit - 1)])));
    ASSERT_TRUE(syncs.waitUntilStarted(commit));
  }
  log.noteCommitWritten();
  log.cancelWaits();
  auto late = log.waitDurable(kBound + 1);
  EXPECT_EQ(syncs.started(), kBound + 1);
  EXPECT_FALSE(syncs.finished(1)) << "the waiter waited for the running syncs";
  ASSERT_FALSE(late.ok()) << "commit " << kBound + 1
                          << " reported durable by a sync not told of sync 1's error";
  EXPECT_NE(late.error().message.find("not reported durable"), std::string::npos)
      << late.error().message;
  syncs.releaseAll();
  for (auto* thread : running) thread->join();  // sync 1's failure is recorded
  log.resumeWaits();
  log.noteCommitWritten();
  auto later = log.waitDurable(kBound + 2);
  ASSERT_FALSE(later.ok());
  EXPECT_NE(later.error().message.find("restart the service"), std::string::npos);
}

TEST_F(HeldLogSync, AfterCancelWaitsASyncOnADescriptorOpenedLateVouchesOnceTheOthersEnded) {
  constexpr int kBound = SqliteLogSync::kMostSyncsInFlight;
  syncs.hold(kBound + 1);
  std::vector<std::thread*> running;
  for (int commit = 1; commit <= kBound; ++commit) {
    log.noteCommitWritten();
    running.push_back(&threads.start(waitingFor(log, static_cast<std::uint64_t>(commit))));
    ASSERT_TRUE(syncs.waitUntilStarted(commit));
  }
  log.noteCommitWritten();
  log.cancelWaits();
  std::atomic<int> lateOk{-1};
  std::thread& late = threads.start(reporting(log, kBound + 1, lateOk));
  ASSERT_TRUE(syncs.waitUntilStarted(kBound + 1));  // on its own descriptor, held
  for (int sync = 1; sync <= kBound; ++sync) syncs.release(sync);
  for (auto* thread : running) thread->join();  // every sync running at its start ended well
  syncs.release(kBound + 1);
  late.join();
  EXPECT_EQ(lateOk, 1);
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
