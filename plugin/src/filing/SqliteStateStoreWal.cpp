// SqliteStateStore: the write-ahead log kept at its working size (issue 15, branch pushack).
//
// Every commit is followed by an fdatasync of the log (its group commit: SqliteLogSync.h). While
// the log grows (a fresh database, or the first commits after the last connection closed and
// SQLite deleted it) each of those syncs also commits the file's new size to the filesystem's
// journal, and their tail was 4x longer
// (push_bench: fdatasync p99 8.1 ms growing, 2.0 ms once the log had its size). SQLite writes
// the log from the start again after each checkpoint but never pre-sizes it
// (SQLITE_FCNTL_SIZE_HINT and CHUNK_SIZE act on the database file only), so the store does it
// when the service starts (StateStore::reserveCommitLog): a log shorter than its bound
// (kMostLogFrames, 4000 pages: branch pushlat; one checkpoint interval before) is extended with
// zeros. Commands that open the state briefly do not pay for it.
//
// Why the bound and not one interval (branch pushlat): the log is written from its start again
// only by a commit that finds every frame copied into state.db, so while commits keep coming
// (a push storm: one is written during each checkpoint) it grows past the interval towards the
// bound (push_bench: to ~3000 pages), and each of those commits' syncs committed a new size
// again (fdatasync summed over a run 330-490 ms with one interval reserved, 226-377 ms with
// the bound, same load).
//
// Why it is safe: the zeros are written past the log's end while this connection holds the
// write lock (BEGIN IMMEDIATE), so no writer of any process appends meanwhile; a reader or a
// recovery stops at the first frame whose salt and checksum do not match, which zeros never do.
// The log is still deleted when the last connection closes (no SQLITE_FCNTL_PERSIST_WAL: a kept
// log's frames would be replayed onto a state.db restored from a backup). Cost: the log has the
// size of its bound (~16 MiB: 4000 pages of 4 KiB, four checkpoint intervals) from the start
// instead of when a storm of commits takes it there; ~10-30 ms at each service start (writing
// 16 MiB of zeros and one sync).
#include <Poco/Data/SQLite/Utility.h>
#include <sqlite3.h>

#include <algorithm>
#include <filesystem>
#include <vector>

#include "filing/SqliteStateStore.h"

namespace ambita::filing {
namespace {

constexpr std::int64_t kWalHeaderBytes = 32;
constexpr std::int64_t kWalFrameHeaderBytes = 24;
/// Frames beyond the bound: the transaction that crosses it is appended whole before the
/// checkpoint runs.
constexpr std::int64_t kSpareFrames = 64;
constexpr std::size_t kZeroBlockBytes = 64 * 1024;

std::int64_t pragmaValue(SqliteStatements& statements, const char* pragma) {
  auto read = statements.prepare(pragma);
  return read.step() ? read.integer(0) : 0;
}

/// Extends the open log `wal` with zeros from its end to `bytes`, then syncs it (the size is
/// then on disk, and no later commit's sync carries it).
bool extendWithZeros(sqlite3_file* wal, std::int64_t bytes) {
  sqlite3_int64 size = 0;
  if (wal->pMethods->xFileSize(wal, &size) != SQLITE_OK) return false;
  if (size >= bytes) return true;
  const std::vector<char> zeros(kZeroBlockBytes, 0);
  for (std::int64_t at = size; at < bytes;) {
    const auto block = static_cast<int>(std::min<std::int64_t>(kZeroBlockBytes, bytes - at));
    if (wal->pMethods->xWrite(wal, zeros.data(), block, at) != SQLITE_OK) return false;
    at += block;
  }
  return wal->pMethods->xSync(wal, SQLITE_SYNC_NORMAL) == SQLITE_OK;
}

}  // namespace

void SqliteStateStore::reserveCommitLog() {
  std::lock_guard lock(mutex_);
  {
    auto mode = statements_->prepare("PRAGMA journal_mode");
    if (!mode.step() || mode.text(0) != "wal") return;  // e.g. a database in memory
  }
  sqlite3* db = Poco::Data::SQLite::Utility::dbHandle(*session_);
  const std::int64_t working =
      // The bound the log can reach between checkpoints (SqliteStateStoreCheckpoints.cpp), not
      // PRAGMA wal_autocheckpoint: that reads 0 once checkpoints are run off the commits.
      kWalHeaderBytes + (kMostLogFrames + kSpareFrames) *
                            (pragmaValue(*statements_, "PRAGMA page_size") + kWalFrameHeaderBytes);
  std::error_code ec;
  const auto size = std::filesystem::file_size(file_ + "-wal", ec);
  if (!ec && static_cast<std::int64_t>(size) >= working) return;  // grown already
  // Best effort: a log that cannot be extended (disk full) still works, growing as before.
  if (sqlite3_exec(db, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) != SQLITE_OK) return;
  sqlite3_file* wal = nullptr;
  if (sqlite3_file_control(db, "main", SQLITE_FCNTL_JOURNAL_POINTER, &wal) == SQLITE_OK &&
      wal != nullptr && wal->pMethods != nullptr)
    extendWithZeros(wal, working);
  sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
}

}  // namespace ambita::filing
