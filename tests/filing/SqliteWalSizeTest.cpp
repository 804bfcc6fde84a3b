// The SQLite state's write-ahead log kept at its working size (issue 15, branch pushack): a
// commit's sync never also has to commit a new file size, from the first commit of a fresh
// database on, and the log is not deleted (and grown again) when the store closes.
#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <set>
#include <string>

#include "filing/AuditLog.h"
#include "filing/SqliteStateStore.h"
#include "support/TempDir.h"

namespace ambita::filing {
namespace {

/// SQLite's checkpoint interval (1000 pages) of 4 KiB pages: the size the log grows to anyway.
constexpr std::uintmax_t kCheckpointIntervalBytes = 1000 * 4096;

InboxMessage pushFor(std::int64_t orderId) {
  InboxMessage m;
  m.orderId = orderId;
  m.source = "push";
  m.receivedAt = AuditLog::now();
  return m;
}

std::uintmax_t sizeOf(const std::string& file) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(file, ec);
  return ec ? 0 : size;
}

TEST(SqliteWalSize, AFreshStoreCommitsWithoutGrowingItsLog) {
  dms::test::TempDir dir;
  const std::string file = dir.str() + "/state.db";
  auto store = SqliteStateStore::open(file);
  ASSERT_TRUE(store.ok()) << store.error().describe();
  const auto opened = sizeOf(file + "-wal");
  EXPECT_GE(opened, kCheckpointIntervalBytes);
  std::set<std::uintmax_t> sizes;
  for (int i = 0; i < 60; ++i) {
    ASSERT_TRUE((*store)->enqueue(pushFor(1000 + i % 7)).ok());
    sizes.insert(sizeOf(file + "-wal"));
  }
  EXPECT_EQ(sizes, std::set<std::uintmax_t>{opened}) << "a commit changed the log's size";
  auto waiting = (*store)->inboxSize();
  ASSERT_TRUE(waiting.ok());
  EXPECT_EQ(*waiting, 7u);
}

TEST(SqliteWalSize, TheLogKeepsItsSizeWhenTheStoreClosesAndItsContentStays) {
  dms::test::TempDir dir;
  const std::string file = dir.str() + "/state.db";
  {
    auto store = SqliteStateStore::open(file);
    ASSERT_TRUE(store.ok()) << store.error().describe();
    ASSERT_TRUE((*store)->enqueue(pushFor(41)).ok());
  }
  const auto closed = sizeOf(file + "-wal");
  EXPECT_GE(closed, kCheckpointIntervalBytes);
  auto reopened = SqliteStateStore::open(file);
  ASSERT_TRUE(reopened.ok()) << reopened.error().describe();
  EXPECT_EQ(sizeOf(file + "-wal"), closed);
  auto due = (*reopened)->dueMessages(0, 0, 10);
  ASSERT_TRUE(due.ok()) << due.error().describe();
  ASSERT_EQ(due->size(), 1u);
  EXPECT_EQ(due->front().orderId, 41);
}

}  // namespace
}  // namespace ambita::filing
