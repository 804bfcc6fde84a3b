// Issue 15: one state transaction per order. Counts the transactions a reconcile really writes,
// in the database itself (not by asking the store): SQLite's write-ahead log marks the last
// frame of every commit (each one an fdatasync with synchronous=FULL), PostgreSQL hands every
// writing transaction an xid. A filing run of an order may write at most two (its intents, then
// everything after the target's batch); a run with nothing new at most one.

#include <Poco/Data/PostgreSQL/Connector.h>
#include <Poco/Data/Session.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "EngineFixture.h"
#include "FakeOrderApi.h"
#include "filing/CheckBatch.h"
#include "filing/FilingService.h"
#include "filing/PostgresStateStore.h"
#include "filing/SqliteStateStore.h"
#include "filing/StateMigrations.h"
#include "support/PostgresServer.h"

namespace ambita::filing {
namespace {

using namespace Poco::Data::Keywords;
using test::makeAsset;

enum class Backend { Sqlite, Postgres };

std::uint32_t bigEndian32(const unsigned char* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
         std::uint32_t{p[3]};
}

/// Commits in SQLite's write-ahead log `walFile`: frames whose header carries the database size
/// after the commit (non-zero only on a commit's last frame) and the salts of the log's current
/// generation (older frames after a restart of the log carry other salts). See the WAL format in
/// SQLite's file-format documentation.
std::size_t walCommits(const std::string& walFile) {
  std::ifstream in(walFile, std::ios::binary);
  std::vector<unsigned char> wal((std::istreambuf_iterator<char>(in)),
                                 std::istreambuf_iterator<char>());
  constexpr std::size_t kHeader = 32, kFrameHeader = 24;
  if (wal.size() < kHeader) return 0;
  const std::uint32_t pageSize = bigEndian32(&wal[8]);
  const std::uint32_t salt1 = bigEndian32(&wal[16]), salt2 = bigEndian32(&wal[20]);
  std::size_t commits = 0;
  for (std::size_t at = kHeader; at + kFrameHeader + pageSize <= wal.size();
       at += kFrameHeader + pageSize) {
    if (bigEndian32(&wal[at + 8]) != salt1 || bigEndian32(&wal[at + 12]) != salt2) break;
    if (bigEndian32(&wal[at + 4]) != 0) ++commits;
  }
  return commits;
}

class StateTransactionsPerOrder : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    dms::filesystem::FilesystemOptions options;
    options.root = tmp_.str() + "/archive";
    options.fsync = false;
    auto target = dms::filesystem::FilesystemTarget::open(options, &logger_);
    ASSERT_TRUE(target.ok()) << target.error().describe();
    target_ = std::move(*target);
    auto reader = dms::config::OptionReader::parse("{}", {filingConfigOptions()}, "ambita");
    ASSERT_TRUE(reader.ok()) << reader.error().describe();
    auto config = parseFilingConfig(*reader);
    ASSERT_TRUE(config.ok()) << config.error().describe();
    config_ = std::make_unique<FilingConfig>(std::move(*config));
    if (GetParam() == Backend::Sqlite) {
      auto store = SqliteStateStore::open(tmp_.str() + "/state.db");
      ASSERT_TRUE(store.ok()) << store.error().describe();
      store_ = std::move(*store);
    } else {
      server_ = std::make_unique<dms::test::PostgresServer>();
      const auto url = server_->createDatabase();
      auto store = PostgresStateStore::open(url);
      ASSERT_TRUE(store.ok()) << store.error().describe();
      store_ = std::move(*store);
      Poco::Data::PostgreSQL::Connector::registerConnector();
      counter_ = std::make_unique<Poco::Data::Session>(
          "PostgreSQL", server_->connectionString(url.substr(url.rfind('/') + 1)));
    }
    reconciler_ = std::make_unique<Reconciler>(api_, *target_, *store_, *config_, logger_,
                                               tmp_.path() / "spool");
  }

  /// How many writing transactions the database has committed so far (see the file comment).
  std::size_t transactionsSoFar() {
    if (GetParam() == Backend::Sqlite) return walCommits(tmp_.str() + "/state.db-wal");
    // The next xid to be handed out: every writing transaction takes one, a read none.
    Poco::Int64 next = 0;
    *counter_ << "SELECT pg_snapshot_xmax(pg_current_snapshot())::text::bigint", into(next), now;
    return static_cast<std::size_t>(next);
  }

  /// The transactions one reconcile of `orderId` writes; the reconcile must succeed.
  std::size_t transactionsOfReconcile(std::int64_t orderId) {
    const auto before = transactionsSoFar();
    auto report = reconciler_->reconcile(orderId, Reason::Sync);
    EXPECT_TRUE(report.ok()) << report.error().describe();
    if (report) {
      EXPECT_TRUE(report->ok()) << ::testing::PrintToString(report->problems);
    }
    return transactionsSoFar() - before;
  }

  dms::test::TempDir tmp_{"dms-txn"};
  dms::test::CapturingLogger logger_;
  test::FakeOrderApi api_;
  std::unique_ptr<dms::filesystem::FilesystemTarget> target_;
  std::unique_ptr<FilingConfig> config_;
  std::unique_ptr<dms::test::PostgresServer> server_;
  std::unique_ptr<StateStore> store_;
  std::unique_ptr<Poco::Data::Session> counter_;  ///< PostgreSQL: reads the xid counter
  std::unique_ptr<Reconciler> reconciler_;
};

api::OrderCollection pricedOrder(std::vector<api::Asset> orderLevel,
                                 std::vector<api::Asset> lineLevel) {
  auto order =
      test::EngineFixture::makeOrder(41, "FINISHED", std::move(orderLevel), std::move(lineLevel));
  order.orders.front().orderLines.front().priceNet = 180.0;
  order.orders.front().orderLines.front().priceVat = 225.0;
  return order;
}

// A new order's first run: tracking, intents, files, outcomes, audit, events, ledger and status
// in two transactions; everything is there afterwards.
TEST_P(StateTransactionsPerOrder, AFilingRunWritesAtMostTwoTransactions) {
  api_.setOrder(pricedOrder({makeAsset("a1", "kart.pdf"), makeAsset("a2", "takst.pdf")},
                            {makeAsset("a3", "tegning.pdf")}));
  EXPECT_LE(transactionsOfReconcile(41), 2u);

  auto assets = store_->assetsOfOrder(41);
  ASSERT_TRUE(assets.ok()) << assets.error().describe();
  ASSERT_EQ(assets->size(), 3u);
  for (const auto& a : *assets) EXPECT_EQ(a.state, AssetState::Filed) << a.assetId;
  EXPECT_EQ(*store_->outboxSize(), 3u) << "one event per filed file, with its commit";
  auto audit = store_->audit(41, 100);
  ASSERT_TRUE(audit.ok());
  ASSERT_EQ(audit->size(), 4u);
  EXPECT_EQ(audit->front().action, "tracked");
  auto tracked = store_->order(41);
  ASSERT_TRUE(tracked.ok() && tracked->has_value());
  EXPECT_EQ((*tracked)->status, "FINISHED");
  EXPECT_FALSE((*tracked)->finishedAt.empty());
  auto entries = store_->ledgerEntries(41);
  ASSERT_TRUE(entries.ok());
  ASSERT_EQ(entries->size(), 1u);
  EXPECT_EQ(entries->front().netOre, 18000);

  // A file added later: again at most two.
  api_.setOrder(pricedOrder({makeAsset("a1", "kart.pdf"), makeAsset("a2", "takst.pdf")},
                            {makeAsset("a3", "tegning.pdf"), makeAsset("a4", "nytt.pdf")}));
  EXPECT_LE(transactionsOfReconcile(41), 2u);
  EXPECT_EQ(*store_->outboxSize(), 4u);
}

// Nothing new: one transaction (the order's status and when it was checked).
TEST_P(StateTransactionsPerOrder, AReconcileWithNothingNewWritesAtMostOne) {
  api_.setOrder(pricedOrder({makeAsset("a1", "kart.pdf")}, {makeAsset("a3", "tegning.pdf")}));
  ASSERT_TRUE(reconciler_->reconcile(41, Reason::Sync).ok());
  auto before = store_->order(41);
  ASSERT_TRUE(before.ok() && before->has_value());

  EXPECT_LE(transactionsOfReconcile(41), 1u);
  EXPECT_EQ(api_.downloads(), 2);
  auto entries = store_->ledgerEntries(41);
  ASSERT_TRUE(entries.ok());
  EXPECT_EQ(entries->size(), 1u) << "the same price appends nothing";
}

// Withdrawn files: the removal's intent, then everything else.
TEST_P(StateTransactionsPerOrder, ARemovalRunWritesAtMostTwoTransactions) {
  api_.setOrder(pricedOrder({makeAsset("a1", "kart.pdf")}, {makeAsset("a3", "tegning.pdf")}));
  ASSERT_TRUE(reconciler_->reconcile(41, Reason::Sync).ok());
  api_.setOrder(pricedOrder({makeAsset("a1", "kart.pdf", "PLAN_KART_REGULERING", "DELETED")},
                            {makeAsset("a3", "tegning.pdf")}));

  EXPECT_LE(transactionsOfReconcile(41), 2u);
  auto removed = store_->asset("a1");
  ASSERT_TRUE(removed.ok() && removed->has_value());
  EXPECT_EQ((*removed)->state, AssetState::Removed);
  EXPECT_FALSE(std::filesystem::exists(tmp_.path() / "archive" / (*removed)->path));
}

// A pushed order (branch push): answering its inbox messages goes with the reconcile's last
// commit, so a filing run still writes at most two, and the messages are gone afterwards.
TEST_P(StateTransactionsPerOrder, APushedOrderWritesAtMostTwoTransactions) {
  api_.setOrder(pricedOrder({makeAsset("a1", "kart.pdf")}, {makeAsset("a3", "tegning.pdf")}));
  InboxMessage push;
  push.orderId = 41;
  push.status = "FINISHED";
  push.source = "push";
  push.receivedAt = AuditLog::now();
  ASSERT_TRUE(store_->enqueue(push).ok());
  ASSERT_TRUE(store_->enqueue(push).ok()) << "a second push for the order, merged";
  FilingService service(*reconciler_, *store_, *target_, *config_, tmp_.str());
  auto queued = service.queuedOrders(0, 3600, 10);
  ASSERT_TRUE(queued.ok()) << queued.error().describe();
  ASSERT_EQ(queued->size(), 1u);

  const auto before = transactionsSoFar();
  auto report = service.reconcileQueued(queued->front());
  ASSERT_TRUE(report.ok()) << report.error().describe();
  EXPECT_TRUE(report->ok()) << ::testing::PrintToString(report->problems);
  EXPECT_LE(transactionsSoFar() - before, 2u);
  EXPECT_EQ(*store_->inboxSize(), 0u) << "the messages were answered";
  auto assets = store_->assetsOfOrder(41);
  ASSERT_TRUE(assets.ok()) << assets.error().describe();
  ASSERT_EQ(assets->size(), 2u);
  for (const auto& a : *assets) EXPECT_EQ(a.state, AssetState::Filed) << a.assetId;
}

// CPU per order (issue 15, branch ordercpu): in a run over many orders (sync), an order with
// nothing new opens no transaction of its own; when they were checked is written for all of them
// together, in one, and an order with something new still commits its own.
TEST_P(StateTransactionsPerOrder, UnchangedOrdersOfARunOpenNoTransactionEach) {
  const std::vector<std::int64_t> unchanged = {41, 42, 43};
  for (const auto id : unchanged) {
    const auto n = std::to_string(id);
    api_.setOrder(
        test::EngineFixture::makeOrder(id, "FINISHED", {makeAsset("u" + n, "kart" + n + ".pdf")}));
    ASSERT_TRUE(reconciler_->reconcile(id, Reason::Sync).ok());
    // An old check time, so that the run's check shows.
    ASSERT_TRUE(store_->updateOrderStatus(id, "FINISHED", "2000-01-01T00:00:00Z", true).ok());
  }
  api_.setOrder(test::EngineFixture::makeOrder(44, "PROGRESS", {makeAsset("c1", "first.pdf")}));
  ASSERT_TRUE(reconciler_->reconcile(44, Reason::Sync).ok());
  api_.setOrder(test::EngineFixture::makeOrder(
      44, "PROGRESS", {makeAsset("c1", "first.pdf"), makeAsset("c2", "second.pdf")}));
  std::map<std::int64_t, std::string> finishedBefore;
  for (const auto id : unchanged) {
    auto order = store_->order(id);
    ASSERT_TRUE(order.ok() && order->has_value());
    finishedBefore[id] = (*order)->finishedAt;
  }

  const auto before = transactionsSoFar();
  const int downloadsBefore = api_.downloads();
  {
    CheckBatch checks(*store_);
    for (const auto id : unchanged) {
      auto report = reconciler_->reconcile(id, Reason::Sync, {}, nullptr, std::nullopt, &checks);
      ASSERT_TRUE(report.ok()) << report.error().describe();
      EXPECT_EQ(report->unchanged, 1u);
    }
    EXPECT_EQ(transactionsSoFar() - before, 0u) << "no transaction for an unchanged order";
    auto changed = reconciler_->reconcile(44, Reason::Sync, {}, nullptr, std::nullopt, &checks);
    ASSERT_TRUE(changed.ok()) << changed.error().describe();
    EXPECT_EQ(changed->filed, 1u);
    const auto afterChanged = transactionsSoFar() - before;
    EXPECT_GE(afterChanged, 1u) << "an order with a new file commits its own";
    auto c2 = store_->asset("c2");
    ASSERT_TRUE(c2.ok() && c2->has_value());
    EXPECT_EQ((*c2)->state, AssetState::Filed);

    ASSERT_TRUE(checks.flush().ok());
    EXPECT_EQ(transactionsSoFar() - before, afterChanged + 1) << "the checks: one for all";
  }
  EXPECT_EQ(api_.downloads(), downloadsBefore + 1);
  for (const auto id : unchanged) {
    auto order = store_->order(id);
    ASSERT_TRUE(order.ok() && order->has_value());
    EXPECT_GT((*order)->checkedAt, "2000-01-01T00:00:00Z") << id;
    EXPECT_EQ((*order)->status, "FINISHED") << id;
    EXPECT_EQ((*order)->finishedAt, finishedBefore[id]) << "finished stays as it was";
  }
}

// A fresh SQLite state is created in one commit for all its migrations, plus the one that
// creates the version table: each commit is an fdatasync that every first `sync` waits for.
TEST(SqliteStateCreation, AFreshStateIsCreatedInTwoCommits) {
  dms::test::TempDir tmp{"dms-create"};
  auto store = SqliteStateStore::open(tmp.str() + "/state.db");
  ASSERT_TRUE(store.ok()) << store.error().describe();
  auto version = (*store)->schemaVersion();
  ASSERT_TRUE(version.ok());
  EXPECT_EQ(*version, kStateSchemaVersion) << "every migration applied";
  EXPECT_EQ(walCommits(tmp.str() + "/state.db-wal"), 2u);
}

INSTANTIATE_TEST_SUITE_P(StateStore, StateTransactionsPerOrder,
                         ::testing::Values(Backend::Sqlite, Backend::Postgres),
                         [](const auto& info) {
                           return info.param == Backend::Sqlite ? "Sqlite" : "Postgres";
                         });

}  // namespace
}  // namespace ambita::filing
