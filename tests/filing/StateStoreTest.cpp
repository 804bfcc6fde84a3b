#include <Poco/Data/PostgreSQL/Connector.h>
#include <Poco/Data/SQLite/Connector.h>
#include <Poco/Data/Session.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <limits>
#include <memory>
#include <mutex>
#include <ostream>
#include <set>
#include <thread>
#include <vector>

#include "filing/AuditLog.h"
#include "filing/PostgresStateStore.h"
#include "filing/SqliteStateStore.h"
#include "filing/StateStoreFactory.h"
#include "support/Loopback.h"
#include "support/PostgresServer.h"
#include "support/TempDir.h"

// The StateStore conformance suite: every test runs against each backend (SQLite in a temp
// folder; PostgreSQL in a fresh database of one throwaway server per test process).

namespace ambita::filing {

enum class Backend { Sqlite, Postgres };
inline void PrintTo(Backend backend, std::ostream* out) {
  *out << (backend == Backend::Sqlite ? "Sqlite" : "Postgres");
}

namespace {

using namespace Poco::Data::Keywords;

class StateStoreConformance : public ::testing::TestWithParam<Backend> {
 protected:
  static constexpr int kSchemaVersion = kStateSchemaVersion;

  void SetUp() override {
    if (GetParam() == Backend::Sqlite) {
      location_ = tmp_.str() + "/state.db";
      return;
    }
    if (!server()) server() = std::make_unique<dms::test::PostgresServer>();
    location_ = server()->createDatabase();
  }
  static void TearDownTestSuite() { server().reset(); }

  /// Opens the store under test (again), migrated up to `version`.
  dms::Result<std::unique_ptr<StateStore>> open(int version = kSchemaVersion) {
    if (GetParam() == Backend::Sqlite)
      return asStateStore(SqliteStateStore::openAtVersionForTest(location_, version));
    return asStateStore(PostgresStateStore::openAtVersionForTest(location_, version));
  }

  /// A plain session on the same database, to write as an older plugin would.
  Poco::Data::Session rawSession() {
    if (GetParam() == Backend::Sqlite) return Poco::Data::Session("SQLite", location_);
    Poco::Data::PostgreSQL::Connector::registerConnector();
    return Poco::Data::Session(
        "PostgreSQL", server()->connectionString(location_.substr(location_.rfind('/') + 1)));
  }

  static std::unique_ptr<dms::test::PostgresServer>& server() {
    static std::unique_ptr<dms::test::PostgresServer> instance;
    return instance;
  }

  dms::test::TempDir tmp_;
  std::string location_;  ///< file (SQLite) or URL (PostgreSQL)
};

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

TEST_P(StateStoreConformance, CreatesCurrentSchemaAndRoundTrips) {
  auto store = open();
  ASSERT_TRUE(store.ok()) << store.error().describe();
  auto& s = **store;
  EXPECT_EQ(*s.schemaVersion(), kSchemaVersion);

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

TEST_P(StateStoreConformance, InboxQueuesCompletesAndPostpones) {
  auto store = open();
  ASSERT_TRUE(store.ok()) << store.error().describe();
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
TEST_P(StateStoreConformance, APostponedMessageIsDueAfterTheClockWasSetBack) {
  auto store = open();
  ASSERT_TRUE(store.ok()) << store.error().describe();
  auto& s = **store;
  ASSERT_TRUE(s.enqueue(pushFor(8)).ok());
  ASSERT_TRUE(s.postponeMessages(8, 1000, 10'000, 9'000, 0, "Ambita down").ok());
  EXPECT_TRUE(s.dueMessages(9'000, 3600, 10)->empty()) << "waits its backoff";
  EXPECT_EQ(s.dueMessages(6'000, 3600, 10)->size(), 1u)
      << "the clock went back 3000 s: 4000 s to wait is more than the longest backoff";
}

TEST_P(StateStoreConformance, RepeatedPushesKeepTheBackoffAndTheInboxIsBounded) {
  auto store = open();
  ASSERT_TRUE(store.ok()) << store.error().describe();
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

// Issue 15: pushes arriving together are stored in one transaction; each keeps enqueue()'s
// rules (merged per order, refused beyond maxOrders) and gets its own answer.
TEST_P(StateStoreConformance, EnqueueBatchMergesRefusesAndAnswersEachMessage) {
  auto store = open();
  ASSERT_TRUE(store.ok()) << store.error().describe();
  auto& s = **store;
  std::vector<InboxMessage> batch{pushFor(1), pushFor(2), pushFor(1), pushFor(3), pushFor(2)};
  auto stored = s.enqueueBatch(batch, 2);
  ASSERT_TRUE(stored.ok()) << stored.error().describe();
  ASSERT_EQ(stored->size(), batch.size());
  ASSERT_TRUE((*stored)[0].ok() && (*stored)[1].ok() && (*stored)[2].ok() && (*stored)[4].ok());
  EXPECT_LT(*(*stored)[0], *(*stored)[2]) << "the later message of order 1 replaced the first";
  ASSERT_FALSE((*stored)[3].ok()) << "a third order is refused with maxOrders 2";
  EXPECT_EQ((*stored)[3].error().code, dms::ErrorCode::Unavailable);
  EXPECT_NE((*stored)[3].error().message.find("order 3"), std::string::npos);
  EXPECT_EQ(*s.inboxSize(), 2u) << "one row per order, the refused one not stored";
  std::set<std::int64_t> seqs;
  auto due = s.dueMessages(0, 3600, 10);
  ASSERT_TRUE(due.ok()) << due.error().describe();
  for (const auto& m : *due) seqs.insert(m.seq);
  EXPECT_EQ(seqs, (std::set<std::int64_t>{*(*stored)[2], *(*stored)[4]}));
  auto empty = s.enqueueBatch({}, 2);
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
}

TEST_P(StateStoreConformance, RecordsTheApiItBelongsToOnce) {
  {
    auto store = open();
    ASSERT_TRUE(store.ok()) << store.error().describe();
    auto first = (*store)->claimApiIdentity({"http://127.0.0.1:8099", "demo", "t1"});
    ASSERT_TRUE(first.ok()) << first.error().describe();
    EXPECT_EQ(first->recordedAt, "t1");
  }
  auto store = open();
  ASSERT_TRUE(store.ok());
  auto again = (*store)->claimApiIdentity({"https://api.ambita.com:443", "prod", "t2"});
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->origin, "http://127.0.0.1:8099") << "the first record is kept";
  EXPECT_EQ(again->clientId, "demo");
  EXPECT_EQ(again->recordedAt, "t1");
}

TEST_P(StateStoreConformance, MigratesAnOlderFileKeepingItsData) {
  {
    auto v1 = open(1);
    ASSERT_TRUE(v1.ok()) << v1.error().describe();
    EXPECT_EQ(*(*v1)->schemaVersion(), 1);
    // Version 1 has no attempts column: write through plain SQL as an old plugin would.
    auto session = rawSession();
    session << "INSERT INTO assets(asset_id, order_id, state, path) VALUES('old', 1, 'filed', "
               "'a/old.pdf')",
        now;
  }
  auto current = open();
  ASSERT_TRUE(current.ok()) << current.error().describe();
  EXPECT_EQ(*(*current)->schemaVersion(), kSchemaVersion);
  auto old = (*current)->asset("old");
  ASSERT_TRUE(old.ok() && old->has_value());
  EXPECT_EQ((*old)->path, "a/old.pdf");
  EXPECT_EQ((*old)->attempts, 0);
  // Reopening an up-to-date file applies nothing twice.
  current->reset();
  EXPECT_TRUE(open().ok());
}

TEST_P(StateStoreConformance, MigratesAVersion2FileWithWaitingMessagesAndNoApiRecorded) {
  {
    auto v2 = open(2);
    ASSERT_TRUE(v2.ok()) << v2.error().describe();
    auto session = rawSession();
    session << "INSERT INTO inbox(order_id, reference, source, received_at, attempts, not_before) "
               "VALUES(9, 'from a push body', 'push', '2026-01-01T00:00:00Z', 3, 50)",
        now;
  }
  auto current = open();
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

TEST_P(StateStoreConformance, RefusesAStateFromANewerPlugin) {
  ASSERT_TRUE(open().ok());
  {
    auto session = rawSession();
    session << "INSERT INTO schema_migrations(version) VALUES(99)", now;
  }
  auto store = open();
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.error().code, dms::ErrorCode::NotSupported);
  EXPECT_NE(store.error().message.find("version 99"), std::string::npos) << store.error().message;
  EXPECT_NE(store.error().message.find("(" + std::to_string(kSchemaVersion) + ")"),
            std::string::npos)
      << "names the version this plugin knows: " << store.error().message;
}

// Text from outside (a server's error message, a Latin-1 reference) is not always valid UTF-8,
// which PostgreSQL's text columns refuse: it is stored all the same (invalid bytes may become
// U+FFFD), so an error message can never make the state unwritable.
TEST_P(StateStoreConformance, TextThatIsNotUtf8IsStoredNotRefused) {
  auto store = open();
  ASSERT_TRUE(store.ok()) << store.error().describe();
  auto& s = **store;
  const std::string latin1 = "Oppdrag p\xE5 \x01 Infoveien";  // "på" in Latin-1, a control
  TrackedOrder o;
  o.id = 5;
  o.reference = latin1;
  o.trackedAt = AuditLog::now();
  ASSERT_TRUE(s.trackOrder(o).ok()) << s.trackOrder(o).error().describe();
  auto failed = record("a", 5, AssetState::Failed, "x/\xC3\xA5.pdf");  // "å", valid
  failed.lastError = "HTTP 500: " + latin1;
  auto entry = AuditLog::entry(5, "a", "failed", Reason::Push, failed.path);
  entry.detail = failed.lastError;
  auto committed = s.commit({failed}, {entry});
  ASSERT_TRUE(committed.ok()) << committed.error().describe();
  ASSERT_TRUE(s.postponeMessages(5, 1, 0, 0, 0, latin1).ok());

  auto back = s.asset("a");
  ASSERT_TRUE(back.ok() && back->has_value());
  EXPECT_EQ((*back)->path, "x/\xC3\xA5.pdf") << "valid UTF-8 is kept exactly";
  EXPECT_EQ((*back)->lastError.rfind("HTTP 500: Oppdrag p", 0), 0u) << (*back)->lastError;
  EXPECT_NE((*back)->lastError.find(" Infoveien"), std::string::npos) << (*back)->lastError;
  EXPECT_NE((*s.order(5))->reference.find("Infoveien"), std::string::npos);
  EXPECT_NE(s.audit(5, 10)->back().detail.find("Infoveien"), std::string::npos);
}

TEST_P(StateStoreConformance, AnyLimitIsALimitEvenBeyondSignedRange) {
  auto store = open();
  ASSERT_TRUE(store.ok()) << store.error().describe();
  auto& s = **store;
  ASSERT_TRUE(s.commit({}, {AuditLog::entry(1, "a", "filed", Reason::Push, "x/a.pdf"),
                            AuditLog::entry(2, "b", "filed", Reason::Poll, "x/b.pdf")})
                  .ok());
  ASSERT_TRUE(s.enqueue(pushFor(1)).ok());
  const auto unlimited = std::numeric_limits<std::size_t>::max();
  auto all = s.audit(std::nullopt, unlimited);
  ASSERT_TRUE(all.ok()) << all.error().describe();
  EXPECT_EQ(all->size(), 2u);
  auto due = s.dueMessages(std::numeric_limits<std::int64_t>::max(), 3600, unlimited);
  ASSERT_TRUE(due.ok()) << due.error().describe();
  EXPECT_EQ(due->size(), 1u);
}

INSTANTIATE_TEST_SUITE_P(StateStore, StateStoreConformance,
                         ::testing::Values(Backend::Sqlite, Backend::Postgres),
                         [](const auto& info) {
                           return info.param == Backend::Sqlite ? "Sqlite" : "Postgres";
                         });

TEST(SqliteStateStore, UnopenableFileIsAClearError) {
  auto store = SqliteStateStore::open("/nonexistent-dir/x/state.db");
  ASSERT_FALSE(store.ok());
  EXPECT_NE(store.error().message.find("/nonexistent-dir/x/state.db"), std::string::npos);
}

TEST(PostgresStateStore, UnreachableDatabaseNamesHostAndPortButNotThePassword) {
  const int port = dms::test::freeLoopbackPort();  // nothing listens there
  const std::string password = "s3cret-Pw-117";
  auto store = PostgresStateStore::open("postgresql://dms:" + password +
                                        "@127.0.0.1:" + std::to_string(port) + "/ambita");
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.error().code, dms::ErrorCode::Unavailable);
  EXPECT_NE(store.error().message.find("127.0.0.1:" + std::to_string(port)), std::string::npos)
      << store.error().message;
  EXPECT_EQ(store.error().message.find(password), std::string::npos) << store.error().message;
}

TEST(PostgresStateStore, ABadUrlSaysWhatIsWrongWithoutThePassword) {
  struct Case {
    std::string url;
    std::string expected;
  };
  for (const auto& c : std::vector<Case>{
           {"mysql://dms@db:5432/ambita", "scheme 'mysql'"},
           {"postgresql://db:5432/ambita", "the user is missing"},
           {"postgresql://dms:pw-9x@db:5432/", "database name is missing"},
           {"postgresql://dms:pw 9x@db:5432/ambita",
            "password for postgresql://dms@db:5432/ambita"},
           {"postgresql://dms:pw-9x@db:5432/ambita?sslmode=disable", "options after '?'"}}) {
    auto store = PostgresStateStore::open(c.url);
    ASSERT_FALSE(store.ok()) << c.url;
    EXPECT_EQ(store.error().code, dms::ErrorCode::InvalidArgument) << c.url;
    EXPECT_NE(store.error().message.find("state.url"), std::string::npos) << store.error().message;
    EXPECT_NE(store.error().message.find(c.expected), std::string::npos) << store.error().message;
    EXPECT_EQ(store.error().message.find("pw"), std::string::npos) << store.error().message;
  }
}

TEST(StateStoreFactory, WithoutAUrlTheStateIsSqliteInTheDataFolder) {
  dms::test::TempDir tmp;
  auto store = openStateStore("", tmp.str());
  ASSERT_TRUE(store.ok()) << store.error().describe();
  EXPECT_TRUE(std::filesystem::exists(tmp.path() / "state.db"));
  EXPECT_EQ(*(*store)->schemaVersion(), kStateSchemaVersion);
}

TEST(StateStoreFactory, APostgresqlUrlOpensThatDatabaseAndNothingInTheDataFolder) {
  dms::test::PostgresServer server;
  const auto url = server.createDatabase();
  dms::test::TempDir tmp;
  {
    auto store = openStateStore(url, tmp.str());
    ASSERT_TRUE(store.ok()) << store.error().describe();
    TrackedOrder o;
    o.id = 42;
    o.trackedAt = AuditLog::now();
    ASSERT_TRUE((*store)->trackOrder(o).ok());
  }
  EXPECT_TRUE(std::filesystem::is_empty(tmp.path()));
  auto direct = PostgresStateStore::open(url);
  ASSERT_TRUE(direct.ok()) << direct.error().describe();
  EXPECT_TRUE((*direct)->order(42)->has_value()) << "the order is in PostgreSQL";
}

TEST(StateStoreFactory, AnotherSchemeIsRefusedNamingTheKeyButNotTheUrl) {
  dms::test::TempDir tmp;
  for (const std::string url : {"mysql://dms:pw-secret@db/ambita", "dms:pw-secret@db/ambita",
                                "dms:pw-secret@db://ambita"}) {
    auto store = openStateStore(url, tmp.str());
    ASSERT_FALSE(store.ok()) << url;
    EXPECT_EQ(store.error().code, dms::ErrorCode::InvalidArgument);
    EXPECT_NE(store.error().message.find("state.url"), std::string::npos) << store.error().message;
    EXPECT_EQ(store.error().message.find("pw-secret"), std::string::npos) << store.error().message;
  }
  EXPECT_NE(openStateStore("mysql://x@db/a", tmp.str()).error().message.find("'mysql'"),
            std::string::npos);
  EXPECT_TRUE(std::filesystem::is_empty(tmp.path()));
}

// Several processes share one PostgreSQL state: stores opened side by side stand for them.
TEST(PostgresStateStore, StoresOpenedTogetherOnANewDatabaseAllMigrateIt) {
  dms::test::PostgresServer server;
  const auto url = server.createDatabase();
  std::vector<dms::Result<std::unique_ptr<PostgresStateStore>>> opened;
  std::mutex openedMutex;
  std::vector<std::thread> openers;
  for (int i = 0; i < 4; ++i)
    openers.emplace_back([&] {
      auto store = PostgresStateStore::open(url);
      std::lock_guard lock(openedMutex);
      opened.push_back(std::move(store));
    });
  for (auto& t : openers) t.join();
  for (auto& store : opened) {
    ASSERT_TRUE(store.ok()) << store.error().describe();
    EXPECT_EQ(*(*store)->schemaVersion(), kStateSchemaVersion);
  }
}

TEST(PostgresStateStore, KeepsWorkingAfterTheDatabaseRestarts) {
  dms::test::PostgresServer server;
  auto store = PostgresStateStore::open(server.createDatabase());
  ASSERT_TRUE(store.ok()) << store.error().describe();
  auto& s = **store;
  // Several pooled sessions are open and idle when the server goes away.
  std::vector<std::thread> readers;
  for (int i = 0; i < 4; ++i) readers.emplace_back([&] { EXPECT_TRUE(s.orders().ok()); });
  for (auto& t : readers) t.join();
  server.restart();
  for (int i = 0; i < 3; ++i) {
    auto size = s.inboxSize();
    EXPECT_TRUE(size.ok()) << "call " << i << ": " << size.error().describe();
  }
}

}  // namespace
}  // namespace ambita::filing
