// Issue 13's fault matrix, the state database's part: the real dms-host, modules and sandbox
// (tests/e2e's world, filesystem target) with its SQLite state database locked by another
// process (the sqlite3 command holding BEGIN EXCLUSIVE) or overwritten with garbage. Each case:
// the sync ends within a bound with a message naming the database and the cause, nothing is
// filed twice, and once the fault is gone the next sync makes the archive exact.
#include <gtest/gtest.h>
#include <signal.h>

#include <fstream>
#include <iterator>

#include "E2eWorld.h"
#include "FaultChecks.h"

namespace dms::faults {
namespace {

using e2e::E2eWorld;
using e2e::TargetKind;

std::string readAll(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

/// The plugin's state database in the world's data folder (made by the first command).
std::filesystem::path stateDatabase(const E2eWorld& world) {
  for (const auto& entry : std::filesystem::recursive_directory_iterator(world.dataDir()))
    if (entry.path().filename() == "state.db") return entry.path();
  throw std::runtime_error("no state.db under " + world.dataDir().string());
}

/// A finished order placed through dms-host (which creates the state database).
std::int64_t finishedOrder(E2eWorld& world) {
  const auto order = world.placeOrder("oppdrag-state", "sak-state");
  world.sandbox().step(order, 0);
  return order;
}

// Another process holds an exclusive lock on state.db: the sync does not hang on it but ends
// (the busy timeout is 10 s) with an error naming the database and the lock; after the lock
// is released, the next sync files everything exactly once.
TEST(StateDbFaultsTest, LockedByAnotherProcessFailsClearlyThenTheNextSyncIsExact) {
  E2eWorld world({TargetKind::Filesystem, {}, "", 2});
  const auto order = finishedOrder(world);
  const auto database = stateDatabase(world);
  {
    // The shell command keeps the transaction open for as long as sqlite3 lives and says
    // "locked" itself (sqlite3's own stdout is buffered into the pipe until it exits).
    test::ChildProcess locker(
        {"sqlite3", database.string(), "BEGIN EXCLUSIVE;",
         "INSERT INTO schema_migrations(version) VALUES(-1);",
         ".shell echo locked; while kill -0 $PPID 2>/dev/null; do sleep 0.1; done"});
    ASSERT_TRUE(locker.waitForOutput(
        [](const std::string& out) { return out.find("locked") != std::string::npos; },
        std::chrono::seconds(20)))
        << locker.err();
    auto locked = world.host({"sync"}, std::chrono::seconds(80));
    EXPECT_FALSE(locked.timedOut) << "sync hung on the locked state database\n" << locked.err;
    EXPECT_NE(locked.exitCode, 0) << locked.out << locked.err;
    EXPECT_NE(locked.err.find(database.string()), std::string::npos) << locked.err;
    EXPECT_NE(locked.err.find("locked"), std::string::npos) << locked.err;
    // The sqlite3 command's transaction dies with it: SIGKILL, so nothing is committed.
    locker.stop(SIGKILL);
  }
  expectExactAfterSync(world, order);
}

// state.db is garbage: the sync refuses with an error naming the file and what to do, and
// leaves the file as it was (the evidence is not overwritten by a fresh empty database).
// With the good file put back, the next sync files everything exactly once.
TEST(StateDbFaultsTest, CorruptDatabaseIsNamedAndLeftAloneThenTheNextSyncIsExact) {
  E2eWorld world({TargetKind::Filesystem, {}, "", 2});
  const auto order = finishedOrder(world);
  const auto database = stateDatabase(world);
  auto checkpoint = world.host({"status"});  // a clean close folds the WAL into state.db
  ASSERT_EQ(checkpoint.exitCode, 0) << checkpoint.err;
  const auto saved = database.string() + ".good";
  std::filesystem::copy_file(database, saved);
  std::string garbage(64 * 1024, '\0');
  for (std::size_t i = 0; i < garbage.size(); ++i) garbage[i] = static_cast<char>(i * 7 + 3);
  {
    std::ofstream out(database, std::ios::binary | std::ios::trunc);
    out << garbage;
  }

  auto corrupt = world.host({"sync"}, std::chrono::seconds(60));
  EXPECT_FALSE(corrupt.timedOut) << corrupt.err;
  EXPECT_NE(corrupt.exitCode, 0) << corrupt.out << corrupt.err;
  EXPECT_NE(corrupt.err.find(database.string()), std::string::npos) << corrupt.err;
  EXPECT_NE(corrupt.err.find("not a database"), std::string::npos) << corrupt.err;
  // What to do about it, since the plugin cannot repair it itself.
  EXPECT_NE(corrupt.err.find("restore it from a backup"), std::string::npos) << corrupt.err;
  EXPECT_EQ(readAll(database), garbage) << "the corrupt state database was overwritten";
  EXPECT_TRUE(world.archive().files().empty()) << corrupt.err;

  std::filesystem::rename(saved, database);
  expectExactAfterSync(world, order);
}

}  // namespace
}  // namespace dms::faults
