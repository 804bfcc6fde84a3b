#include <Poco/Data/SQLite/Connector.h>
#include <Poco/Data/Session.h>
#include <gtest/gtest.h>

#include "filing/AuditLog.h"
#include "filing/SqliteStateStore.h"
#include "support/TempDir.h"

namespace ambita::filing {
namespace {

using namespace Poco::Data::Keywords;

AssetRecord record(const std::string& id, std::int64_t order, AssetState state,
                   const std::string& path) {
  AssetRecord r;
  r.assetId = id;
  r.orderId = order;
  r.state = state;
  r.path = path;
  r.size = 5'000'000'000ULL;  // beyond 32 bits
  r.sha256 = "ab";
  return r;
}

InboxMessage pushFor(std::int64_t orderId) {
  InboxMessage m;
  m.orderId = orderId;
  m.source = "push";
  m.receivedAt = AuditLog::now();
  return m;
}

TEST(SqliteStateStore, CreatesCurrentSchemaAndRoundTrips) {
  dms::test::TempDir tmp;
  auto store = SqliteStateStore::open(tmp.str() + "/state.db");
  ASSERT_TRUE(store.ok()) << store.error().describe();
  auto& s = **store;
  EXPECT_EQ(*s.schemaVersion(), SqliteStateStore::kSchemaVersion);

  TrackedOrder o;
  o.id = 1234567;
  o.origin = OrderOrigin::Created;
  o.reference = "Oppdrag 117";
  o.address = "Infoveien 1, 9999 Infoland";
  o.trackedAt = AuditLog::now();
  EXPECT_TRUE(*s.trackOrder(o));
  // A later hint fills gaps but never replaces what is known.
  TrackedOrder later;
  later.id = 1234567;
  later.reference = "other";
  later.technicalReference = "dms-8812";
  EXPECT_FALSE(*s.trackOrder(later));
  auto back = s.order(1234567);
  ASSERT_TRUE(back.ok() && back->has_value());
  EXPECT_EQ((*back)->reference, "Oppdrag 117");
  EXPECT_EQ((*back)->technicalReference, "dms-8812");
  EXPECT_EQ((*back)->origin, OrderOrigin::Created);

  ASSERT_TRUE(s.commit({record("a", 1234567, AssetState::Filing, "x/a.pdf"),
                        record("b", 1234567, AssetState::Filed, "x/b.pdf")},
                       {AuditLog::entry(1234567, "b", "filed", Reason::Push, "x/b.pdf")})
                  .ok());
  auto a = s.asset("a");
  ASSERT_TRUE(a.ok() && a->has_value());
  EXPECT_EQ((*a)->state, AssetState::Filing);
  EXPECT_EQ((*a)->size, 5'000'000'000ULL);
  EXPECT_EQ(s.unfinishedAssets()->size(), 1u);
  EXPECT_EQ(s.filedAssets()->size(), 1u);
  EXPECT_EQ(**s.pathHolder("x/b.pdf", "zzz"), "b");
  EXPECT_FALSE(s.pathHolder("x/b.pdf", "b")->has_value());
  auto log = s.audit(1234567, 100);
  ASSERT_EQ(log->size(), 1u);
  EXPECT_EQ((*log)[0].reason, "push");

  ASSERT_TRUE(s.updateOrderStatus(1234567, "FINISHED", "2026-01-01T00:00:00Z", true).ok());
  ASSERT_TRUE(s.updateOrderStatus(1234567, "FINISHED", "2026-01-02T00:00:00Z", true).ok());
  EXPECT_EQ((*s.order(1234567))->finishedAt, "2026-01-01T00:00:00Z")
      << "first time finished is kept";
}

TEST(SqliteStateStore, InboxQueuesCompletesAndPostpones) {
  dms::test::TempDir tmp;
  auto store = SqliteStateStore::open(tmp.str() + "/state.db");
  ASSERT_TRUE(store.ok());
  auto& s = **store;
  auto m = pushFor(7);
  auto first = s.enqueue(m);
  auto second = s.enqueue(m);
  m.orderId = 8;
  ASSERT_TRUE(s.enqueue(m).ok());
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_LT(*first, *second);
  EXPECT_EQ(s.dueMessages(0, 3600, 10)->size(), 2u) << "messages of one order are merged";
  ASSERT_TRUE(s.postponeMessages(8, 1000, 500, 400, 0, "Ambita down").ok());
  EXPECT_EQ(s.dueMessages(100, 3600, 10)->size(), 1u);
  const auto postponed = s.dueMessages(500, 3600, 10)->back();
  EXPECT_EQ(postponed.attempts, 1);
  EXPECT_EQ(postponed.firstFailureEpoch, 400);
  EXPECT_EQ(postponed.lastError, "Ambita down");
  ASSERT_TRUE(s.completeMessages(7, *second).ok());
  EXPECT_EQ(*s.inboxSize(), 1u);
}

// Issue 13: a retry scheduled further ahead than the longest backoff can only be left by a clock
// set back; it is due at once instead of after the size of the jump.
TEST(SqliteStateStore, APostponedMessageIsDueAfterTheClockWasSetBack) {
  dms::test::TempDir tmp;
  auto store = SqliteStateStore::open(tmp.str() + "/state.db");
  ASSERT_TRUE(store.ok());
  auto& s = **store;
  ASSERT_TRUE(s.enqueue(pushFor(8)).ok());
  ASSERT_TRUE(s.postponeMessages(8, 1000, 10'000, 9'000, 0, "Ambita down").ok());
  EXPECT_TRUE(s.dueMessages(9'000, 3600, 10)->empty()) << "waits its backoff";
  EXPECT_EQ(s.dueMessages(6'000, 3600, 10)->size(), 1u)
      << "the clock went back 3000 s: 4000 s to wait is more than the longest backoff";
}

TEST(SqliteStateStore, RepeatedPushesKeepTheBackoffAndTheInboxIsBounded) {
  dms::test::TempDir tmp;
  auto store = SqliteStateStore::open(tmp.str() + "/state.db");
  ASSERT_TRUE(store.ok());
  auto& s = **store;
  auto m = pushFor(8);
  ASSERT_TRUE(s.enqueue(m, 2).ok());
  ASSERT_TRUE(s.postponeMessages(8, 1000, 500, 400, 120, "unknown order").ok());
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(s.enqueue(m, 2).ok());
  EXPECT_EQ(*s.inboxSize(), 1u) << "one row per order, however often it is pushed";
  EXPECT_TRUE(s.dueMessages(499, 3600, 10)->empty())
      << "a repeated push does not bring the retry forward";
  const auto merged = s.dueMessages(500, 3600, 10)->back();
  EXPECT_EQ(merged.attempts, 1);
  EXPECT_EQ(merged.firstFailureEpoch, 400);
  EXPECT_EQ(merged.lastFailureEpoch, 400);
  EXPECT_EQ(merged.failingSeconds, 120) << "a repeated push keeps how long it has been failing";
  m.orderId = 9;
  ASSERT_TRUE(s.enqueue(m, 2).ok());
  m.orderId = 10;
  auto full = s.enqueue(m, 2);
  ASSERT_FALSE(full.ok());
  EXPECT_EQ(full.error().code, dms::ErrorCode::Unavailable);
  EXPECT_NE(full.error().message.find("push.maxQueuedOrders"), std::string::npos);
  m.orderId = 9;
  EXPECT_TRUE(s.enqueue(m, 2).ok()) << "an order already waiting is merged, not refused";
  EXPECT_EQ(*s.inboxSize(), 2u);
}

TEST(SqliteStateStore, RecordsTheApiItBelongsToOnce) {
  dms::test::TempDir tmp;
  const auto file = tmp.str() + "/state.db";
  {
    auto store = SqliteStateStore::open(file);
    ASSERT_TRUE(store.ok());
    auto first = (*store)->claimApiIdentity({"http://127.0.0.1:8099", "demo", "t1"});
    ASSERT_TRUE(first.ok()) << first.error().describe();
    EXPECT_EQ(first->recordedAt, "t1");
  }
  auto store = SqliteStateStore::open(file);
  ASSERT_TRUE(store.ok());
  auto again = (*store)->claimApiIdentity({"https://api.ambita.com:443", "prod", "t2"});
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->origin, "http://127.0.0.1:8099") << "the first record is kept";
  EXPECT_EQ(again->clientId, "demo");
  EXPECT_EQ(again->recordedAt, "t1");
}

TEST(SqliteStateStore, MigratesAnOlderFileKeepingItsData) {
  dms::test::TempDir tmp;
  const auto file = tmp.str() + "/state.db";
  {
    auto v1 = SqliteStateStore::openAtVersionForTest(file, 1);
    ASSERT_TRUE(v1.ok()) << v1.error().describe();
    EXPECT_EQ(*(*v1)->schemaVersion(), 1);
    // Version 1 has no attempts column: write through plain SQL as an old plugin would.
    Poco::Data::Session session("SQLite", file);
    session << "INSERT INTO assets(asset_id, order_id, state, path) VALUES('old', 1, 'filed', "
               "'a/old.pdf')",
        now;
  }
  auto current = SqliteStateStore::open(file);
  ASSERT_TRUE(current.ok()) << current.error().describe();
  EXPECT_EQ(*(*current)->schemaVersion(), SqliteStateStore::kSchemaVersion);
  auto old = (*current)->asset("old");
  ASSERT_TRUE(old.ok() && old->has_value());
  EXPECT_EQ((*old)->path, "a/old.pdf");
  EXPECT_EQ((*old)->attempts, 0);
  // Reopening an up-to-date file applies nothing twice.
  current->reset();
  EXPECT_TRUE(SqliteStateStore::open(file).ok());
}

TEST(SqliteStateStore, MigratesAVersion2FileWithWaitingMessagesAndNoApiRecorded) {
  dms::test::TempDir tmp;
  const auto file = tmp.str() + "/state.db";
  {
    auto v2 = SqliteStateStore::openAtVersionForTest(file, 2);
    ASSERT_TRUE(v2.ok()) << v2.error().describe();
    Poco::Data::Session session("SQLite", file);
    session << "INSERT INTO inbox(order_id, reference, source, received_at, attempts, not_before) "
               "VALUES(9, 'from a push body', 'push', '2026-01-01T00:00:00Z', 3, 50)",
        now;
  }
  auto current = SqliteStateStore::open(file);
  ASSERT_TRUE(current.ok()) << current.error().describe();
  auto due = (*current)->dueMessages(100, 3600, 10);
  ASSERT_TRUE(due.ok());
  ASSERT_EQ(due->size(), 1u);
  EXPECT_EQ(due->front().orderId, 9);
  EXPECT_EQ(due->front().attempts, 3);
  EXPECT_EQ(due->front().firstFailureEpoch, 0);
  auto recorded = (*current)->claimApiIdentity({"http://127.0.0.1:8099", "demo", "t"});
  ASSERT_TRUE(recorded.ok());
  EXPECT_EQ(recorded->origin, "http://127.0.0.1:8099")
      << "the first open after the upgrade records";
}

TEST(SqliteStateStore, RefusesAFileFromANewerPlugin) {
  dms::test::TempDir tmp;
  const auto file = tmp.str() + "/state.db";
  ASSERT_TRUE(SqliteStateStore::open(file).ok());
  {
    Poco::Data::Session session("SQLite", file);
    session << "INSERT INTO schema_migrations(version) VALUES(99)", now;
  }
  auto store = SqliteStateStore::open(file);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.error().code, dms::ErrorCode::NotSupported);
  EXPECT_NE(store.error().message.find("99"), std::string::npos);
}

TEST(SqliteStateStore, UnopenableFileIsAClearError) {
  auto store = SqliteStateStore::open("/nonexistent-dir/x/state.db");
  ASSERT_FALSE(store.ok());
  EXPECT_NE(store.error().message.find("/nonexistent-dir/x/state.db"), std::string::npos);
}

}  // namespace
}  // namespace ambita::filing
