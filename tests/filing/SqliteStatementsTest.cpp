// The SQLite state's prepared-statement cache (issue 15, scale): reuse, errors, the bound and
// finalizing, on a real in-memory SQLite database.
#include <Poco/Exception.h>
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <memory>
#include <string>

#include "filing/SqliteStatements.h"

namespace ambita::filing {
namespace {

struct CloseDatabase {
  void operator()(sqlite3* db) const { sqlite3_close(db); }
};

class SqliteStatementsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(":memory:", &db), SQLITE_OK);
    db_.reset(db);
    ASSERT_EQ(sqlite3_exec(db, "CREATE TABLE t(k INTEGER PRIMARY KEY, v TEXT)", nullptr, nullptr,
                           nullptr),
              SQLITE_OK);
  }

  void insert(SqliteStatements& cache, std::int64_t k, const std::string& v) {
    cache.prepare("INSERT INTO t(k, v) VALUES(?, ?)").bindAll(k, v).run();
  }

  /// Statements alive on the connection, cached or not.
  int liveStatements() const {
    int n = 0;
    for (auto* s = sqlite3_next_stmt(db_.get(), nullptr); s != nullptr;
         s = sqlite3_next_stmt(db_.get(), s))
      ++n;
    return n;
  }

  /// Statements that have started and not been reset (would keep a read transaction open).
  int busyStatements() const {
    int n = 0;
    for (auto* s = sqlite3_next_stmt(db_.get(), nullptr); s != nullptr;
         s = sqlite3_next_stmt(db_.get(), s))
      n += sqlite3_stmt_busy(s) != 0 ? 1 : 0;
    return n;
  }

  std::unique_ptr<sqlite3, CloseDatabase> db_;
};

TEST_F(SqliteStatementsTest, ReuseReturnsFreshResultsWithNewBindings) {
  SqliteStatements cache(db_.get());
  insert(cache, 1, "one");
  insert(cache, 2, "two");
  const char* select = "SELECT v FROM t WHERE k = ?";
  for (auto [k, expected] : {std::pair{1, "one"}, std::pair{2, "two"}, std::pair{1, "one"}}) {
    auto use = cache.prepare(select);
    use.bind(1, k);
    ASSERT_TRUE(use.step()) << k;
    EXPECT_EQ(use.text(0), expected);
    EXPECT_FALSE(use.step());
  }
  // Bindings do not carry over: an unbound parameter is NULL, which matches no row.
  EXPECT_FALSE(cache.prepare(select).step());
  EXPECT_EQ(cache.size(), 2u);  // the INSERT and the SELECT, each compiled once
  EXPECT_EQ(liveStatements(), 2);
}

TEST_F(SqliteStatementsTest, AReadLeftBeforeItsLastRowKeepsNothingOpen) {
  SqliteStatements cache(db_.get());
  insert(cache, 1, "one");
  insert(cache, 2, "two");
  {
    auto use = cache.prepare("SELECT v FROM t ORDER BY k");
    ASSERT_TRUE(use.step());
    EXPECT_EQ(busyStatements(), 1);
  }
  EXPECT_EQ(busyStatements(), 0);
  EXPECT_NE(sqlite3_get_autocommit(db_.get()), 0);
}

TEST_F(SqliteStatementsTest, AStatementFailingMidStepLeavesTheCacheUsable) {
  SqliteStatements cache(db_.get());
  insert(cache, 1, "{}");
  insert(cache, 2, "not json");
  insert(cache, 3, "[1]");
  const char* select = "SELECT json(v) FROM t WHERE k >= ? ORDER BY k";
  {
    auto use = cache.prepare(select);
    use.bind(1, 1);
    ASSERT_TRUE(use.step());
    EXPECT_EQ(use.text(0), "{}");
    EXPECT_THROW(use.step(), Poco::Exception);  // the second row is not JSON
  }
  auto use = cache.prepare(select);
  use.bind(1, 3);
  ASSERT_TRUE(use.step());
  EXPECT_EQ(use.text(0), "[1]");
  EXPECT_FALSE(use.step());

  // A write refused by a constraint, then the same statement again with a new row.
  EXPECT_THROW(insert(cache, 1, "again"), Poco::Exception);
  insert(cache, 4, "four");
  auto count = cache.prepare("SELECT COUNT(*) FROM t");
  ASSERT_TRUE(count.step());
  EXPECT_EQ(count.integer(0), 4);
}

TEST_F(SqliteStatementsTest, SqlThatDoesNotCompileThrowsNamingItAndIsNotKept) {
  SqliteStatements cache(db_.get());
  try {
    (void)cache.prepare("SELECT nope FROM t");
    FAIL() << "no exception";
  } catch (const Poco::Exception& e) {
    EXPECT_NE(e.displayText().find("no such column: nope"), std::string::npos) << e.displayText();
    EXPECT_NE(e.displayText().find("SELECT nope FROM t"), std::string::npos) << e.displayText();
  }
  EXPECT_EQ(cache.size(), 0u);
  EXPECT_EQ(liveStatements(), 0);
}

TEST_F(SqliteStatementsTest, TheBoundIsHonouredByFinalizingTheLeastRecentlyUsed) {
  SqliteStatements cache(db_.get(), 2);
  const char* a = "SELECT 1";
  const char* b = "SELECT 2";
  const char* c = "SELECT 3";
  (void)cache.prepare(a);
  (void)cache.prepare(b);
  (void)cache.prepare(a);  // b is now the least recently used
  (void)cache.prepare(c);
  EXPECT_EQ(cache.size(), 2u);
  EXPECT_EQ(liveStatements(), 2);
  std::string kept;
  for (auto* s = sqlite3_next_stmt(db_.get(), nullptr); s != nullptr;
       s = sqlite3_next_stmt(db_.get(), s))
    kept += std::string(sqlite3_sql(s)) + ";";
  EXPECT_NE(kept.find(a), std::string::npos) << kept;
  EXPECT_NE(kept.find(c), std::string::npos) << kept;
  EXPECT_EQ(kept.find(b), std::string::npos) << kept;
}

TEST_F(SqliteStatementsTest, ANestedUseOfTheSameSqlGetsAStatementOfItsOwn) {
  SqliteStatements cache(db_.get());
  insert(cache, 1, "one");
  insert(cache, 2, "two");
  const char* select = "SELECT v FROM t WHERE k = ?";
  {
    auto outer = cache.prepare(select);
    outer.bind(1, 1);
    ASSERT_TRUE(outer.step());
    auto inner = cache.prepare(select);
    inner.bind(1, 2);
    ASSERT_TRUE(inner.step());
    EXPECT_EQ(outer.text(0), "one");
    EXPECT_EQ(inner.text(0), "two");
  }
  EXPECT_EQ(cache.size(), 2u);
  EXPECT_EQ(liveStatements(), 2);  // the inner one was finalized after its use
}

TEST_F(SqliteStatementsTest, ClosingTheCacheFinalizesEveryStatement) {
  {
    SqliteStatements cache(db_.get());
    insert(cache, 1, "one");
    auto use = cache.prepare("SELECT v FROM t");
    ASSERT_TRUE(use.step());
    EXPECT_EQ(liveStatements(), 2);
  }
  EXPECT_EQ(liveStatements(), 0);
  // Nothing left that would keep the connection from closing.
  EXPECT_EQ(sqlite3_close(db_.release()), SQLITE_OK);
}

}  // namespace
}  // namespace ambita::filing
