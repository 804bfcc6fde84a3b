// Issue 15, first-sync CPU per file (branch commitcpu): what the SQLite state writes for each
// filed file. Every file is written twice (its intent, then its outcome); the outcome updates
// the intent's row in place instead of deleting and inserting it with all its index entries,
// and no index is kept that another index already serves. Checked in the database itself.

#include <Poco/Data/SQLite/Connector.h>
#include <Poco/Data/Session.h>
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "filing/PagedReadsSql.h"
#include "filing/SqlitePathLookups.h"
#include "filing/SqliteStateStore.h"
#include "filing/SqliteStatements.h"
#include "support/TempDir.h"

namespace ambita::filing {
namespace {

using namespace Poco::Data::Keywords;

class SqliteStateWrites : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = SqliteStateStore::open(file_);
    ASSERT_TRUE(store.ok()) << store.error().describe();
    store_ = std::move(*store);
  }

  /// The row id SQLite stores the asset under: a row deleted and inserted again gets a new one.
  std::int64_t rowIdOf(const std::string& assetId) {
    Poco::Data::Session session("SQLite", file_);
    std::int64_t rowId = 0;
    std::string id = assetId;
    session << "SELECT rowid FROM assets WHERE asset_id = ?", use(id), into(rowId), now;
    return rowId;
  }

  static AssetRecord intent(const std::string& id, const std::string& path) {
    AssetRecord r;
    r.assetId = id;
    r.orderId = 1000001;
    r.supplierOrderId = 77;
    r.orderLineId = 78;
    r.remoteStatus = "OK";
    r.category = "Kart";
    r.state = AssetState::Filing;
    r.path = path;
    return r;
  }

  static void expectSame(const AssetRecord& stored, const AssetRecord& expected) {
    EXPECT_EQ(stored.assetId, expected.assetId);
    EXPECT_EQ(stored.orderId, expected.orderId);
    EXPECT_EQ(stored.supplierOrderId, expected.supplierOrderId);
    EXPECT_EQ(stored.orderLineId, expected.orderLineId);
    EXPECT_EQ(stored.remoteStatus, expected.remoteStatus);
    EXPECT_EQ(stored.category, expected.category);
    EXPECT_EQ(stored.state, expected.state);
    EXPECT_EQ(stored.path, expected.path);
    EXPECT_EQ(stored.targetPath, expected.targetPath);
    EXPECT_EQ(stored.size, expected.size);
    EXPECT_EQ(stored.sha256, expected.sha256);
    EXPECT_EQ(stored.filedAt, expected.filedAt);
    EXPECT_EQ(stored.removedAt, expected.removedAt);
    EXPECT_EQ(stored.lastError, expected.lastError);
    EXPECT_EQ(stored.attempts, expected.attempts);
    EXPECT_EQ(stored.notBeforeEpoch, expected.notBeforeEpoch);
  }

  dms::test::TempDir tmp_;
  std::string file_ = tmp_.str() + "/state.db";
  std::unique_ptr<SqliteStateStore> store_;
};

TEST_F(SqliteStateWrites, AFilingsOutcomeUpdatesItsIntentsRowInPlace) {
  auto a = intent("a1", "oppdrag-1/Kart/kart.pdf");
  ASSERT_TRUE(store_->commit({a}, {}).ok());
  const auto intentRow = rowIdOf("a1");
  ASSERT_NE(intentRow, 0);

  a.state = AssetState::Filed;
  a.size = 5'000'000'000ULL;  // beyond 32 bits
  a.sha256 = "ab12";
  a.filedAt = "2026-11-30T05:00:00Z";
  a.remoteStatus = "DELIVERED";
  a.attempts = 0;
  ASSERT_TRUE(store_->commit({a}, {}).ok());

  EXPECT_EQ(rowIdOf("a1"), intentRow) << "the outcome deleted and inserted the row again";
  auto stored = store_->asset("a1");
  ASSERT_TRUE(stored.ok() && stored->has_value());
  expectSame(**stored, a);
}

TEST_F(SqliteStateWrites, ARecordWithAnotherPathOrderOrTargetReplacesItsRowWhole) {
  // The in-place update covers only rows whose indexed keys stay; any other is written whole,
  // and the indexes find it under its new keys only.
  auto a = intent("a2", "old/name.pdf");
  ASSERT_TRUE(store_->commit({a}, {}).ok());
  a.state = AssetState::Filed;
  a.path = "new/name.pdf";
  ASSERT_TRUE(store_->commit({a}, {}).ok());
  EXPECT_FALSE(store_->pathHolder("old/name.pdf", "other")->has_value());
  EXPECT_EQ(store_->pathHolder("new/name.pdf", "other")->value_or(""), "a2");

  a.state = AssetState::Removed;
  a.targetPath = "Trukket tilbake/new/name.pdf";
  ASSERT_TRUE(store_->commit({a}, {}).ok());
  EXPECT_TRUE(*store_->placesFileAt("Trukket tilbake/new/name.pdf"));

  a.orderId = 1000002;
  ASSERT_TRUE(store_->commit({a}, {}).ok());
  EXPECT_TRUE(store_->assetsOfOrder(1000001)->empty());
  const auto ofOrder = store_->assetsOfOrder(1000002);
  ASSERT_TRUE(ofOrder.ok());
  ASSERT_EQ(ofOrder->size(), 1u);
  expectSame(ofOrder->front(), a);
}

TEST_F(SqliteStateWrites, AnOrdersAssetsComeInAssetIdOrderWhateverTheOrderTheyWereWritten) {
  // The store sorts an order's assets itself (SQLite's ORDER BY needed a sorter for every
  // order read: assets_by_order holds row ids, not asset ids); byte order, as SQLite's BINARY.
  std::vector<AssetRecord> written;
  for (const char* id : {"b2", "a10", "B1", "a9", "\xc3\xa5", "a1"})
    written.push_back(intent(id, std::string("oppdrag-1/") + id + ".pdf"));
  ASSERT_TRUE(store_->commit(written, {}).ok());
  auto other = intent("0", "oppdrag-2/0.pdf");
  other.orderId = 1000000;
  ASSERT_TRUE(store_->commit({other}, {}).ok());

  const auto ofOrder = store_->assetsOfOrder(1000001);
  ASSERT_TRUE(ofOrder.ok());
  std::vector<std::string> ids;
  for (const auto& a : *ofOrder) ids.push_back(a.assetId);
  EXPECT_EQ(ids, (std::vector<std::string>{"B1", "a1", "a10", "a9", "b2", "\xc3\xa5"}));
  ASSERT_TRUE(store_->asset("a9")->has_value());
  EXPECT_EQ(store_->asset("a9")->value().path, "oppdrag-1/a9.pdf");
}

/// Indexes on `table` as their column lists, by name.
std::vector<std::pair<std::string, std::vector<std::string>>> indexesOf(
    Poco::Data::Session& session, const std::string& table) {
  std::vector<std::string> names;
  std::string t = table;
  session << "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = ?", use(t),
      into(names), now;
  std::vector<std::pair<std::string, std::vector<std::string>>> out;
  for (const auto& name : names) {
    std::vector<std::string> columns;
    session << "SELECT name FROM pragma_index_info('" + name + "') ORDER BY seqno", into(columns),
        now;
    out.emplace_back(name, columns);
  }
  return out;
}

TEST_F(SqliteStateWrites, NoIndexIsAPrefixOfAnotherOnTheSameTable) {
  // Every index is updated with each row written to its table; one whose columns lead another
  // index serves no query that the other cannot serve as well.
  Poco::Data::Session session("SQLite", file_);
  for (const std::string table :
       {"orders", "assets", "inbox", "audit", "ledger_lines", "ledger_entries", "events"}) {
    const auto indexes = indexesOf(session, table);
    for (const auto& [name, columns] : indexes) {
      for (const auto& [other, otherColumns] : indexes) {
        if (name == other || columns.size() > otherColumns.size()) continue;
        EXPECT_FALSE(std::equal(columns.begin(), columns.end(), otherColumns.begin()))
            << table << ": index " << name << " is a prefix of " << other;
      }
    }
  }
}

/// The lines of SQLite's plan for `sql` on the state file (`sql` may hold unbound parameters).
std::vector<std::string> queryPlan(const std::string& file, const std::string& sql) {
  sqlite3* db = nullptr;
  std::vector<std::string> plan;
  if (sqlite3_open(file.c_str(), &db) == SQLITE_OK) {
    SqliteStatements statements(db);
    auto explain = statements.prepare("EXPLAIN QUERY PLAN " + sql);
    while (explain.step()) plan.push_back(explain.text(3));
  }
  sqlite3_close(db);
  return plan;
}

TEST_F(SqliteStateWrites, TheUnfinishedIntentsAreStillFoundThroughAnIndex) {
  // Recovery's query (ordersWithIntentsAfter) by state; it must not scan every asset.
  const auto plan = queryPlan(file_, pagedsql::ordersWithIntentsSql(SqlDialect::Sqlite, 500));
  ASSERT_FALSE(plan.empty());
  EXPECT_NE(plan.front().find("INDEX assets_by_state_order (state=? AND order_id>?)"),
            std::string::npos)
      << plan.front();
  for (const auto& line : plan) EXPECT_EQ(line.find("SCAN"), std::string::npos) << line;
}

TEST_F(SqliteStateWrites, VerifysQuestionPerFileGoesThroughThePathIndexes) {
  // placesFileAt runs for every file verify finds: through assets_by_path, not through every
  // filed asset (assets_by_state_order, which SQLite chose without the unary plus).
  const auto plan = queryPlan(file_, kPlacesFileAtSql);
  std::string all;
  for (const auto& line : plan) all += line + "\n";
  EXPECT_NE(all.find("USING INDEX assets_by_path (path=?)"), std::string::npos) << all;
  EXPECT_NE(all.find("USING INDEX assets_by_target_path (target_path=?)"), std::string::npos)
      << all;
  EXPECT_EQ(all.find("assets_by_state_order"), std::string::npos) << all;
}

}  // namespace
}  // namespace ambita::filing
