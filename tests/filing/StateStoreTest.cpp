#include <Poco/Data/PostgreSQL/Connector.h>
#include <Poco/Data/SQLite/Connector.h>
#include <Poco/Data/Session.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <limits>
#include <memory>
#include <mutex>
#include <ostream>
#include <set>
#include <thread>
#include <utility>
#include <vector>

#include "filing/AuditLog.h"
#include "filing/PostgresStateStore.h"
#include "filing/SqliteStateStore.h"
#include "filing/StateStoreFactory.h"
#include "metrics/PluginMetrics.h"
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

  /// Two stores open on the same state, standing for two processes (each has its own
  /// connections); null when one could not be opened (the test then fails).
  std::pair<std::unique_ptr<StateStore>, std::unique_ptr<StateStore>> openTwice() {
    auto first = open();
    auto second = open();
    EXPECT_TRUE(first.ok() && second.ok());
    if (!first.ok() || !second.ok()) return {};
    return {std::move(*first), std::move(*second)};
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
  EXPECT_EQ(*s.ordersWithIntentsAfter(StateStore::kBeforeAnyOrder, 10),
            std::vector<std::int64_t>{1234567});
  EXPECT_EQ(s.filedAssetsAfter(StateStore::kBeforeAnyOrder, "", 10)->size(), 1u);
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

// --- cost ledger (issue 12)

TEST_P(StateStoreConformance, LedgerKeepsLinesUpToDateAndOnlyAppendsEntries) {
  auto store = open();
  ASSERT_TRUE(store.ok()) << store.error().describe();
  auto& s = **store;
  LedgerLine line{1000001,
                  3000001,
                  2000001,
                  "WI99990110",
                  "Reguleringsplan",
                  "",
                  "Oppdrag ø 117",
                  "2026-11-02T10:00:00",
                  "NEW"};
  LedgerLine other{1000002,     3000009,
                   2000002,     "WI99990900",
                   "Tegninger", "PRODUKT_UTEN_KATEGORI",
                   "Sak 2",     "2026-11-03T10:00:00",
                   "FINISHED"};
  LedgerEntry charge{0, 1000001, 3000001, "charge", 52000, 65000, "NEW", "2026-11-02T10:01:00Z"};
  // Amounts beyond 32 bits and below zero keep every øre.
  LedgerEntry big{0,
                  1000002,
                  3000009,
                  "charge",
                  9'999'999'999'999,
                  12'499'999'999'999,
                  "FINISHED",
                  "2026-11-03T10:01:00Z"};
  ASSERT_TRUE(s.recordCosts({line, other}, {charge, big}).ok());

  line.category = "PLAN_KART_REGULERING";
  line.status = "CANCELLED";
  LedgerEntry credit{0,      1000001, 3000001,     "credit",
                     -52000, -65000,  "CANCELLED", "2026-11-04T09:00:00Z"};
  ASSERT_TRUE(s.recordCosts({line}, {credit}).ok());

  auto lines = s.ledgerLines(1000001);
  ASSERT_TRUE(lines.ok()) << lines.error().describe();
  ASSERT_EQ(lines->size(), 1u) << "a line is described once, as last seen";
  EXPECT_EQ((*lines)[0].category, "PLAN_KART_REGULERING");
  EXPECT_EQ((*lines)[0].status, "CANCELLED");
  EXPECT_EQ((*lines)[0].reference, "Oppdrag ø 117");
  EXPECT_EQ((*lines)[0].orderedAt, "2026-11-02T10:00:00");
  EXPECT_EQ((*lines)[0].supplierOrderId, 2000001);

  auto entries = s.ledgerEntries(1000001);
  ASSERT_TRUE(entries.ok()) << entries.error().describe();
  ASSERT_EQ(entries->size(), 2u) << "the credit is added, the charge stays";
  EXPECT_EQ((*entries)[0].kind, "charge");
  EXPECT_EQ((*entries)[1].kind, "credit");
  EXPECT_EQ((*entries)[1].netOre, -52000);
  EXPECT_EQ((*entries)[1].grossOre, -65000);
  EXPECT_LT((*entries)[0].seq, (*entries)[1].seq);

  // Every order's: the whole ledger in one page.
  auto page = s.ledgerOfOrdersAfter(StateStore::kBeforeAnyOrder, 10);
  ASSERT_TRUE(page.ok());
  const auto& all = page->entries;
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[1].netOre, 9'999'999'999'999);
  EXPECT_EQ(all[1].grossOre, 12'499'999'999'999);
  EXPECT_EQ(page->lines.size(), 2u);
  EXPECT_TRUE(s.ledgerLines(42)->empty());
}

// --- Several hosts (issue 11): leases. Two stores opened on one state stand for two
// processes (each has its own connections). A store shared by processes (PostgreSQL) lets one
// holder at a time have a lease; SQLite's data folder lock already makes one process, so it
// grants every lease.

TEST_P(StateStoreConformance, ALeaseIsHeldUntilReleasedAndThenFreeAgain) {
  auto [a, b] = openTwice();
  ASSERT_TRUE(a && b);
  const bool exclusive = a->sharedByProcesses();
  EXPECT_EQ(exclusive, GetParam() == Backend::Postgres);
  {
    auto held = a->tryLease(LeaseKey::order(7));
    ASSERT_TRUE(held.ok()) << held.error().describe();
    ASSERT_TRUE(*held) << "a free lease is granted";
    auto other = b->tryLease(LeaseKey::order(7));
    ASSERT_TRUE(other.ok()) << other.error().describe();
    EXPECT_EQ(*other == nullptr, exclusive) << "another process gets a held order's lease";
    auto otherOrder = b->tryLease(LeaseKey::order(8));
    ASSERT_TRUE(otherOrder.ok() && *otherOrder) << "other orders stay free";
    auto polling = b->tryLease(LeaseKey::polling());
    ASSERT_TRUE(polling.ok() && *polling) << "the polling lease is another key";
  }
  auto again = b->tryLease(LeaseKey::order(7));
  ASSERT_TRUE(again.ok()) << again.error().describe();
  EXPECT_TRUE(*again) << "a released lease is free again";
}

TEST_P(StateStoreConformance, SharedFilingLeasesExcludeTheExclusiveOne) {
  auto [a, b] = openTwice();
  ASSERT_TRUE(a && b);
  const bool exclusive = a->sharedByProcesses();
  using Mode = StateStore::LeaseMode;
  auto filingA = a->tryLease(LeaseKey::filing(), Mode::Shared);
  auto filingB = b->tryLease(LeaseKey::filing(), Mode::Shared);
  ASSERT_TRUE(filingA.ok() && *filingA && filingB.ok() && *filingB) << "files side by side";
  auto alone = b->tryLease(LeaseKey::filing(), Mode::Exclusive);
  ASSERT_TRUE(alone.ok()) << alone.error().describe();
  EXPECT_EQ(*alone == nullptr, exclusive) << "alone while another process files";
  alone->reset();
  filingA->reset();
  filingB->reset();
  auto nowAlone = b->tryLease(LeaseKey::filing(), Mode::Exclusive);
  ASSERT_TRUE(nowAlone.ok() && *nowAlone) << "alone once nobody files";
}

TEST_P(StateStoreConformance, ALeaseLapsesWhenItsHolderIsKilled) {
  auto survivor = open();
  ASSERT_TRUE(survivor.ok());
  int ready[2];
  ASSERT_EQ(::pipe(ready), 0);
  const pid_t holder = ::fork();
  ASSERT_GE(holder, 0);
  if (holder == 0) {
    // The holder process: takes the lease, says so, and waits to be killed with it held.
    ::close(ready[0]);
    auto store = open();
    auto lease = store ? (*store)->tryLease(LeaseKey::order(9))
                       : dms::Result<std::unique_ptr<StateStore::Lease>>(store.error());
    const char held = lease && *lease ? '1' : '0';
    if (::write(ready[1], &held, 1) != 1) ::_exit(1);
    for (;;) ::pause();
  }
  ::close(ready[1]);
  char held = 0;
  ASSERT_EQ(::read(ready[0], &held, 1), 1);
  ::close(ready[0]);
  EXPECT_EQ(held, '1');
  auto whileHeld = (*survivor)->tryLease(LeaseKey::order(9));
  ASSERT_TRUE(whileHeld.ok()) << whileHeld.error().describe();
  EXPECT_EQ(*whileHeld == nullptr, (*survivor)->sharedByProcesses());
  whileHeld->reset();
  ::kill(holder, SIGKILL);
  int status = 0;
  ASSERT_EQ(::waitpid(holder, &status, 0), holder);
  // The server notices the closed connection at once; ask until it has (bounded).
  std::unique_ptr<StateStore::Lease> taken;
  for (int attempt = 0; attempt < 200 && !taken; ++attempt) {
    auto lease = (*survivor)->tryLease(LeaseKey::order(9));
    ASSERT_TRUE(lease.ok()) << lease.error().describe();
    taken = std::move(*lease);
    if (!taken) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_TRUE(taken) << "the lease of a killed holder lapsed";
}

// --- status as data: paging, search and filters happen in the database.

std::vector<std::int64_t> idsOf(const OrderPage& page) {
  std::vector<std::int64_t> ids;
  for (const auto& s : page.orders) ids.push_back(s.order.id);
  return ids;
}

TEST_P(StateStoreConformance, OrderPagesAreFilteredSearchedAndCountedInTheDatabase) {
  auto store = open();
  ASSERT_TRUE(store.ok()) << store.error().describe();
  auto& s = **store;
  for (std::int64_t id = 1; id <= 6; ++id) {
    TrackedOrder o;
    o.id = id;
    o.reference = id == 3 ? "Hytte_50%" : "Oppdrag " + std::to_string(id);
    o.trackedAt = "2026-01-0" + std::to_string(id) + "T00:00:00Z";
    ASSERT_TRUE(s.trackOrder(o).ok());
  }
  TrackedOrder byId;
  byId.id = 12345;
  byId.reference = "R";
  byId.trackedAt = "2026-01-07T00:00:00Z";
  ASSERT_TRUE(s.trackOrder(byId).ok());
  ASSERT_TRUE(s.updateOrderStatus(2, "FINISHED", "2026-02-01T00:00:00Z", true).ok());
  ASSERT_TRUE(s.commit({record("f1", 4, AssetState::Failed, ""),
                        record("f2", 4, AssetState::Failed, "x/f2.pdf"),
                        record("a1", 5, AssetState::Filed, "x/a1.pdf"),
                        record("a2", 5, AssetState::Filed, "x/a2.pdf"),
                        record("a3", 5, AssetState::Removed, "x/a3.pdf"),
                        record("a4", 5, AssetState::Filing, "x/a4.pdf")},
                       {})
                  .ok());

  auto query = [&](std::string search, OrderStateFilter state, std::size_t offset,
                   std::size_t limit) {
    auto page = s.orderPage({std::move(search), state, offset, limit, std::nullopt});
    EXPECT_TRUE(page.ok()) << page.error().describe();
    return page.ok() ? *page : OrderPage{};
  };
  auto first = query("", OrderStateFilter::Any, 0, 3);
  EXPECT_EQ(first.total, 7u);
  EXPECT_EQ(idsOf(first), (std::vector<std::int64_t>{12345, 6, 5})) << "newest tracked first";
  ASSERT_EQ(first.orders.size(), 3u);
  const auto& five = first.orders[2];
  EXPECT_EQ(five.filed, 2u);
  EXPECT_EQ(five.removed, 1u);
  EXPECT_EQ(five.failed, 0u);
  EXPECT_EQ(five.pending, 1u);
  EXPECT_EQ(idsOf(query("", OrderStateFilter::Any, 6, 3)), (std::vector<std::int64_t>{1}));
  EXPECT_TRUE(query("", OrderStateFilter::Any, 9, 3).orders.empty());

  auto oppdrag = query("OPPDRAG", OrderStateFilter::Any, 0, 50);
  EXPECT_EQ(oppdrag.total, 5u) << "case-insensitive substring of the reference";
  EXPECT_EQ(idsOf(query("_5", OrderStateFilter::Any, 0, 50)), (std::vector<std::int64_t>{3}))
      << "_ and % are literal characters, not patterns";
  EXPECT_EQ(idsOf(query("234", OrderStateFilter::Any, 0, 50)), (std::vector<std::int64_t>{12345}))
      << "the order id matches too";
  EXPECT_EQ(idsOf(query("", OrderStateFilter::Finished, 0, 50)), (std::vector<std::int64_t>{2}));
  EXPECT_EQ(query("", OrderStateFilter::Active, 0, 50).total, 6u);
  auto failing = query("", OrderStateFilter::Failing, 0, 50);
  EXPECT_EQ(idsOf(failing), (std::vector<std::int64_t>{4}));
  EXPECT_EQ(failing.orders.front().failed, 2u);
  EXPECT_EQ(query("oppdrag", OrderStateFilter::Failing, 0, 50).total, 1u);
  EXPECT_EQ(query("", OrderStateFilter::Any, 0, std::numeric_limits<std::size_t>::max()).total, 7u);

  auto failed = s.failedAssets(10);
  ASSERT_TRUE(failed.ok()) << failed.error().describe();
  ASSERT_EQ(failed->size(), 2u);
  EXPECT_EQ((*failed)[0].assetId, "f1");
  EXPECT_EQ(s.failedAssets(1)->size(), 1u);
}

TEST_P(StateStoreConformance, OrderPagesWalkByCursorAcrossPagesAndEqualTrackedTimes) {
  auto store = open();
  ASSERT_TRUE(store.ok()) << store.error().describe();
  auto& s = **store;
  // Seven orders, three of them tracked in the same second (ordered by id then); every other
  // one's reference matches "sak".
  const std::vector<std::pair<std::int64_t, std::string>> tracked = {
      {1, "2026-01-01T00:00:00Z"}, {2, "2026-01-02T00:00:00Z"}, {7, "2026-01-03T00:00:00Z"},
      {5, "2026-01-03T00:00:00Z"}, {6, "2026-01-03T00:00:00Z"}, {3, "2026-01-04T00:00:00Z"},
      {4, "2026-01-05T00:00:00Z"}};
  for (const auto& [id, at] : tracked) {
    TrackedOrder o;
    o.id = id;
    o.reference = (id % 2 ? "Sak " : "Oppdrag ") + std::to_string(id);
    o.trackedAt = at;
    ASSERT_TRUE(s.trackOrder(o).ok());
  }
  auto walk = [&](const std::string& search, std::size_t perPage) {
    std::vector<std::int64_t> ids;
    OrderQuery query{search, OrderStateFilter::Any, 0, perPage, std::nullopt};
    for (int pages = 0; pages < 10; ++pages) {
      auto page = s.orderPage(query);
      EXPECT_TRUE(page.ok()) << page.error().describe();
      if (!page.ok()) break;
      EXPECT_EQ(page->total, search.empty() ? 7u : 4u) << "the total ignores the cursor";
      for (const auto& o : page->orders) ids.push_back(o.order.id);
      if (page->orders.size() < perPage) break;
      query.after = OrderCursor{page->orders.back().order.trackedAt, page->orders.back().order.id};
    }
    return ids;
  };
  const std::vector<std::int64_t> newestFirst = {4, 3, 7, 6, 5, 2, 1};
  EXPECT_EQ(walk("", 2), newestFirst) << "pages of 2 end between orders of the same second";
  EXPECT_EQ(walk("", 3), newestFirst);
  EXPECT_EQ(walk("", 7), newestFirst);
  EXPECT_EQ(walk("sak", 1), (std::vector<std::int64_t>{3, 7, 5, 1}))
      << "the cursor is bound after the search pattern";
  OrderQuery fromCursor{"", OrderStateFilter::Any, 1, 2, OrderCursor{"2026-01-03T00:00:00Z", 6}};
  auto page = s.orderPage(fromCursor);
  ASSERT_TRUE(page.ok()) << page.error().describe();
  EXPECT_EQ(idsOf(*page), (std::vector<std::int64_t>{2, 1})) << "the offset counts from it";
}

TEST_P(StateStoreConformance, FailedAssetsOfManyOrdersComeInOneQueryWithTheirWholeRecord) {
  auto store = open();
  ASSERT_TRUE(store.ok()) << store.error().describe();
  auto& s = **store;
  auto retried = record("g1", 7, AssetState::Failed, "");
  retried.attempts = 3;
  retried.notBeforeEpoch = 1'900'000'000;
  retried.lastError = "download failed: 503";
  ASSERT_TRUE(s.commit({record("f2", 4, AssetState::Failed, "x/f2.pdf"),
                        record("f1", 4, AssetState::Failed, ""), retried,
                        record("g2", 7, AssetState::Filed, "x/g2.pdf"),
                        record("h1", 8, AssetState::Failed, "")},
                       {})
                  .ok());
  auto failed = s.failedAssetsOfOrders({7, 4, 99});
  ASSERT_TRUE(failed.ok()) << failed.error().describe();
  std::vector<std::string> ids;
  for (const auto& r : *failed) ids.push_back(r.assetId);
  EXPECT_EQ(ids, (std::vector<std::string>{"f1", "f2", "g1"}))
      << "only the failed assets of the orders asked for, by order and asset id";
  ASSERT_EQ(failed->size(), 3u);
  EXPECT_EQ((*failed)[2].attempts, 3);
  EXPECT_EQ((*failed)[2].notBeforeEpoch, 1'900'000'000);
  EXPECT_EQ((*failed)[2].lastError, "download failed: 503");
  EXPECT_EQ((*failed)[0].size, 5'000'000'000ULL);
  auto none = s.failedAssetsOfOrders({});
  ASSERT_TRUE(none.ok()) << none.error().describe();
  EXPECT_TRUE(none->empty());
}

TEST_P(StateStoreConformance, OrderFinishTimesAfterPageEveryOrderByIdAcrossPages) {
  auto store = open();
  ASSERT_TRUE(store.ok()) << store.error().describe();
  auto& s = **store;
  // Tracked out of order; two pages of 3 and a short last one of 1.
  for (std::int64_t id : {70, 30, 10, 60, 20, 50, 40}) {
    TrackedOrder o;
    o.id = id;
    o.reference = "Oppdrag " + std::to_string(id);
    o.trackedAt = "2026-01-01T00:00:00Z";
    ASSERT_TRUE(s.trackOrder(o).ok());
  }
  ASSERT_TRUE(s.updateOrderStatus(20, "FINISHED", "2026-02-01T00:00:00Z", true).ok());
  std::vector<OrderFinish> seen;
  std::vector<std::size_t> pageSizes;
  for (auto after = StateStore::kBeforeAnyOrder;;) {
    auto page = s.orderFinishTimesAfter(after, 3);
    ASSERT_TRUE(page.ok()) << page.error().describe();
    pageSizes.push_back(page->size());
    if (page->empty()) break;
    seen.insert(seen.end(), page->begin(), page->end());
    after = page->back().id;
  }
  EXPECT_EQ(pageSizes, (std::vector<std::size_t>{3, 3, 1, 0}));
  ASSERT_EQ(seen.size(), 7u);
  for (std::size_t i = 0; i < seen.size(); ++i)
    EXPECT_EQ(seen[i].id, static_cast<std::int64_t>(10 * (i + 1))) << "by id, each once";
  EXPECT_EQ(seen[0].finishedAt, "");
  EXPECT_EQ(seen[1].finishedAt, "2026-02-01T00:00:00Z");
  auto fromMiddle = s.orderFinishTimesAfter(35, 2);
  ASSERT_TRUE(fromMiddle.ok()) << fromMiddle.error().describe();
  ASSERT_EQ(fromMiddle->size(), 2u);
  EXPECT_EQ((*fromMiddle)[0].id, 40);
  EXPECT_EQ((*fromMiddle)[1].id, 50);
}

TEST_P(StateStoreConformance, LedgerOfOrdersAfterPagesWholeOrdersAcrossPages) {
  auto store = open();
  ASSERT_TRUE(store.ok()) << store.error().describe();
  auto& s = **store;
  auto empty = s.ledgerOfOrdersAfter(StateStore::kBeforeAnyOrder, 2);
  ASSERT_TRUE(empty.ok()) << empty.error().describe();
  EXPECT_TRUE(empty->entries.empty());
  EXPECT_TRUE(empty->lines.empty());
  // Orders 5, 1, 3, 4 (recorded in that order), two lines each with an entry on each, order 3
  // charged and credited; order 2 has a line but no entry (not a page of its own).
  for (std::int64_t order : {5, 1, 3, 4}) {
    std::vector<LedgerLine> lines;
    std::vector<LedgerEntry> entries;
    for (std::int64_t line : {2, 1}) {
      lines.push_back({order, line, 0, "P" + std::to_string(line), "", "",
                       "Sak " + std::to_string(order),
                       "2026-11-0" + std::to_string(order) + "T10:00:00", "NEW"});
      entries.push_back({0, order, line, "charge", 100 * order + line, 125 * order + line, "NEW",
                         "2026-11-10T10:00:00Z"});
    }
    ASSERT_TRUE(s.recordCosts(lines, entries).ok());
  }
  ASSERT_TRUE(s.recordCosts({{2, 1, 0, "P", "", "", "Sak 2", "", "NEW"}}, {}).ok());
  ASSERT_TRUE(
      s.recordCosts({}, {{0, 3, 1, "credit", -301, -376, "CANCELLED", "2026-11-11T00:00:00Z"}})
          .ok());

  std::vector<std::int64_t> lastOrders;
  std::vector<std::pair<std::int64_t, std::int64_t>> lineKeys;
  std::vector<std::int64_t> entryOrders, entrySeqs;
  for (auto after = StateStore::kBeforeAnyOrder;;) {
    auto page = s.ledgerOfOrdersAfter(after, 2);
    ASSERT_TRUE(page.ok()) << page.error().describe();
    if (page->entries.empty()) break;
    lastOrders.push_back(page->lastOrderId);
    for (const auto& l : page->lines) lineKeys.emplace_back(l.orderId, l.lineId);
    std::vector<std::int64_t> seqs;
    for (const auto& e : page->entries) {
      entryOrders.push_back(e.orderId);
      seqs.push_back(e.seq);
    }
    EXPECT_TRUE(std::is_sorted(seqs.begin(), seqs.end())) << "a page's entries as recorded";
    entrySeqs.insert(entrySeqs.end(), seqs.begin(), seqs.end());
    after = page->lastOrderId;
  }
  // Orders with entries, two a page: {1, 3}, {4, 5}; order 2's line falls in the first.
  EXPECT_EQ(lastOrders, (std::vector<std::int64_t>{3, 5}));
  EXPECT_EQ(lineKeys, (std::vector<std::pair<std::int64_t, std::int64_t>>{
                          {1, 1}, {1, 2}, {2, 1}, {3, 1}, {3, 2}, {4, 1}, {4, 2}, {5, 1}, {5, 2}}));
  std::sort(entryOrders.begin(), entryOrders.end());
  EXPECT_EQ(entryOrders, (std::vector<std::int64_t>{1, 1, 3, 3, 3, 4, 4, 5, 5}))
      << "every entry once";
  std::sort(entrySeqs.begin(), entrySeqs.end());
  EXPECT_EQ(std::adjacent_find(entrySeqs.begin(), entrySeqs.end()), entrySeqs.end());
}

TEST_P(StateStoreConformance, OrdersWithIntentsAfterPageEachOrderOnceByIdAcrossPages) {
  auto store = open();
  ASSERT_TRUE(store.ok()) << store.error().describe();
  auto& s = **store;
  // Orders with intents committed out of order, some with two (filing and removing), others
  // with none (filed, removed, failed): pages of 2 give {3, 5}, {6, 8}, {9} and the end.
  std::vector<AssetRecord> records;
  for (std::int64_t order : {9, 3, 8, 5, 6}) {
    records.push_back(record("f" + std::to_string(order), order, AssetState::Filing,
                             "x/f" + std::to_string(order) + ".pdf"));
    if (order % 3 == 0)
      records.push_back(record("r" + std::to_string(order), order, AssetState::Removing,
                               "x/r" + std::to_string(order) + ".pdf"));
  }
  records.push_back(record("done4", 4, AssetState::Filed, "x/done4.pdf"));
  records.push_back(record("gone7", 7, AssetState::Removed, "x/gone7.pdf"));
  records.push_back(record("bad1", 1, AssetState::Failed, ""));
  ASSERT_TRUE(s.commit(records, {}).ok());
  std::vector<std::int64_t> seen;
  std::vector<std::size_t> pageSizes;
  for (auto after = StateStore::kBeforeAnyOrder;;) {
    auto page = s.ordersWithIntentsAfter(after, 2);
    ASSERT_TRUE(page.ok()) << page.error().describe();
    pageSizes.push_back(page->size());
    if (page->empty()) break;
    seen.insert(seen.end(), page->begin(), page->end());
    after = page->back();
  }
  EXPECT_EQ(seen, (std::vector<std::int64_t>{3, 5, 6, 8, 9})) << "by id, each order once";
  EXPECT_EQ(pageSizes, (std::vector<std::size_t>{2, 2, 1, 0}));
  auto fromMiddle = s.ordersWithIntentsAfter(5, 10);
  ASSERT_TRUE(fromMiddle.ok()) << fromMiddle.error().describe();
  EXPECT_EQ(*fromMiddle, (std::vector<std::int64_t>{6, 8, 9}));
  // A resolved intent leaves the list.
  ASSERT_TRUE(s.commit({record("f8", 8, AssetState::Filed, "x/f8.pdf")}, {}).ok());
  EXPECT_EQ(*s.ordersWithIntentsAfter(5, 10), (std::vector<std::int64_t>{6, 9}));
}

// --- whole-table loads (issue 15, branch scalerest)

TEST_P(StateStoreConformance, OrderCountsByStatusCountEveryOrderInSql) {
  auto store = open();
  ASSERT_TRUE(store.ok()) << store.error().describe();
  auto& s = **store;
  auto empty = s.orderCountsByStatus();
  ASSERT_TRUE(empty.ok()) << empty.error().describe();
  EXPECT_TRUE(empty->empty());
  for (std::int64_t id = 1; id <= 6; ++id) {
    TrackedOrder o;
    o.id = id;
    o.trackedAt = "2026-01-01T00:00:00Z";
    ASSERT_TRUE(s.trackOrder(o).ok());
  }
  for (std::int64_t id : {1, 2, 3})
    ASSERT_TRUE(s.updateOrderStatus(id, "FINISHED", "2026-02-01T00:00:00Z", true).ok());
  ASSERT_TRUE(s.updateOrderStatus(4, "PROGRESS", "2026-02-01T00:00:00Z", false).ok());
  auto counts = s.orderCountsByStatus();
  ASSERT_TRUE(counts.ok()) << counts.error().describe();
  ASSERT_EQ(counts->size(), 3u);
  EXPECT_EQ((*counts)[0].status, "") << "orders not seen yet: by status, the empty one first";
  EXPECT_EQ((*counts)[0].orders, 2u);
  EXPECT_EQ((*counts)[1].status, "FINISHED");
  EXPECT_EQ((*counts)[1].orders, 3u);
  EXPECT_EQ((*counts)[2].status, "PROGRESS");
  EXPECT_EQ((*counts)[2].orders, 1u);
}

TEST_P(StateStoreConformance, TrackedOrdersGaugeCountsByStatusWithUnknownForUnseen) {
  auto store = open();
  ASSERT_TRUE(store.ok()) << store.error().describe();
  auto& s = **store;
  for (std::int64_t id = 1; id <= 4; ++id) {
    TrackedOrder o;
    o.id = id;
    o.trackedAt = "2026-01-01T00:00:00Z";
    ASSERT_TRUE(s.trackOrder(o).ok());
  }
  ASSERT_TRUE(s.updateOrderStatus(1, "FINISHED", "2026-02-01T00:00:00Z", true).ok());
  ASSERT_TRUE(s.updateOrderStatus(2, "PROGRESS", "2026-02-01T00:00:00Z", false).ok());
  metrics::PluginMetrics metrics;
  dms::http::CallCounters calls;
  metrics.sampleFrom(s, calls);
  const auto text = metrics.render();
  // The series in label order, as the gauge always rendered them ("unknown" last here).
  const auto finished = text.find("ambita_orders_tracked{status=\"FINISHED\"} 1\n");
  const auto progress = text.find("ambita_orders_tracked{status=\"PROGRESS\"} 1\n");
  const auto unknown = text.find("ambita_orders_tracked{status=\"unknown\"} 2\n");
  ASSERT_NE(finished, std::string::npos) << text;
  ASSERT_NE(progress, std::string::npos) << text;
  ASSERT_NE(unknown, std::string::npos) << text;
  EXPECT_LT(finished, progress);
  EXPECT_LT(progress, unknown);
}

TEST_P(StateStoreConformance, PlacesFileAtFiledAndMovedPathsOnly) {
  auto store = open();
  ASSERT_TRUE(store.ok()) << store.error().describe();
  auto& s = **store;
  auto moved = record("m", 1, AssetState::Removed, "x/m.pdf");
  moved.targetPath = "Trukket/x/m.pdf";
  auto deleted = record("d", 1, AssetState::Removed, "x/d.pdf");  // deleted: no target
  ASSERT_TRUE(s.commit({record("f", 1, AssetState::Filed, "x/f.pdf"), moved, deleted,
                        record("i", 1, AssetState::Filing, "x/i.pdf"),
                        record("e", 1, AssetState::Failed, "x/e.pdf")},
                       {})
                  .ok());
  const std::vector<std::pair<std::string, bool>> cases{
      {"x/f.pdf", true},  {"Trukket/x/m.pdf", true}, {"x/m.pdf", false}, {"x/d.pdf", false},
      {"x/i.pdf", false}, {"x/e.pdf", false},        {"", false},        {"y/none.pdf", false}};
  for (const auto& [path, placed] : cases) {
    auto found = s.placesFileAt(path);
    ASSERT_TRUE(found.ok()) << path << ": " << found.error().describe();
    EXPECT_EQ(*found, placed) << "'" << path << "'";
  }
}

TEST_P(StateStoreConformance, FiledAssetsAfterPagesByOrderAndAssetId) {
  auto store = open();
  ASSERT_TRUE(store.ok()) << store.error().describe();
  auto& s = **store;
  ASSERT_TRUE(
      s.commit(
           {record("b", 2, AssetState::Filed, "x/b"), record("a", 2, AssetState::Filed, "x/a"),
            record("z", 1, AssetState::Filed, "x/z"), record("c", 2, AssetState::Failed, "x/c"),
            record("d", 3, AssetState::Removed, "x/d"), record("e", 3, AssetState::Filed, "x/e")},
           {})
          .ok());
  std::vector<std::string> seen;
  std::int64_t afterOrder = StateStore::kBeforeAnyOrder;
  std::string afterAsset;
  for (int page = 0; page < 10; ++page) {
    auto filed = s.filedAssetsAfter(afterOrder, afterAsset, 2);
    ASSERT_TRUE(filed.ok()) << filed.error().describe();
    ASSERT_LE(filed->size(), 2u);
    for (const auto& a : *filed) seen.push_back(std::to_string(a.orderId) + a.assetId);
    if (filed->size() < 2) break;
    afterOrder = filed->back().orderId;
    afterAsset = filed->back().assetId;
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"1z", "2a", "2b", "3e"}))
      << "every filed asset once, by order and asset id; no other state";
}

TEST_P(StateStoreConformance, AuditEntriesKeepWhoAsked) {
  auto store = open();
  ASSERT_TRUE(store.ok()) << store.error().describe();
  auto& s = **store;
  auto asked = AuditLog::entry(9, "", "sync requested", Reason::Admin, "");
  asked.actor = "alice@example.no";
  ASSERT_TRUE(s.commit({}, {asked, AuditLog::entry(9, "a", "filed", Reason::Push, "x")}).ok());
  auto log = s.audit(9, 10);
  ASSERT_TRUE(log.ok()) << log.error().describe();
  ASSERT_EQ(log->size(), 2u);
  EXPECT_EQ((*log)[0].actor, "alice@example.no");
  EXPECT_EQ((*log)[1].actor, "");
}

// --- document events outbox (issue 10)

// The events a commit reports are written with it: one per filed/moved/removed/failed/given-up
// audit entry (none for "tracked" or "interrupted"), each with a new id, the record's path and
// metadata; they come out one order at a time, in the order they were written.
TEST_P(StateStoreConformance, OutboxEventsComeWithTheirCommitInOrderPerOrder) {
  auto store = open();
  ASSERT_TRUE(store.ok()) << store.error().describe();
  auto& s = **store;
  auto moved = record("m", 1, AssetState::Removed, "x/m.pdf");
  moved.targetPath = "Trukket tilbake/x/m.pdf";
  ASSERT_TRUE(s.commit({record("a", 1, AssetState::Filed, "x/a.pdf"),
                        record("f", 2, AssetState::Failed, "y/f.pdf")},
                       {AuditLog::entry(1, "", "tracked", Reason::Push, ""),
                        AuditLog::entry(1, "a", "filed", Reason::Push, "x/a.pdf"),
                        AuditLog::entry(2, "f", "failed", Reason::Push, "y/f.pdf", "HTTP 500"),
                        AuditLog::entry(2, "f", "interrupted", Reason::Recovery, "y/f.pdf")})
                  .ok());
  ASSERT_TRUE(
      s.commit({moved}, {AuditLog::entry(1, "m", "moved", Reason::Push, "x/m.pdf", "to ...")})
          .ok());
  EXPECT_EQ(*s.outboxSize(), 3u);

  auto heads = s.dueEvents(0, 300, 10);
  ASSERT_TRUE(heads.ok()) << heads.error().describe();
  ASSERT_EQ(heads->size(), 2u) << "only the first event of each order";
  const auto filed = (*heads)[0];
  EXPECT_EQ(filed.orderId, 1);
  EXPECT_EQ(filed.kind, "filed");
  EXPECT_EQ(filed.path, "x/a.pdf");
  EXPECT_EQ(filed.eventId.size(), 32u);
  auto document = toDocumentEvent(filed);
  ASSERT_TRUE(document.ok()) << document.error().describe();
  EXPECT_EQ(document->kind, dms::DocumentEventKind::Filed);
  EXPECT_EQ(document->metadata["ambita.sha256"], "ab");
  EXPECT_EQ(document->metadata["ambita.size"], "5000000000");
  EXPECT_EQ((*heads)[1].kind, "failed");
  EXPECT_EQ((*heads)[1].detail, "HTTP 500");

  ASSERT_TRUE(s.completeEvent(filed.seq).ok());
  heads = s.dueEvents(0, 300, 10);
  ASSERT_EQ(heads->size(), 2u);
  const auto next = (*heads)[1].orderId == 1 ? (*heads)[1] : (*heads)[0];
  EXPECT_EQ(next.kind, "moved");
  EXPECT_EQ(next.previousPath, "x/m.pdf");
  EXPECT_EQ(next.path, "Trukket tilbake/x/m.pdf");
  EXPECT_NE(next.eventId, filed.eventId);
}

// A refused event waits for its backoff and holds back the later events of its order only.
TEST_P(StateStoreConformance, APostponedEventHoldsBackItsOrderOnly) {
  auto store = open();
  ASSERT_TRUE(store.ok()) << store.error().describe();
  auto& s = **store;
  ASSERT_TRUE(s.commit({}, {AuditLog::entry(1, "a", "filed", Reason::Push, "x/a.pdf"),
                            AuditLog::entry(1, "b", "filed", Reason::Push, "x/b.pdf"),
                            AuditLog::entry(2, "c", "filed", Reason::Push, "x/c.pdf")})
                  .ok());
  auto heads = s.dueEvents(100, 300, 10);
  ASSERT_EQ(heads->size(), 2u);
  ASSERT_TRUE(s.postponeEvent((*heads)[0].seq, 160, "webhook down").ok());
  heads = s.dueEvents(100, 300, 10);
  ASSERT_EQ(heads->size(), 1u);
  EXPECT_EQ((*heads)[0].assetId, "c");
  heads = s.dueEvents(160, 300, 10);
  ASSERT_EQ(heads->size(), 2u);
  EXPECT_EQ((*heads)[0].assetId, "a") << "offered again before b";
  EXPECT_EQ((*heads)[0].attempts, 1);
  EXPECT_EQ((*heads)[0].lastError, "webhook down");
  // A clock set back far beyond the longest backoff does not hold it back for the jump's size.
  ASSERT_TRUE(s.postponeEvent((*heads)[0].seq, 100000, "down").ok());
  EXPECT_EQ(s.dueEvents(100, 300, 10)->size(), 2u);
}

TEST_P(StateStoreConformance, TheOutboxBoundDropsTheOldestEventsAndSaysHowMany) {
  auto store = open();
  ASSERT_TRUE(store.ok()) << store.error().describe();
  auto& s = **store;
  for (const char* id : {"a", "b", "c", "d", "e"})
    ASSERT_TRUE(s.commit({}, {AuditLog::entry(1, id, "removed", Reason::Push, "x")}).ok());
  EXPECT_EQ(*s.dropOldestEvents(10), 0u);
  auto dropped = s.dropOldestEvents(3);
  ASSERT_TRUE(dropped.ok()) << dropped.error().describe();
  EXPECT_EQ(*dropped, 2u);
  EXPECT_EQ(*s.outboxSize(), 3u);
  EXPECT_EQ(s.dueEvents(0, 300, 10)->front().assetId, "c");
}

// Issue 15 (branch push): a reconcile's last commit answers its push messages with the rest of
// the order, up to the seq it read; a message that came in meanwhile stays queued.
TEST_P(StateStoreConformance, AnOrderCommitRemovesTheMessagesItAnswered) {
  auto store = open();
  ASSERT_TRUE(store.ok()) << store.error().describe();
  auto& s = **store;
  auto read = s.enqueue(pushFor(7));
  ASSERT_TRUE(s.enqueue(pushFor(8)).ok());
  ASSERT_TRUE(read.ok()) << read.error().describe();

  OrderChanges answeredOnly;
  answeredOnly.answered = AnsweredMessages{7, *read};
  EXPECT_FALSE(answeredOnly.empty()) << "answering messages alone is a change to commit";

  auto later = s.enqueue(pushFor(7));  // arrives while the reconcile of order 7 runs
  ASSERT_TRUE(later.ok()) << later.error().describe();
  OrderChanges changes;
  changes.status = OrderStatusSeen{7, "FINISHED", "2026-11-30T00:00:00Z", true};
  changes.answered = AnsweredMessages{7, *read};
  ASSERT_TRUE(s.commitOrder(changes).ok());
  auto due = s.dueMessages(0, 3600, 10);
  ASSERT_TRUE(due.ok()) << due.error().describe();
  ASSERT_EQ(due->size(), 2u) << "order 7's later message and order 8's stay";

  changes.answered = AnsweredMessages{7, *later};
  ASSERT_TRUE(s.commitOrder(changes).ok());
  due = s.dueMessages(0, 3600, 10);
  ASSERT_TRUE(due.ok()) << due.error().describe();
  ASSERT_EQ(due->size(), 1u);
  EXPECT_EQ(due->front().orderId, 8) << "another order's message is never answered";
}

INSTANTIATE_TEST_SUITE_P(StateStore, StateStoreConformance,
                         ::testing::Values(Backend::Sqlite, Backend::Postgres),
                         [](const auto& info) {
                           return info.param == Backend::Sqlite ? "Sqlite" : "Postgres";
                         });

/// What only the PostgreSQL backend has: a pool of connections whose wait stop() must end.
class PostgresStateStoreConnections : public StateStoreConformance {};

TEST_P(PostgresStateStoreConnections, CancelWaitsEndsTheWaitForAFreeConnection) {
  auto opened = open();
  ASSERT_TRUE(opened.ok()) << opened.error().describe();
  StateStore& s = **opened;
  // Every pooled connection is busy: each waits in the database for a table lock held here.
  auto blocker = rawSession();
  blocker.begin();
  blocker << "LOCK TABLE inbox IN ACCESS EXCLUSIVE MODE", now;
  std::vector<std::thread> busy;
  for (std::size_t i = 0; i < PostgresStateStore::kMaxConnections; ++i)
    busy.emplace_back([&] { EXPECT_TRUE(s.inboxSize().ok()); });
  auto watcher = rawSession();
  Poco::Int64 waiting = 0;
  for (int i = 0; i < 1000 && waiting < static_cast<Poco::Int64>(busy.size()); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    watcher << "SELECT COUNT(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'",
        into(waiting), now;
  }
  ASSERT_EQ(waiting, static_cast<Poco::Int64>(busy.size()));

  s.cancelWaits();  // as stop() does
  auto late = s.inboxSize();
  ASSERT_FALSE(late.ok());
  EXPECT_EQ(late.error().code, dms::ErrorCode::Cancelled) << late.error().describe();
  EXPECT_NE(late.error().message.find("stopping"), std::string::npos);

  blocker.rollback();
  for (auto& t : busy) t.join();
  s.resumeWaits();
  EXPECT_TRUE(s.inboxSize().ok()) << "works again after resumeWaits()";
}

INSTANTIATE_TEST_SUITE_P(StateStore, PostgresStateStoreConnections,
                         ::testing::Values(Backend::Postgres),
                         [](const auto&) { return std::string("Postgres"); });

TEST(SqliteStateStore, UnopenableFileIsAClearError) {
  auto store = SqliteStateStore::open("/nonexistent-dir/x/state.db");
  ASSERT_FALSE(store.ok());
  EXPECT_NE(store.error().message.find("/nonexistent-dir/x/state.db"), std::string::npos);
}

/// Descriptors this process holds open on `file` or its WAL and shared-memory files.
int descriptorsOn(const std::filesystem::path& file) {
  int n = 0;
  for (const auto& fd : std::filesystem::directory_iterator("/proc/self/fd")) {
    std::error_code ec;
    const auto target = std::filesystem::read_symlink(fd.path(), ec).string();
    if (!ec && target.rfind(file.string(), 0) == 0) ++n;
  }
  return n;
}

TEST(SqliteStateStore, ClosingAfterCachedStatementsLeavesNothingOpenOnTheFile) {
  // The store keeps prepared statements (issue 15); a connection with statements left
  // unfinalized would not close, and the plugin, a guest in the host, would leak it.
  dms::test::TempDir tmp;
  const auto file = tmp.path() / "state.db";
  {
    auto store = SqliteStateStore::open(file.string());
    ASSERT_TRUE(store.ok()) << store.error().describe();
    TrackedOrder order;
    order.id = 7;
    AssetRecord asset;
    asset.assetId = "a7";
    asset.orderId = 7;
    asset.path = "7/a.pdf";
    asset.state = AssetState::Filed;
    OrderChanges changes;
    changes.track = order;
    changes.assets = {asset};
    ASSERT_TRUE((*store)->commitOrder(changes).ok());
    ASSERT_EQ((*store)->assetsOfOrder(7)->size(), 1u);
    ASSERT_FALSE((*store)->pathHolder("7/a.pdf", "other")->value_or("").empty());
    EXPECT_GT(descriptorsOn(file), 0);
  }
  EXPECT_EQ(descriptorsOn(file), 0);
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
  for (int i = 0; i < 4; ++i)
    readers.emplace_back([&] { EXPECT_TRUE(s.orderCountsByStatus().ok()); });
  for (auto& t : readers) t.join();
  server.restart();
  for (int i = 0; i < 3; ++i) {
    auto size = s.inboxSize();
    EXPECT_TRUE(size.ok()) << "call " << i << ": " << size.error().describe();
  }
}

// --- the SQLite state's write-ahead log kept at its working size (issue 15, branch pushack): once
// the service has reserved it, a commit's sync never also has to commit a new file size, from
// the first commit of a fresh database on; the log is still deleted at close as before.

/// SQLite's checkpoint interval (1000 pages) of 4 KiB pages: the size the log grows to anyway.
constexpr std::uintmax_t kCheckpointIntervalBytes = 1000 * 4096;

std::uintmax_t sizeOf(const std::string& file) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(file, ec);
  return ec ? 0 : size;
}

TEST(SqliteWalSize, AReservedLogTakesCommitsWithoutGrowing) {
  dms::test::TempDir dir;
  const std::string file = dir.str() + "/state.db";
  auto store = SqliteStateStore::open(file);
  ASSERT_TRUE(store.ok()) << store.error().describe();
  EXPECT_LT(sizeOf(file + "-wal"), kCheckpointIntervalBytes) << "only the service reserves it";
  (*store)->reserveCommitLog();
  const auto reserved = sizeOf(file + "-wal");
  EXPECT_GE(reserved, kCheckpointIntervalBytes);
  std::set<std::uintmax_t> sizes;
  for (int i = 0; i < 60; ++i) {
    ASSERT_TRUE((*store)->enqueue(pushFor(1000 + i % 7)).ok());
    sizes.insert(sizeOf(file + "-wal"));
  }
  EXPECT_EQ(sizes, std::set<std::uintmax_t>{reserved}) << "a commit changed the log's size";
  auto waiting = (*store)->inboxSize();
  ASSERT_TRUE(waiting.ok());
  EXPECT_EQ(*waiting, 7u);
}

TEST(SqliteWalSize, AReservedLogIsStillRemovedAtCloseAndNothingIsLost) {
  dms::test::TempDir dir;
  const std::string file = dir.str() + "/state.db";
  {
    auto store = SqliteStateStore::open(file);
    ASSERT_TRUE(store.ok()) << store.error().describe();
    (*store)->reserveCommitLog();
    ASSERT_TRUE((*store)->enqueue(pushFor(41)).ok());
  }
  // state.db alone is whole (a backup of it restores everything; no old log is left to replay).
  EXPECT_FALSE(std::filesystem::exists(file + "-wal"));
  auto reopened = SqliteStateStore::open(file);
  ASSERT_TRUE(reopened.ok()) << reopened.error().describe();
  auto due = (*reopened)->dueMessages(0, 0, 10);
  ASSERT_TRUE(due.ok()) << due.error().describe();
  ASSERT_EQ(due->size(), 1u);
  EXPECT_EQ(due->front().orderId, 41);
}

}  // namespace
}  // namespace ambita::filing
