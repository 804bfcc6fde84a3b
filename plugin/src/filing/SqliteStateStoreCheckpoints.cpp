// SqliteStateStore: checkpoints off the commit path (issue 15, branch pushtail).
//
// A checkpoint copies the write-ahead log's pages into state.db and syncs it. SQLite runs it
// inside the commit that takes the log past 1000 pages (wal_autocheckpoint), on the committing
// connection, under the store's mutex: every push of that group commit, and every push arriving
// meanwhile, waited for it (one group commit in ~330, the top of push_bench's p99 tail). Once the
// service starts (moveCheckpointsOffCommits) a commit only marks the checkpoint due, and
// checkpointIfDue() runs it on a second connection: SQLite's checkpoint takes its own lock, not
// the writer's, so commits go on meanwhile; the next commit after a finished checkpoint writes
// the log from its start again, as before.
//
// Bounded: if nobody calls checkpointIfDue() (or a reader keeps it from finishing), the commit
// that takes the log past kMostLogFrames checkpoints itself, as SQLite's own hook would: the log
// stays below kMostLogFrames pages plus one transaction. PASSIVE checkpoints only: they never
// wait for a lock (no busy handler), so stop() has nothing to cancel.
#include <Poco/Data/SQLite/Utility.h>
#include <sqlite3.h>

#include "filing/SqliteStateStore.h"

namespace ambita::filing {

void SqliteStateStore::CloseConnection::operator()(sqlite3* db) const {
  sqlite3_close_v2(db);
}

void SqliteStateStore::moveCheckpointsOffCommits() {
  // afterCommit (installed at open, branch groupcommit, in place of SQLite's own hook) stops
  // checkpointing at kCheckpointFrames.
  checkpointsMovedOff_ = true;
}

int SqliteStateStore::afterCommit(void* store, sqlite3* db, const char* schema, int frames) {
  auto& self = *static_cast<SqliteStateStore*>(store);
  self.logSync_->noteCommitWritten();
  if (!self.checkpointsMovedOff_) {
    // What SQLite's own hook (wal_autocheckpoint) does, which this one replaces.
    if (frames >= kCheckpointFrames)
      sqlite3_wal_checkpoint_v2(db, schema, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
  } else if (frames >= kMostLogFrames) {
    sqlite3_wal_checkpoint_v2(db, schema, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
    ++self.checkpointsInCommits_;
  } else if (frames >= kCheckpointFrames) {
    // After a checkpoint the log did not start again from (commits came meanwhile, whether it
    // could copy everything it saw or not), the next one is due only once kCatchUpFrames more
    // were written, not after every commit: each costs two syncs on the disk the commits sync on
    // (push_bench: chains of 26-190 otherwise). A log started again (fewer frames) starts afresh.
    const int unfinished = self.unfinishedLogFrames_;
    if (frames < unfinished || frames >= unfinished + kCatchUpFrames) self.checkpointDue_ = true;
  }
  return SQLITE_OK;  // the commit is written whatever the checkpoint did
}

bool SqliteStateStore::checkpointIfDue() {
  if (!checkpointDue_.exchange(false)) return false;
  std::lock_guard lock(checkpointMutex_);
  if (!checkpointConnection_) {
    sqlite3* db = nullptr;
    const int opened = sqlite3_open_v2(file_.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr);
    checkpointConnection_.reset(db);  // closed even when opening failed (SQLite's rule)
    // A checkpoint syncs the log before it copies and state.db after, as the writer's would.
    if (opened != SQLITE_OK ||
        sqlite3_exec(db, "PRAGMA synchronous=FULL", nullptr, nullptr, nullptr) != SQLITE_OK) {
      checkpointConnection_.reset();
      return false;  // the bound in afterCommit still holds
    }
  }
  int logFrames = 0;
  int copiedFrames = 0;
  const int done = sqlite3_wal_checkpoint_v2(checkpointConnection_.get(), "main",
                                             SQLITE_CHECKPOINT_PASSIVE, &logFrames, &copiedFrames);
  // Also after one that copied every frame it saw (branch pushlat): the log is written from its
  // start again only by a commit that begins with nothing left to copy, so while commits keep
  // coming (one was written during the checkpoint) or a reader keeps its snapshot, the log
  // grows on, and without this every further commit made the next checkpoint due at once
  // (push_bench: 45-190 checkpoints, two syncs each, on the disk the acks' syncs wait for).
  unfinishedLogFrames_ = done == SQLITE_OK ? logFrames : 0;
  ++checkpointsOffCommits_;
  return true;
}

}  // namespace ambita::filing
