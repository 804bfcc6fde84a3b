// The SQLite state's checkpoints off the commit path (issue 15, branch pushtail): once the
// service moved them (moveCheckpointsOffCommits), a commit that takes the write-ahead log past
// SQLite's interval no longer copies the log into state.db itself (the pushes of that group
// commit waited for it); checkpointIfDue() does, and the log stays bounded when nobody calls it.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "filing/AuditLog.h"
#include "filing/SqliteStateStore.h"
#include "support/TempDir.h"

namespace ambita::filing {
namespace {

constexpr std::uintmax_t kPageBytes = 4096;
constexpr std::uintmax_t kFrameBytes = 24 + kPageBytes;

std::uintmax_t sizeOf(const std::string& file) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(file, ec);
  return ec ? 0 : size;
}

/// One transaction writing about `pages` pages to the log (audit entries of nearly a page).
void commitPages(SqliteStateStore& store, int pages) {
  static std::int64_t order = 1;
  std::vector<AuditEntry> audit;
  for (int i = 0; i < pages; ++i)
    audit.push_back(
        AuditLog::entry(order, "", "filed", Reason::Sync, "",
                        std::string(kPageBytes - 200, static_cast<char>('a' + i % 26))));
  ++order;
  auto committed = store.commit({}, audit);
  ASSERT_TRUE(committed.ok()) << committed.error().describe();
}

struct OpenStore {
  dms::test::TempDir dir;
  std::string file = dir.str() + "/state.db";
  std::unique_ptr<SqliteStateStore> store;
  OpenStore() {
    auto opened = SqliteStateStore::open(file);
    if (!opened) throw std::runtime_error(opened.error().describe());
    store = std::move(*opened);
  }
};

/// A second connection holding a read snapshot of the state (BEGIN; SELECT) until destroyed:
/// a checkpoint copies no frame committed after the snapshot, and the log is not written from
/// its start again while the snapshot may read it.
class ReaderSnapshot {
 public:
  explicit ReaderSnapshot(const std::string& file) {
    ok_ = sqlite3_open_v2(file.c_str(), &reader_, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK &&
          sqlite3_exec(reader_, "BEGIN; SELECT COUNT(*) FROM audit", nullptr, nullptr, nullptr) ==
              SQLITE_OK;
  }
  ~ReaderSnapshot() {
    sqlite3_exec(reader_, "COMMIT", nullptr, nullptr, nullptr);
    sqlite3_close_v2(reader_);
  }
  ReaderSnapshot(const ReaderSnapshot&) = delete;
  ReaderSnapshot& operator=(const ReaderSnapshot&) = delete;
  bool ok() const { return ok_; }

 private:
  sqlite3* reader_ = nullptr;
  bool ok_ = false;
};

TEST(SqliteCheckpoints, ACommitPastTheIntervalLeavesTheCheckpointToCheckpointIfDue) {
  OpenStore s;
  s.store->moveCheckpointsOffCommits();
  EXPECT_FALSE(s.store->checkpointIfDue()) << "nothing written yet";
  const auto before = sizeOf(s.file);
  commitPages(*s.store, SqliteStateStore::kCheckpointFrames + 100);
  // Nothing was copied into state.db inside the commit (SQLite's own hook would have).
  EXPECT_EQ(sizeOf(s.file), before);
  EXPECT_EQ(s.store->checkpointsInCommitsForTest(), 0u);

  EXPECT_TRUE(s.store->checkpointIfDue());
  EXPECT_GT(sizeOf(s.file), before + SqliteStateStore::kCheckpointFrames * kPageBytes)
      << "the checkpoint copied the log into state.db";
  EXPECT_FALSE(s.store->checkpointIfDue()) << "due once per crossing";
  EXPECT_EQ(s.store->checkpointsOffCommitsForTest(), 1u);

  // The log is written from its start again: it does not grow past what it reached.
  const auto log = sizeOf(s.file + "-wal");
  for (int i = 0; i < 20; ++i) commitPages(*s.store, 20);
  EXPECT_EQ(sizeOf(s.file + "-wal"), log);
  auto audit = s.store->audit(std::nullopt, 100'000);
  ASSERT_TRUE(audit.ok()) << audit.error().describe();
  EXPECT_EQ(audit->size(), std::size_t(SqliteStateStore::kCheckpointFrames + 100 + 20 * 20));
}

TEST(SqliteCheckpoints, AfterAnUnfinishedCheckpointTheNextIsDueOnlyAfterMoreFrames) {
  OpenStore s;
  s.store->moveCheckpointsOffCommits();
  commitPages(*s.store, SqliteStateStore::kCheckpointFrames + 100);
  {
    // A reader's snapshot keeps the checkpoint from copying what is committed after it, as
    // commits arriving during a checkpoint do.
    ReaderSnapshot reader(s.file);
    ASSERT_TRUE(reader.ok());
    commitPages(*s.store, 10);
    EXPECT_TRUE(s.store->checkpointIfDue());
  }
  // Not after every commit: each would cost two more syncs.
  commitPages(*s.store, 10);
  EXPECT_FALSE(s.store->checkpointIfDue());
  commitPages(*s.store, SqliteStateStore::kCatchUpFrames);
  EXPECT_TRUE(s.store->checkpointIfDue());
  EXPECT_EQ(s.store->checkpointsInCommitsForTest(), 0u);
}

// Branch pushlat: a checkpoint that copied every frame it saw does not start the log again by
// itself; the next commit does only if nothing is left to copy and no reader holds a snapshot
// of the log. While commits keep coming (push_bench: one written during each checkpoint) the
// log grew on, and every commit made the next checkpoint due at once: 45-190 checkpoints, two
// syncs each, in one run of 2000 pushes.
TEST(SqliteCheckpoints, AfterACheckpointTheLogDidNotStartAgainFromTheNextIsDueOnlyAfterMoreFrames) {
  OpenStore s;
  s.store->moveCheckpointsOffCommits();
  commitPages(*s.store, SqliteStateStore::kCheckpointFrames + 100);
  // A reader's snapshot of the whole log: the checkpoint copies every frame, but the log cannot
  // be written from its start again while the reader may read it (as with commits arriving).
  {
    ReaderSnapshot reader(s.file);
    ASSERT_TRUE(reader.ok());
    EXPECT_TRUE(s.store->checkpointIfDue());
    const auto log = sizeOf(s.file + "-wal");
    commitPages(*s.store, 10);
    ASSERT_GT(sizeOf(s.file + "-wal"), log) << "the log was started again: nothing to check";
    EXPECT_FALSE(s.store->checkpointIfDue()) << "due again after a commit of 10 frames";
  }
  commitPages(*s.store, 10);
  EXPECT_FALSE(s.store->checkpointIfDue());
  commitPages(*s.store, SqliteStateStore::kCatchUpFrames);
  EXPECT_TRUE(s.store->checkpointIfDue());
  EXPECT_EQ(s.store->checkpointsInCommitsForTest(), 0u);
}

// Branch pushlat: while commits keep coming the log is not written from its start again after a
// checkpoint and grows towards its bound; the service reserves it up to there, so that none of
// those commits' syncs also commits a new file size (pushack reserved one interval).
TEST(SqliteCheckpoints, AReservedLogTakesCommitsUpToItsBoundWithoutGrowing) {
  OpenStore s;
  s.store->moveCheckpointsOffCommits();
  s.store->reserveCommitLog();
  const auto reserved = sizeOf(s.file + "-wal");
  constexpr int kPagesACommit = 100;
  // Three quarters of the bound: each page of audit entries costs a few more frames (the
  // tables' inner pages), and the commit that crosses the bound checkpoints itself.
  for (int i = 0; i < SqliteStateStore::kMostLogFrames * 3 / 4 / kPagesACommit; ++i) {
    commitPages(*s.store, kPagesACommit);
    ASSERT_EQ(sizeOf(s.file + "-wal"), reserved)
        << "commit " << i << " (about " << (i + 1) * kPagesACommit << " pages) grew the log";
  }
  EXPECT_EQ(s.store->checkpointsInCommitsForTest(), 0u);
}

TEST(SqliteCheckpoints, TheLogStaysBoundedWhenNobodyCheckpoints) {
  OpenStore s;
  s.store->moveCheckpointsOffCommits();
  constexpr int kPagesACommit = 500;
  for (int i = 0; i < 2 * SqliteStateStore::kMostLogFrames / kPagesACommit; ++i)
    commitPages(*s.store, kPagesACommit);
  // Twice the bound written, checkpointIfDue() never called: the commits crossing the bound
  // checkpointed themselves, and the log was written from its start again after each.
  EXPECT_GE(s.store->checkpointsInCommitsForTest(), 1u);
  EXPECT_LE(sizeOf(s.file + "-wal"),
            (SqliteStateStore::kMostLogFrames + 2 * kPagesACommit) * kFrameBytes);
}

TEST(SqliteCheckpoints, WithoutMovingThemCommitsCheckpointAsBefore) {
  OpenStore s;  // commands that open the state briefly: SQLite's own checkpoints
  const auto before = sizeOf(s.file);
  commitPages(*s.store, SqliteStateStore::kCheckpointFrames + 100);
  EXPECT_GT(sizeOf(s.file), before + SqliteStateStore::kCheckpointFrames * kPageBytes);
  EXPECT_FALSE(s.store->checkpointIfDue());
}

}  // namespace
}  // namespace ambita::filing
