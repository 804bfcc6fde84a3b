#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <future>
#include <mutex>
#include <optional>
#include <set>
#include <sstream>
#include <thread>

#include "EngineFixture.h"
#include "commands/AdminCommands.h"
#include "support/FaultInjectingTarget.h"
#include "support/ForwardingTarget.h"

namespace ambita::test {
namespace {

using dms::ErrorCode;
using dms::test::FaultInjectingTarget;
using dms::test::FaultRepeat;
using dms::test::FaultTiming;
using dms::test::TargetMethod;
using filing::AssetState;
using filing::Reason;
using filing::TrackedOrder;

class ReconcilerTest : public EngineFixture {
 protected:
  /// Asserts the archive holds exactly `expected` (path → asset), each file byte-identical to
  /// what the API served, with its metadata, and nothing else (no temporaries, no spool).
  void expectTree(const std::map<std::string, api::Asset>& expected) {
    auto files = tree();
    std::set<std::string> got;
    for (const auto& [path, f] : files) got.insert(path);
    std::set<std::string> want;
    for (const auto& [path, a] : expected) want.insert(path);
    EXPECT_EQ(got, want);
    for (const auto& [path, asset] : expected) {
      auto it = files.find(path);
      if (it == files.end()) continue;
      const auto bytes = FakeOrderApi::contentFor(asset.downloadUrl);
      EXPECT_TRUE(it->second.content == bytes) << path << ": content differs";
      EXPECT_EQ(it->second.metadata["ambita.assetId"], asset.id) << path;
      EXPECT_EQ(it->second.metadata["ambita.sha256"], sha256Hex(bytes)) << path;
      EXPECT_EQ(it->second.metadata["ambita.size"], std::to_string(bytes.size())) << path;
      EXPECT_FALSE(it->second.metadata["ambita.filedAt"].empty()) << path;
    }
    EXPECT_TRUE(leftovers().empty()) << leftovers().front();
  }

  void expectAllRecorded(std::int64_t orderId, std::size_t filed) {
    auto assets = store_->assetsOfOrder(orderId);
    ASSERT_TRUE(assets.ok());
    std::size_t n = 0;
    for (const auto& a : *assets) {
      EXPECT_NE(a.state, AssetState::Filing) << a.assetId;
      EXPECT_NE(a.state, AssetState::Removing) << a.assetId;
      if (a.state == AssetState::Filed) {
        ++n;
        EXPECT_TRUE(fsTarget_->stat(a.path).ok()) << "record without its file: " << a.path;
      }
    }
    EXPECT_EQ(n, filed);
  }

  const std::string kFolder = "dms-case-1/1/Plan og regulering";
};

TEST_F(ReconcilerTest, FilesAssetsAtBothLevelsOnceWithMetadata) {
  auto a = makeAsset("a1", "Reguleringskart.pdf");
  auto b = makeAsset("b2", "Vedtekter.pdf", "VEDTEKTER");
  auto dup = makeAsset("d3", "Ferdigattest.pdf", "FERDIGATTEST_OG_MIDLERTIDIG_BRUKSTILLATELSE");
  api_.setOrder(makeOrder(1, "FINISHED", {a, dup}, {b, dup}));
  auto report = reconcile(1);
  ASSERT_TRUE(report.ok()) << report.error().describe();
  EXPECT_TRUE(report->ok());
  EXPECT_EQ(report->filed, 3u);
  EXPECT_EQ(api_.downloads(), 3);
  expectTree({{kFolder + "/Reguleringskart.pdf", a},
              {"dms-case-1/1/Vedtekter/Vedtekter.pdf", b},
              {"dms-case-1/1/Ferdigattest og brukstillatelse/Ferdigattest.pdf", dup}});
  auto md = tree()["dms-case-1/1/Vedtekter/Vedtekter.pdf"].metadata;
  EXPECT_EQ(md["ambita.orderLineId"], "107");
  EXPECT_EQ(md["ambita.product"], "WI99990900");
  EXPECT_EQ(md["ambita.supplier"], "Infoland Kommune - demo");
  expectAllRecorded(1, 3);
  auto order = store_->order(1);
  ASSERT_TRUE(order.ok() && order->has_value());
  EXPECT_EQ((*order)->status, "FINISHED");
  EXPECT_FALSE((*order)->finishedAt.empty());
}

// Issue 12: every reconcile keeps the cost ledger: the line's price charged once, a cancelled
// order credited (the charge stays), with the case reference as tracked.
TEST_F(ReconcilerTest, KeepsTheCostLedgerAndCreditsACancelledOrder) {
  auto order = makeOrder(1, "FINISHED", {}, {makeAsset("b2", "Vedtekter.pdf", "VEDTEKTER")});
  order.reference = "Oppdrag 117";
  order.dateOrdered = "21.02.2021 13:26:52";
  order.orders[0].orderLines[0].priceNet = 0.1;
  order.orders[0].orderLines[0].priceVat = 0.13;
  api_.setOrder(order);
  ASSERT_TRUE(reconcile(1).ok());
  ASSERT_TRUE(reconcile(1).ok());
  auto entries = store_->ledgerEntries(1);
  ASSERT_TRUE(entries.ok());
  ASSERT_EQ(entries->size(), 1u) << "a second reconcile charges nothing again";
  EXPECT_EQ((*entries)[0].netOre, 10);
  EXPECT_EQ((*entries)[0].grossOre, 13);
  auto lines = store_->ledgerLines(1);
  ASSERT_EQ(lines->size(), 1u);
  EXPECT_EQ((*lines)[0].reference, "Oppdrag 117");
  EXPECT_EQ((*lines)[0].category, "VEDTEKTER");
  EXPECT_EQ((*lines)[0].orderedAt, "2021-02-21T13:26:52");
  EXPECT_EQ(tree()["Oppdrag 117/1/Vedtekter/Vedtekter.pdf"].metadata["ambita.priceNet"], "0.10");

  order.status = "CANCELLED";
  api_.setOrder(order);
  ASSERT_TRUE(reconcile(1).ok());
  entries = store_->ledgerEntries(1);
  ASSERT_EQ(entries->size(), 2u);
  EXPECT_EQ((*entries)[1].kind, "credit");
  EXPECT_EQ((*entries)[0].netOre + (*entries)[1].netOre, 0);
}

TEST_F(ReconcilerTest, SecondRunDownloadsNothing) {
  api_.setOrder(makeOrder(1, "FINISHED", {makeAsset("a1", "A.pdf"), makeAsset("a2", "B.pdf")},
                          {makeAsset("a3", "C.pdf")}));
  ASSERT_TRUE(reconcile(1).ok());
  ASSERT_EQ(api_.downloads(), 3);
  auto again = reconcile(1);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(api_.downloads(), 3);
  EXPECT_EQ(again->filed, 0u);
  EXPECT_EQ(again->downloads, 0u);
  EXPECT_EQ(again->unchanged, 3u);
  // Also after a restart (fresh engine on the same state).
  configure(configJson_);
  ASSERT_TRUE(reconcile(1).ok());
  EXPECT_EQ(api_.downloads(), 3);
}

// Ambita promises unique asset ids. An API listing one asset in two orders (broken or hostile)
// must not make each order take the other's record and download and file it again at every
// check: the first order keeps it, the second leaves it alone and says so.
TEST_F(ReconcilerTest, AnAssetListedInTwoOrdersIsFiledOnceForTheFirst) {
  auto x = makeAsset("x1", "Kart.pdf");
  api_.setOrder(makeOrder(1, "FINISHED", {x}));
  api_.setOrder(makeOrder(2, "FINISHED", {x}));
  for (int round = 0; round < 3; ++round) {
    for (std::int64_t id : {1, 2}) {
      auto report = reconcile(id);
      ASSERT_TRUE(report.ok()) << report.error().describe();
      EXPECT_TRUE(report->ok()) << "order " << id;
    }
  }
  EXPECT_EQ(api_.downloads(), 1);
  expectTree({{kFolder + "/Kart.pdf", x}});
  auto record = store_->asset("x1");
  ASSERT_TRUE(record.ok() && record->has_value());
  EXPECT_EQ((*record)->orderId, 1);
  EXPECT_EQ((*record)->path, kFolder + "/Kart.pdf");
  EXPECT_TRUE(store_->assetsOfOrder(2)->empty());
  EXPECT_NE(logger_.text().find("order 2: asset x1 has an id that order 1 holds already"),
            std::string::npos)
      << logger_.text();

  // Withdrawn in the second order only: the first order's file and record stay.
  x.status = "DELETED";
  api_.setOrder(makeOrder(2, "FINISHED", {x}));
  ASSERT_TRUE(reconcile(2).ok());
  x.status = "OK";
  expectTree({{kFolder + "/Kart.pdf", x}});
  EXPECT_EQ((*store_->asset("x1"))->state, AssetState::Filed);
  EXPECT_EQ((*store_->asset("x1"))->orderId, 1);
}

TEST_F(ReconcilerTest, HostileNamesAreFiledInsideTheRootUnderReadableNames) {
  std::vector<api::Asset> assets{
      makeAsset("h1", "../x"),
      makeAsset("h2", "/etc/passwd"),
      makeAsset("h3", "a/b\\c"),
      makeAsset("h4", "CON"),
      makeAsset("h5", std::string(300, 'n') + ".pdf"),
      makeAsset("h6", ""),
      makeAsset("h7", std::string("ctl\x01\x1f\n.pdf")),
      makeAsset("h8", "Kart.pdf"),
      makeAsset("h9", "Kart.pdf"),
      makeAsset("h10", "kart æøå.pdf"),
  };
  assets[5].name = "";  // no name at all: the asset id is used
  api_.setOrder(makeOrder(1, "FINISHED", assets));
  auto report = reconcile(1);
  ASSERT_TRUE(report.ok()) << report.error().describe();
  EXPECT_EQ(report->filed, assets.size())
      << (report->problems.empty() ? "" : report->problems.front());
  auto files = tree();
  EXPECT_EQ(files.size(), assets.size());
  std::set<std::string> names;
  for (const auto& [path, f] : files) {
    EXPECT_EQ(path.rfind(kFolder + "/", 0), 0u) << path;
    const auto name = path.substr(kFolder.size() + 1);
    EXPECT_EQ(name.find('/'), std::string::npos) << path;
    EXPECT_LE(name.size(), 180u);
    names.insert(name);
  }
  for (const char* expected : {"_.._x", "_etc_passwd", "a_b_c", "_CON", "h6", "ctl___.pdf",
                               "Kart.pdf", "Kart (2).pdf", "kart æøå.pdf"})
    EXPECT_EQ(names.count(expected), 1u) << expected;
  // Nothing was written outside the archive root.
  std::set<std::string> top;
  for (const auto& e : std::filesystem::directory_iterator(tmp_->path()))
    top.insert(e.path().filename().string());
  EXPECT_EQ(top, (std::set<std::string>{"archive", "data"}));
  EXPECT_FALSE(std::filesystem::exists(tmp_->path() / "x"));
}

TEST_F(ReconcilerTest, WithdrawnAssetIsRemovedAndAudited) {
  auto keep = makeAsset("k1", "Behold.pdf");
  auto gone = makeAsset("g1", "Trekkes.pdf", "VEDTEKTER");
  api_.setOrder(makeOrder(1, "FINISHED", {keep, gone}));
  ASSERT_TRUE(reconcile(1).ok());
  gone.status = "DELETED";
  api_.setOrder(makeOrder(1, "FINISHED", {keep, gone}));
  auto report = reconcile(1, Reason::Push);
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->removed, 1u);
  expectTree({{kFolder + "/Behold.pdf", keep}});
  EXPECT_FALSE(std::filesystem::exists(archiveRoot_ + "/dms-case-1/1/Vedtekter"))
      << "empty folder pruned";
  auto record = store_->asset("g1");
  EXPECT_EQ((*record)->state, AssetState::Removed);
  EXPECT_EQ((*record)->remoteStatus, "DELETED") << "the record keeps what Ambita said";
  auto log = store_->audit(1, 100);
  ASSERT_TRUE(log.ok());
  bool removedByPush = false;
  for (const auto& e : *log)
    removedByPush |= e.action == "removed" && e.reason == "push" && e.assetId == "g1";
  EXPECT_TRUE(removedByPush);
  EXPECT_EQ(reconcile(1)->removed, 0u) << "removal happens once";
}

// Also on a target without move: the file copied into the withdrawn folder (in the same
// folder change as the folder's creation), then removed where it was.
TEST_F(ReconcilerTest, WithdrawnAssetIsMovedWithMovePolicy) {
  for (const bool targetMoves : {true, false}) {
    SCOPED_TRACE(targetMoves ? "target with move" : "target without move");
    FaultInjectingTarget target(*fsTarget_);
    if (!targetMoves)
      target.failCall(TargetMethod::Move, 1, ErrorCode::NotSupported, FaultRepeat::FromThenOn);
    target_ = &target;
    configure(R"({"filing": {"withdrawnPolicy": "move", "withdrawnFolder": "Trukket tilbake"}})");
    const std::int64_t id = targetMoves ? 1 : 2;
    const std::string folder =
        "dms-case-" + std::to_string(id) + "/" + std::to_string(id) + "/Plan og regulering";
    auto gone = makeAsset("g" + std::to_string(id), "Trekkes.pdf");
    api_.setOrder(makeOrder(id, "FINISHED", {gone}));
    ASSERT_TRUE(reconcile(id).ok());
    gone.status = "DELETED";
    api_.setOrder(makeOrder(id, "FINISHED", {gone}));
    auto report = reconcile(id);
    ASSERT_TRUE(report.ok());
    EXPECT_EQ(report->removed, 1u);
    EXPECT_EQ(target.injectedFaults() > 0, !targetMoves);
    expectTree({{"Trukket tilbake/" + folder + "/Trekkes.pdf", gone}});
    EXPECT_EQ((*store_->asset(gone.id))->targetPath, "Trukket tilbake/" + folder + "/Trekkes.pdf");
    closeEngine();
    target_ = fsTarget_.get();
    for (const auto& entry : std::filesystem::directory_iterator(archiveRoot_))
      std::filesystem::remove_all(entry.path());
  }
}

TEST_F(ReconcilerTest, CancelledAndRefundedOrdersAreEmptied) {
  for (const char* status : {"CANCELLED", "REFUNDED"}) {
    SCOPED_TRACE(status);
    const std::int64_t id = std::string(status) == "CANCELLED" ? 2 : 3;
    auto a = makeAsset("x" + std::to_string(id), "A.pdf");
    auto b = makeAsset("y" + std::to_string(id), "B.pdf");
    api_.setOrder(makeOrder(id, "FINISHED", {a}, {b}));
    ASSERT_TRUE(reconcile(id).ok());
    EXPECT_EQ(tree().size(), 2u);
    // The assets may still say OK: the order's status decides.
    api_.setOrder(makeOrder(id, status, {a}, {b}));
    auto report = reconcile(id);
    ASSERT_TRUE(report.ok());
    EXPECT_EQ(report->removed, 2u);
    EXPECT_TRUE(tree().empty());
    EXPECT_EQ(reconcile(id)->filed, 0u) << "nothing is filed again for a withdrawn order";
    EXPECT_TRUE(tree().empty());
  }
}

TEST_F(ReconcilerTest, AssetWithdrawnBeforeFilingIsNeverDownloaded) {
  api_.setOrder(makeOrder(1, "FINISHED", {makeAsset("d1", "Gone.pdf", "VEDTEKTER", "DELETED")}));
  auto report = reconcile(1);
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(api_.downloads(), 0);
  EXPECT_TRUE(tree().empty());
  EXPECT_EQ((*store_->asset("d1"))->state, AssetState::Removed);
}

TEST_F(ReconcilerTest, FileArrivingAfterFinishedIsFiled) {
  auto a = makeAsset("a1", "A.pdf");
  api_.setOrder(makeOrder(1, "FINISHED", {a}));
  ASSERT_TRUE(reconcile(1).ok());
  auto late = makeAsset("late", "Sen.pdf");
  api_.setOrder(makeOrder(1, "FINISHED", {a}, {late}));
  auto report = reconcile(1);
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->filed, 1u);
  expectTree({{kFolder + "/A.pdf", a}, {kFolder + "/Sen.pdf", late}});
}

TEST_F(ReconcilerTest, UnknownStatusesAreLoggedNotFatal) {
  auto odd = makeAsset("o1", "Odd.pdf", "PLAN_KART_REGULERING", "QUARANTINED");
  auto ok = makeAsset("o2", "Ok.pdf", "NOT_A_KNOWN_CATEGORY");
  api_.setOrder(makeOrder(1, "ON_HOLD", {odd, ok}));
  auto report = reconcile(1);
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->filed, 1u);
  expectTree({{"dms-case-1/1/Andre dokumenter/Ok.pdf", ok}});
  EXPECT_NE(logger_.text().find("ON_HOLD"), std::string::npos);
  EXPECT_NE(logger_.text().find("QUARANTINED"), std::string::npos);
}

TEST_F(ReconcilerTest, OrderThatCannotBeReadIsAnErrorNamingIt) {
  auto report = reconcile(999);
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.error().code, ErrorCode::NotFound);
  EXPECT_NE(report.error().message.find("999"), std::string::npos);
  EXPECT_FALSE(store_->order(999)->has_value()) << "an order Ambita does not know is not tracked";
}

TEST_F(ReconcilerTest, FailedDownloadIsRetriedByTheNextRunWithoutDuplicates) {
  auto a = makeAsset("a1", "A.pdf");
  auto b = makeAsset("b1", "B.pdf");
  api_.setOrder(makeOrder(1, "PROGRESS", {a, b}));
  api_.failDownload(b.downloadUrl, ErrorCode::Unavailable);
  auto first = reconcile(1);
  ASSERT_TRUE(first.ok());
  EXPECT_FALSE(first->ok());
  EXPECT_EQ(first->filed, 1u);
  EXPECT_EQ(first->failed, 1u);
  EXPECT_NE(first->problems.front().find("b1"), std::string::npos);
  EXPECT_EQ((*store_->asset("b1"))->state, AssetState::Failed);
  api_.failDownload(b.downloadUrl, std::nullopt);
  auto second = reconcile(1);
  ASSERT_TRUE(second.ok());
  EXPECT_TRUE(second->ok());
  EXPECT_EQ(second->filed, 1u);
  expectTree({{kFolder + "/A.pdf", a}, {kFolder + "/B.pdf", b}});
}

// The service (push, poll) retries a failing asset with backoff, not on every poll, and gives it
// up after filing.maxAttempts, audited and shown; `sync --order` asks for it again.
TEST_F(ReconcilerTest, FailingAssetBacksOffAndIsGivenUpAfterMaxAttempts) {
  configure(R"({"filing": {"maxAttempts": 3, "retryMaxMinutes": 2}})");
  auto a = makeAsset("a1", "A.pdf");
  api_.setOrder(makeOrder(1, "PROGRESS", {a}));
  api_.failDownload(a.downloadUrl, ErrorCode::Unavailable);
  auto first = reconcile(1, Reason::Poll);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->failed, 1u);
  EXPECT_EQ(api_.downloads(), 1);

  auto soon = reconcile(1, Reason::Poll);
  ASSERT_TRUE(soon.ok());
  EXPECT_EQ(api_.downloads(), 1) << "not retried before its backoff has passed";
  EXPECT_EQ(soon->waiting, 1u);
  EXPECT_TRUE(soon->ok()) << "waiting is not a new failure of the order";

  advanceClock(61);  // first backoff: 1 minute
  ASSERT_TRUE(reconcile(1, Reason::Poll).ok());
  EXPECT_EQ(api_.downloads(), 2);
  advanceClock(121);  // then 2 minutes (the cap)
  ASSERT_TRUE(reconcile(1, Reason::Poll).ok());
  EXPECT_EQ(api_.downloads(), 3);
  auto record = store_->asset("a1");
  EXPECT_EQ((*record)->attempts, 3);
  EXPECT_TRUE(filing::Reconciler::givenUp(**record, *config_));

  advanceClock(7 * 24 * 3600);
  ASSERT_TRUE(reconcile(1, Reason::Poll).ok());
  ASSERT_TRUE(reconcile(1, Reason::Sync).ok());
  EXPECT_EQ(api_.downloads(), 3) << "given up: never retried by itself";
  auto log = store_->audit(1, 100);
  ASSERT_TRUE(log.ok());
  EXPECT_EQ(std::count_if(log->begin(), log->end(),
                          [](const filing::AuditEntry& e) { return e.action == "given up"; }),
            1);

  commands::AdminCommands admin(*service_, *config_);
  std::ostringstream out, err;
  ASSERT_EQ(admin.run("status", {"1"}, {&out, &err, false}), 0) << err.str();
  EXPECT_NE(out.str().find("given up after 3 attempts"), std::string::npos) << out.str();
  api_.failDownload(a.downloadUrl, std::nullopt);
  ASSERT_EQ(admin.run("sync", {"--order", "1"}, {&out, &err, false}), 0) << err.str();
  EXPECT_EQ(api_.downloads(), 4);
  EXPECT_EQ((*store_->asset("a1"))->state, AssetState::Filed);
}

// The clock set back by a day after a failure (issue 13 fault matrix, "the clock jumping"): the
// asset is retried once its longest backoff has passed by the new clock, not a day later.
TEST_F(ReconcilerTest, FailingAssetIsRetriedAfterTheClockWasSetBack) {
  configure(R"({"filing": {"maxAttempts": 5, "retryMaxMinutes": 2}})");
  auto a = makeAsset("a1", "A.pdf");
  api_.setOrder(makeOrder(1, "PROGRESS", {a}));
  api_.failDownload(a.downloadUrl, ErrorCode::Unavailable);
  ASSERT_TRUE(reconcile(1, Reason::Poll).ok());
  EXPECT_EQ(api_.downloads(), 1);

  advanceClock(-24 * 3600);
  api_.failDownload(a.downloadUrl, std::nullopt);
  ASSERT_TRUE(reconcile(1, Reason::Poll).ok());
  EXPECT_EQ(api_.downloads(), 2) << "a wait beyond the longest backoff is a clock jump";
  EXPECT_EQ((*store_->asset("a1"))->state, AssetState::Filed);
}

TEST_F(ReconcilerTest, ForeignFileAtTheNameIsNeverOverwritten) {
  ASSERT_TRUE(fsTarget_->ensureFolder(kFolder).ok());
  std::istringstream foreign("somebody else's file");
  ASSERT_TRUE(fsTarget_->put(kFolder + "/A.pdf", foreign, {}, dms::PutMode::CreateNew).ok());
  auto a = makeAsset("a1", "A.pdf");
  api_.setOrder(makeOrder(1, "FINISHED", {a}));
  ASSERT_TRUE(reconcile(1).ok());
  auto files = tree();
  EXPECT_EQ(files[kFolder + "/A.pdf"].content, "somebody else's file");
  EXPECT_EQ(files[kFolder + "/A (2).pdf"].metadata["ambita.assetId"], "a1");
}

// Issue 15 (3 WebDAV requests a file): a new file's name is not looked up on the target before
// its put; the put's CreateNew finds a taken name by itself.
TEST_F(ReconcilerTest, NewFilesAreNotLookedUpOnTheTargetBeforeTheirPut) {
  FaultInjectingTarget counting(*fsTarget_);
  target_ = &counting;
  configure("{}");
  auto a = makeAsset("a1", "A.pdf"), b = makeAsset("b1", "B.pdf"), c = makeAsset("c1", "C.pdf");
  api_.setOrder(makeOrder(1, "FINISHED", {a, b}, {c}));
  auto report = reconcile(1);
  ASSERT_TRUE(report.ok()) << report.error().describe();
  EXPECT_TRUE(report->ok()) << (report->problems.empty() ? "" : report->problems.front());
  EXPECT_EQ(counting.calls(TargetMethod::Stat), 0);
  EXPECT_EQ(counting.calls(TargetMethod::ReadMetadata), 0);
  EXPECT_EQ(counting.calls(TargetMethod::Put), 3);
  expectTree({{kFolder + "/A.pdf", a}, {kFolder + "/B.pdf", b}, {kFolder + "/C.pdf", c}});
  expectAllRecorded(1, 3);
  closeEngine();
  target_ = fsTarget_.get();
}

// Our own file under the name, from a run whose record was lost: adopted, not filed twice.
TEST_F(ReconcilerTest, OwnFileWithoutARecordIsAdopted) {
  auto a = makeAsset("a1", "A.pdf");
  ASSERT_TRUE(fsTarget_->ensureFolder(kFolder).ok());
  std::istringstream earlier(FakeOrderApi::contentFor(a.downloadUrl));
  ASSERT_TRUE(
      fsTarget_
          ->put(kFolder + "/A.pdf", earlier, {{"ambita.assetId", "a1"}}, dms::PutMode::CreateNew)
          .ok());
  api_.setOrder(makeOrder(1, "FINISHED", {a}));
  auto report = reconcile(1);
  ASSERT_TRUE(report.ok()) << report.error().describe();
  EXPECT_TRUE(report->ok()) << (report->problems.empty() ? "" : report->problems.front());
  auto files = tree();
  EXPECT_EQ(files.size(), 1u);
  EXPECT_EQ(files[kFolder + "/A.pdf"].metadata["ambita.assetId"], "a1");
  expectAllRecorded(1, 1);
}

TEST_F(ReconcilerTest, DownloadsRunConcurrentlyWithinTheBound) {
  configure(R"({"filing": {"concurrency": 3}})");
  std::vector<api::Asset> assets;
  std::map<std::string, api::Asset> expected;
  for (int i = 0; i < 12; ++i) {
    auto a = makeAsset("c" + std::to_string(i), "F" + std::to_string(i) + ".pdf",
                       "PLAN_KART_REGULERING", "OK", 20000 + static_cast<std::size_t>(i));
    assets.push_back(a);
    expected[kFolder + "/F" + std::to_string(i) + ".pdf"] = a;
  }
  api_.setOrder(makeOrder(1, "FINISHED", assets));
  auto report = reconcile(1);
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->filed, 12u);
  EXPECT_LE(api_.maxConcurrentDownloads(), 3);
  expectTree(expected);
}

TEST_F(ReconcilerTest, OneOrderIsReconciledByOneThreadAtATime) {
  std::vector<api::Asset> assets;
  for (int i = 0; i < 6; ++i)
    assets.push_back(makeAsset("p" + std::to_string(i), "P" + std::to_string(i) + ".pdf"));
  api_.setOrder(makeOrder(1, "FINISHED", assets));
  std::vector<std::thread> threads;
  std::atomic<int> filed{0};
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      auto r = reconcile(1, Reason::Push);
      if (r) filed += static_cast<int>(r->filed);
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(filed.load(), 6);
  EXPECT_EQ(api_.downloads(), 6);
  EXPECT_EQ(tree().size(), 6u);
}

/// Forwards to a target and records every time two calls modify the same path at once (the
/// DocumentTarget contract forbids it; WebDAV servers answer such races with errors).
class OverlapDetectingTarget final : public dms::test::ForwardingTarget {
 public:
  using ForwardingTarget::ForwardingTarget;
  int overlaps() const { return overlaps_.load(); }

 protected:
  std::optional<dms::Error> around(const dms::test::TargetCall& call,
                                   const Forward& forward) override {
    const auto paths = call.modifiedPaths();
    if (paths.empty()) {  // reads may overlap
      forward();
      return std::nullopt;
    }
    {
      std::lock_guard lock(mutex_);
      for (const auto& p : paths)
        if (busy_[p]++ > 0) ++overlaps_;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));  // widen the window
    forward();
    std::lock_guard lock(mutex_);
    for (const auto& p : paths) --busy_[p];
    return std::nullopt;
  }

 private:
  std::mutex mutex_;
  std::map<std::string, int> busy_;
  std::atomic<int> overlaps_{0};
};

TEST_F(ReconcilerTest, NeverModifiesOnePathFromTwoThreads) {
  OverlapDetectingTarget checked(*fsTarget_);
  target_ = &checked;
  // Two orders share the reference folder and run in parallel; each has many files in few folders.
  configure(
      R"({"filing": {"concurrency": 4, "folderTemplate": "{reference}/{orderId}/{categoryFolder}"}})");
  for (std::int64_t id : {1, 2}) {
    TrackedOrder hint;
    hint.id = id;
    hint.reference = "Felles";
    ASSERT_TRUE(store_->trackOrder(hint).ok());
    std::vector<api::Asset> assets;
    for (int i = 0; i < 8; ++i)
      assets.push_back(makeAsset("o" + std::to_string(id) + "-" + std::to_string(i),
                                 "F" + std::to_string(i) + ".pdf",
                                 i % 2 ? "VEDTEKTER" : "PROSPEKT"));
    api_.setOrder(makeOrder(id, "FINISHED", assets));
  }
  std::thread other([&] { EXPECT_TRUE(reconcile(2).ok()); });
  EXPECT_TRUE(reconcile(1).ok());
  other.join();
  EXPECT_EQ(tree().size(), 16u);
  // Withdrawals of both orders at once (removal with pruning of shared parents).
  api_.setOrder(makeOrder(1, "CANCELLED", {}));
  api_.setOrder(makeOrder(2, "CANCELLED", {}));
  std::thread other2([&] { EXPECT_TRUE(reconcile(2).ok()); });
  EXPECT_TRUE(reconcile(1).ok());
  other2.join();
  EXPECT_TRUE(tree().empty());
  EXPECT_EQ(checked.overlaps(), 0);
  closeEngine();
  target_ = fsTarget_.get();
}

// --- folder changes of different orders (FolderGate): no lock held while the target works

/// Forwards to a target, holding the calls of one method whose path begins with a prefix inside
/// the target until release() (a slow or hung WebDAV answer), and counting what entered.
class HoldingTarget final : public dms::test::ForwardingTarget {
 public:
  HoldingTarget(dms::DocumentTarget& inner, TargetMethod method, std::string prefix)
      : ForwardingTarget(inner), method_(method), prefix_(std::move(prefix)) {}
  ~HoldingTarget() override { release(); }

  /// Whether a call is held now (waits for one up to a minute).
  bool waitUntilHolding() {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, std::chrono::minutes(1), [&] { return holding_ > 0; });
  }
  void release() {
    {
      std::lock_guard lock(mutex_);
      released_ = true;
    }
    changed_.notify_all();
  }
  /// Calls of `method` whose path begins with `prefix` that reached the target so far.
  int entered(TargetMethod method, const std::string& prefix) const {
    std::lock_guard lock(mutex_);
    int n = 0;
    for (const auto& [m, path] : entered_) n += m == method && path.starts_with(prefix);
    return n;
  }

 protected:
  std::optional<dms::Error> around(const dms::test::TargetCall& call,
                                   const Forward& forward) override {
    {
      std::unique_lock lock(mutex_);
      entered_.emplace_back(call.method, call.path);
      if (call.method == method_ && call.path.starts_with(prefix_) && !released_) {
        ++holding_;
        changed_.notify_all();
        changed_.wait(lock, [&] { return released_; });
        --holding_;
      }
    }
    forward();
    return std::nullopt;
  }

 private:
  const TargetMethod method_;
  const std::string prefix_;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  bool released_ = false;
  int holding_ = 0;
  std::vector<std::pair<TargetMethod, std::string>> entered_;
};

class FolderChangesTest : public ReconcilerTest {
 protected:
  static constexpr const char* kFolderConfig =
      R"({"filing": {"folderTemplate": "{reference}/{orderId}/{categoryFolder}"}})";
  /// The same, a withdrawn file moved to "Trukket tilbake/{its folder}/".
  static constexpr const char* kMoveConfig =
      R"({"filing": {"folderTemplate": "{reference}/{orderId}/{categoryFolder}",
                     "withdrawnPolicy": "move", "withdrawnFolder": "Trukket tilbake"}})";
  std::string folderConfig_ = kFolderConfig;
  /// Orders filed under "{reference}/{orderId}/{categoryFolder}" through `target`, each with the
  /// given reference and one file.
  void setUpOrders(dms::DocumentTarget& target,
                   const std::vector<std::pair<std::int64_t, std::string>>& references) {
    target_ = &target;
    configure(folderConfig_);
    for (const auto& [id, reference] : references) {
      TrackedOrder hint;
      hint.id = id;
      hint.reference = reference;
      ASSERT_TRUE(store_->trackOrder(hint).ok());
      const auto name = "o" + std::to_string(id);
      api_.setOrder(makeOrder(id, "FINISHED", {makeAsset(name, name + ".pdf")}));
    }
  }
  void TearDown() override {
    closeEngine();
    target_ = fsTarget_.get();
    ReconcilerTest::TearDown();
  }
  /// Polls until the reconciler has a folder change waiting for a colliding one (a minute at most).
  bool aFolderChangeWaits() {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(1);
    while (reconciler_->folderChangesWaiting() == 0) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return true;
  }
  /// Order 1 (new) is filed while order 2 (filed before) is withdrawn, both under "Felles":
  /// order `heldOrder`'s call of `heldMethod` is held in the target; the other order's folder
  /// change (`otherMethod`) waits, not reaching the target, until it is released.
  void expectTheOtherWaitsForTheHeldOne(TargetMethod heldMethod, std::int64_t heldOrder,
                                        TargetMethod otherMethod) {
    const auto under = [](std::int64_t id) { return "Felles/" + std::to_string(id) + "/"; };
    const std::int64_t otherOrder = heldOrder == 1 ? 2 : 1;
    HoldingTarget holding(*fsTarget_, heldMethod, under(heldOrder));
    setUpOrders(holding, {{2, "Felles"}});
    ASSERT_TRUE(reconcile(2).ok());  // order 2's file, to be withdrawn (its folders pruned)
    setUpOrders(holding, {{1, "Felles"}});
    api_.setOrder(makeOrder(2, "CANCELLED", {}));
    auto held = reconcileAside(heldOrder);
    EXPECT_TRUE(holding.waitUntilHolding());
    auto other = reconcileAside(otherOrder);
    EXPECT_TRUE(aFolderChangeWaits());
    EXPECT_EQ(holding.entered(otherMethod, under(otherOrder)), 0)
        << methodName(otherMethod) << " reached the target beside a held "
        << methodName(heldMethod);
    holding.release();
    ASSERT_TRUE(held.get().ok());
    ASSERT_TRUE(other.get().ok());
    const auto files = tree();
    ASSERT_EQ(files.size(), 1u);
    EXPECT_TRUE(files.begin()->first.starts_with(under(1))) << files.begin()->first;
  }
  using Reconcile = std::future<dms::Result<filing::ReconcileReport>>;
  Reconcile reconcileAside(std::int64_t id) {
    return std::async(std::launch::async, [this, id] { return reconcile(id); });
  }
};

TEST_F(FolderChangesTest, AFolderIsMadeWhileAnUnrelatedOneIsHeldInTheTarget) {
  HoldingTarget holding(*fsTarget_, TargetMethod::EnsureFolder, "Slow/");
  setUpOrders(holding, {{1, "Slow"}, {2, "Quick"}});
  auto slow = reconcileAside(1);
  EXPECT_TRUE(holding.waitUntilHolding());
  auto quick = reconcileAside(2);
  // Generous: it takes milliseconds; with a lock across the held call it never ends.
  const bool quickEnded = quick.wait_for(std::chrono::minutes(1)) == std::future_status::ready;
  holding.release();
  EXPECT_TRUE(quickEnded) << "order 2's folder waited for order 1's unrelated one";
  auto quickReport = quick.get();
  ASSERT_TRUE(quickReport.ok()) << quickReport.error().describe();
  EXPECT_EQ(quickReport->filed, 1u);
  auto slowReport = slow.get();
  ASSERT_TRUE(slowReport.ok()) << slowReport.error().describe();
  EXPECT_EQ(slowReport->filed, 1u);
  EXPECT_EQ(tree().size(), 2u);
}

TEST_F(FolderChangesTest, APruneWaitsForAHeldCreationUnderTheSameFolder) {
  expectTheOtherWaitsForTheHeldOne(TargetMethod::EnsureFolder, 1, TargetMethod::Remove);
}

TEST_F(FolderChangesTest, ACreationWaitsForAHeldPruneUnderTheSameFolder) {
  expectTheOtherWaitsForTheHeldOne(TargetMethod::Remove, 2, TargetMethod::EnsureFolder);
}

TEST_F(FolderChangesTest, StopEndsAFolderChangeWaitingForAHeldOne) {
  HoldingTarget holding(*fsTarget_, TargetMethod::EnsureFolder, "Felles/1/");
  setUpOrders(holding, {{1, "Felles"}, {2, "Felles"}});
  auto held = reconcileAside(1);
  EXPECT_TRUE(holding.waitUntilHolding());
  auto waiting = reconcileAside(2);
  EXPECT_TRUE(aFolderChangeWaits());
  reconciler_->requestStop();
  const bool ended = waiting.wait_for(std::chrono::minutes(1)) == std::future_status::ready;
  holding.release();
  EXPECT_TRUE(ended) << "stop did not end a wait for another order's folder";
  auto stopped = waiting.get();
  ASSERT_FALSE(stopped.ok());
  EXPECT_EQ(stopped.error().code, ErrorCode::Cancelled);
  bool named = false;
  for (const auto& line : logger_.lines())
    named = named || (line.find("Felles/2/") != std::string::npos &&
                      line.find("stopping") != std::string::npos);
  EXPECT_TRUE(named) << "no line names the folder that was waiting";
  (void)held.get();  // stopped too, or done: either way retried below
  reconciler_->resetStop();
  ASSERT_TRUE(reconcile(1).ok());
  ASSERT_TRUE(reconcile(2).ok());
  EXPECT_EQ(tree().size(), 2u);
}

/// Deletes the folder an ensureFolder() has just made, once, as another order's prune could in
/// the window between making a folder and putting a file into it (not covered by FolderGate).
class FolderPrunedAfterItsCreation final : public dms::test::ForwardingTarget {
 public:
  FolderPrunedAfterItsCreation(dms::DocumentTarget& inner, std::filesystem::path root)
      : ForwardingTarget(inner), root_(std::move(root)) {}
  int creations() const { return creations_; }

 protected:
  std::optional<dms::Error> around(const dms::test::TargetCall& call,
                                   const Forward& forward) override {
    forward();
    if (call.method == TargetMethod::EnsureFolder && ++creations_ == 1)
      std::filesystem::remove(root_ / call.path);
    return std::nullopt;
  }

 private:
  const std::filesystem::path root_;
  std::atomic<int> creations_{0};
};

TEST_F(FolderChangesTest, AFolderPrunedBeforeThePutIsMadeAgainByThePut) {
  FolderPrunedAfterItsCreation pruned(*fsTarget_, archiveRoot_);
  setUpOrders(pruned, {{1, "Felles"}});
  auto report = reconcile(1);
  ASSERT_TRUE(report.ok()) << report.error().describe();
  EXPECT_EQ(report->filed, 1u);
  EXPECT_EQ(pruned.creations(), 2);  // the reconcile's, then the put's after its Conflict
  EXPECT_EQ(tree().size(), 1u);
}

// A withdrawn file's move: its destination folder made and the file moved into it as one
// folder change. Before, the folder was made by a change of its own and the move ran beside
// any other: another order's prune under the same top-level folder could delete the folder
// in between.
TEST_F(FolderChangesTest, AFolderChangeWaitsForAHeldMoveIntoAFolderMadeForIt) {
  folderConfig_ = kMoveConfig;
  HoldingTarget holding(*fsTarget_, TargetMethod::Move, "Felles/1/");
  setUpOrders(holding, {{1, "Felles"}});
  ASSERT_TRUE(reconcile(1).ok());
  // Order 2 files under the withdrawn folder's top-level folder: its folders collide with the
  // move's destination "Trukket tilbake/Felles/1/...".
  setUpOrders(holding, {{2, "Trukket tilbake"}});
  api_.setOrder(makeOrder(1, "CANCELLED", {}));
  auto moving = reconcileAside(1);
  EXPECT_TRUE(holding.waitUntilHolding());
  EXPECT_EQ(holding.entered(TargetMethod::EnsureFolder, "Trukket tilbake/Felles/1/"), 1);
  auto other = reconcileAside(2);
  EXPECT_TRUE(aFolderChangeWaits());
  EXPECT_EQ(holding.entered(TargetMethod::EnsureFolder, "Trukket tilbake/2/"), 0)
      << "a colliding folder was made between the move's folder and the move";
  holding.release();
  auto moved = moving.get();
  ASSERT_TRUE(moved.ok()) << moved.error().describe();
  EXPECT_EQ(moved->removed, 1u);
  ASSERT_TRUE(other.get().ok());
  std::set<std::string> paths;
  for (const auto& [path, file] : tree()) paths.insert(path);
  ASSERT_EQ(paths.size(), 2u);
  EXPECT_TRUE(paths.begin()->starts_with("Trukket tilbake/2/")) << *paths.begin();
  EXPECT_TRUE(paths.rbegin()->starts_with("Trukket tilbake/Felles/1/")) << *paths.rbegin();
}

// What the gate cannot keep apart (another host on the same target, a person tidying up):
// the destination folder removed between its creation and the move. The move fails, the asset
// stays Removing with nothing lost, and the next reconcile's recovery moves it.
TEST_F(FolderChangesTest, AMoveWhoseFolderWasRemovedIsFinishedByTheNextReconcile) {
  folderConfig_ = kMoveConfig;
  setUpOrders(*fsTarget_, {{1, "Felles"}});
  ASSERT_TRUE(reconcile(1).ok());
  FolderPrunedAfterItsCreation pruned(*fsTarget_, archiveRoot_);
  setUpOrders(pruned, {});
  api_.setOrder(makeOrder(1, "CANCELLED", {}));
  auto first = reconcile(1);
  ASSERT_TRUE(first.ok()) << first.error().describe();
  EXPECT_EQ(pruned.creations(), 1);
  EXPECT_EQ(first->removed, 0u);
  ASSERT_EQ(first->problems.size(), 1u);
  EXPECT_NE(first->problems[0].find("Trukket tilbake/Felles/1/"), std::string::npos)
      << first->problems[0];
  EXPECT_EQ((*store_->asset("o1"))->state, AssetState::Removing);
  ASSERT_EQ(tree().size(), 1u);
  EXPECT_TRUE(tree().begin()->first.starts_with("Felles/1/")) << "the file stays where it was";

  auto second = reconcile(1);
  ASSERT_TRUE(second.ok()) << second.error().describe();
  EXPECT_TRUE(second->problems.empty()) << second->problems.front();
  EXPECT_EQ((*store_->asset("o1"))->state, AssetState::Removed);
  const auto files = tree();
  ASSERT_EQ(files.size(), 1u);
  EXPECT_TRUE(files.begin()->first.starts_with("Trukket tilbake/Felles/1/"))
      << files.begin()->first;
}

// --- target faults: every failure ends in a correct tree after a re-run

struct TargetFault {
  const char* name;
  std::function<void(FaultInjectingTarget&)> plan;
};

class ReconcilerFaultTest : public ReconcilerTest, public ::testing::WithParamInterface<int> {};

const std::vector<TargetFault>& targetFaults() {
  static const std::vector<TargetFault> faults{
      {"put fails before storing",
       [](auto& t) { t.failCall(TargetMethod::Put, 2, ErrorCode::Unavailable); }},
      {"put stored but answer lost",
       [](auto& t) {
         t.failCall(TargetMethod::Put, 2, ErrorCode::Unavailable, FaultRepeat::Once,
                    FaultTiming::AfterCall);
       }},
      {"disk full mid-file", [](auto& t) { t.diskFullOnPut(1, 300); }},
      {"connection reset mid-body", [](auto& t) { t.resetMidBodyOnPut(3, 100); }},
      {"ensureFolder fails",
       [](auto& t) { t.failCall(TargetMethod::EnsureFolder, 1, ErrorCode::PermissionDenied); }},
      {"target down from the 2nd put",
       [](auto& t) {
         t.failCall(TargetMethod::Put, 2, ErrorCode::Unavailable, FaultRepeat::FromThenOn);
       }},
      // A new file's name is looked at on the target only when its put finds it taken (no
      // stat while planning since issue 15): that look fails.
      {"looking at a taken name fails",
       [](auto& t) {
         t.failCall(TargetMethod::Put, 2, ErrorCode::AlreadyExists);
         t.failCall(TargetMethod::ReadMetadata, 1, ErrorCode::Unavailable);
       }},
      // Every name is taken by the time it is put (a busy shared folder): the asset fails and
      // is retried; it was recorded as filed without a file after 20 tries.
      {"every put finds its name taken",
       [](auto& t) {
         t.failCall(TargetMethod::Put, 1, ErrorCode::AlreadyExists, FaultRepeat::FromThenOn);
       }},
  };
  return faults;
}

TEST_P(ReconcilerFaultTest, FaultThenRerunGivesExactTree) {
  const auto& fault = targetFaults()[static_cast<std::size_t>(GetParam())];
  SCOPED_TRACE(fault.name);
  FaultInjectingTarget faulty(*fsTarget_);
  fault.plan(faulty);
  target_ = &faulty;
  configure("{}");
  auto a = makeAsset("a1", "A.pdf"), b = makeAsset("b1", "B.pdf"), c = makeAsset("c1", "C.pdf");
  api_.setOrder(makeOrder(1, "FINISHED", {a, b}, {c}));
  auto first = reconcile(1);
  EXPECT_GT(faulty.injectedFaults(), 0);
  if (first) {
    EXPECT_FALSE(first->ok());
  }
  faulty.clearFaults();
  ASSERT_TRUE(fsTarget_->recover().ok());
  auto second = reconcile(1);
  ASSERT_TRUE(second.ok()) << second.error().describe();
  EXPECT_TRUE(second->ok()) << (second->problems.empty() ? "" : second->problems.front());
  expectTree({{kFolder + "/A.pdf", a}, {kFolder + "/B.pdf", b}, {kFolder + "/C.pdf", c}});
  expectAllRecorded(1, 3);
  closeEngine();
  target_ = fsTarget_.get();
}

INSTANTIATE_TEST_SUITE_P(TargetFaults, ReconcilerFaultTest,
                         ::testing::Range(0, static_cast<int>(targetFaults().size())));

// A put that placed its file but answered an error (the answer lost, the folder's sync failed)
// leaves a Failed record naming the path, and the file there. Withdrawn by Ambita before the
// retry, the file must go: it was planned as "withdrawn before it was filed" and stayed for good.
// A failed put that placed nothing is only noted as removed.
TEST_F(ReconcilerTest, AFilePlacedByAFailedAttemptGoesWhenTheAssetIsWithdrawn) {
  for (const auto timing : {FaultTiming::AfterCall, FaultTiming::BeforeCall}) {
    const bool placed = timing == FaultTiming::AfterCall;
    SCOPED_TRACE(placed ? "the failed put placed the file" : "the failed put placed nothing");
    FaultInjectingTarget faulty(*fsTarget_);
    faulty.failCall(TargetMethod::Put, 1, ErrorCode::Unavailable, FaultRepeat::Once, timing);
    target_ = &faulty;
    configure("{}");
    const std::int64_t id = placed ? 1 : 2;
    auto a = makeAsset(placed ? "a1" : "a2", "A.pdf");
    api_.setOrder(makeOrder(id, "FINISHED", {a}));
    auto first = reconcile(id);
    ASSERT_TRUE(first.ok()) << first.error().describe();
    EXPECT_FALSE(first->ok()) << "the put's error was not reported";
    const std::string path =
        "dms-case-" + std::to_string(id) + "/" + std::to_string(id) + "/Plan og regulering/A.pdf";
    ASSERT_EQ(tree().count(path), placed ? 1u : 0u);
    auto failed = store_->asset(a.id);
    ASSERT_TRUE(failed.ok() && *failed);
    EXPECT_EQ((*failed)->state, AssetState::Failed);
    faulty.clearFaults();

    a.status = "DELETED";
    api_.setOrder(makeOrder(id, "FINISHED", {a}));
    auto second = reconcile(id);
    ASSERT_TRUE(second.ok()) << second.error().describe();
    EXPECT_TRUE(second->ok()) << (second->problems.empty() ? "" : second->problems.front());
    EXPECT_EQ(second->removed, placed ? 1u : 0u);
    expectTree({});  // the withdrawn asset's file stayed
    auto record = store_->asset(a.id);
    ASSERT_TRUE(record.ok() && *record);
    EXPECT_EQ((*record)->state, AssetState::Removed);
    closeEngine();
    target_ = fsTarget_.get();
  }
}

// --- crash safety: the process dies (here: _exit in a forked child) at a chosen call

/// Forwards to a target, but ends the process at the nth call of one method, before or after
/// forwarding it: what a kill -9 at that point leaves behind.
class CrashingTarget final : public dms::test::ForwardingTarget {
 public:
  CrashingTarget(dms::DocumentTarget& inner, TargetMethod method, int nth, bool after)
      : ForwardingTarget(inner), method_(method), nth_(nth), after_(after) {}

 protected:
  std::optional<dms::Error> around(const dms::test::TargetCall& call,
                                   const Forward& forward) override {
    const bool crash = call.method == method_ && ++count_ == nth_;
    if (crash && !after_) ::_exit(42);
    forward();
    if (crash) ::_exit(42);
    return std::nullopt;
  }

 private:
  TargetMethod method_;
  int nth_;
  bool after_;
  std::atomic<int> count_{0};
};

struct CrashPoint {
  std::string name;
  TargetMethod method = TargetMethod::Put;
  int nth = 0;
  bool after = false;
  int download = 0;  ///< crash at the start of this download instead (0 = no)
};

class ReconcilerCrashTest : public ReconcilerTest {
 protected:
  /// Empties the archive root (the target keeps its descriptor of the root folder).
  void emptyArchive() {
    for (const auto& e : std::filesystem::directory_iterator(archiveRoot_))
      std::filesystem::remove_all(e.path());
  }

  /// Runs one reconcile in a child process that dies at `point`; returns the child's exit code
  /// (42 = died at the crash point, 0 = finished without reaching it).
  int runChildUntilCrash(const CrashPoint& point, const std::string& config) {
    closeEngine();
    const pid_t pid = ::fork();
    if (pid == 0) {
      CrashingTarget crashing(*fsTarget_, point.method, point.download ? -1 : point.nth,
                              point.after);
      if (point.download)
        api_.onDownload([n = point.download + api_.downloads()](int k) {
          if (k == n) ::_exit(42);
        });
      target_ = &crashing;
      configure(config);
      auto r = reconcile(1);
      ::_exit(r.ok() ? 0 : 3);
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    target_ = fsTarget_.get();
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

  /// An empty archive and data folder, as before the first run.
  void startFromNothing() {
    closeEngine();
    emptyArchive();
    std::filesystem::remove_all(dataDir_);
    std::filesystem::create_directories(dataDir_);
  }

  /// After a restart: the exact tree of order 1, every asset recorded, and the run after that
  /// downloads nothing.
  void expectExactTreeAfterRestart(const std::map<std::string, api::Asset>& expected) {
    restartAndReconcile("{}");
    expectTree(expected);
    expectAllRecorded(1, expected.size());
    const int before = api_.downloads();
    ASSERT_TRUE(reconcile(1).ok());
    EXPECT_EQ(api_.downloads(), before);
  }

  /// What a restarted host does: recover the target, then reconcile.
  void restartAndReconcile(const std::string& config) {
    ASSERT_TRUE(fsTarget_->recover().ok());
    configure(config);
    auto r = reconcile(1);
    ASSERT_TRUE(r.ok()) << r.error().describe();
    EXPECT_TRUE(r->ok()) << (r->problems.empty() ? "" : r->problems.front());
  }
};

TEST_F(ReconcilerCrashTest, KillAtAnyPointWhileFilingEndsInTheExactTree) {
  auto a = makeAsset("a1", "A.pdf", "PLAN_KART_REGULERING", "OK", 70000);
  auto b = makeAsset("b1", "B.pdf"), c = makeAsset("c1", "C.pdf", "VEDTEKTER");
  const std::map<std::string, api::Asset> expected{
      {kFolder + "/A.pdf", a}, {kFolder + "/B.pdf", b}, {"dms-case-1/1/Vedtekter/C.pdf", c}};
  std::vector<CrashPoint> points;
  for (int n = 1; n <= 3; ++n) {
    points.push_back({"before put " + std::to_string(n), TargetMethod::Put, n, false});
    points.push_back({"after put " + std::to_string(n), TargetMethod::Put, n, true});
    points.push_back({"at download " + std::to_string(n), TargetMethod::Put, 0, false, n});
  }
  points.push_back({"after ensureFolder", TargetMethod::EnsureFolder, 1, true});
  // (No stat while planning since issue 15: a new file's name is checked by its put.) The
  // intents are committed, nothing is on the target yet.
  points.push_back({"before ensureFolder", TargetMethod::EnsureFolder, 1, false});
  int crashed = 0;
  for (const auto& point : points) {
    SCOPED_TRACE(point.name);
    startFromNothing();
    api_.setOrder(makeOrder(1, "FINISHED", {a, b}, {c}));
    const int code = runChildUntilCrash(point, "{}");
    crashed += code == 42;
    expectExactTreeAfterRestart(expected);
  }
  EXPECT_EQ(crashed, static_cast<int>(points.size())) << "every crash point was reached";
}

TEST_F(ReconcilerCrashTest, KillAtAnyPointWhileRemovingEndsWithTheFilesGone) {
  for (const char* config : {"{}", R"({"filing": {"withdrawnPolicy": "move"}})"}) {
    const bool move = std::string(config) != "{}";
    for (bool after : {false, true}) {
      SCOPED_TRACE(std::string(config) + (after ? " after" : " before"));
      closeEngine();
      emptyArchive();
      std::filesystem::remove_all(dataDir_);
      std::filesystem::create_directories(dataDir_);
      auto a = makeAsset("a1", "A.pdf"), b = makeAsset("b1", "B.pdf");
      api_.setOrder(makeOrder(1, "FINISHED", {a, b}));
      configure(config);
      ASSERT_TRUE(reconcile(1).ok());
      api_.setOrder(makeOrder(1, "CANCELLED", {a, b}));
      const CrashPoint point{"remove", move ? TargetMethod::Move : TargetMethod::Remove, 1, after};
      EXPECT_EQ(runChildUntilCrash(point, config), 42);
      restartAndReconcile(config);
      auto files = tree();
      if (move) {
        EXPECT_EQ(files.size(), 2u);
        for (const auto& [path, f] : files)
          EXPECT_EQ(path.rfind("Trukket tilbake/", 0), 0u) << path;
      } else {
        EXPECT_TRUE(files.empty());
      }
      auto assets = store_->assetsOfOrder(1);
      for (const auto& r : *assets) EXPECT_EQ(r.state, AssetState::Removed) << r.assetId;
      EXPECT_TRUE(leftovers().empty());
    }
  }
}

// --- power loss during a batch: what was not synced is gone, and state and target still agree

/// Writes each durable step of the filesystem target's batch commits to a log file (one line
/// each: "data", "placed <path>", "folder <folder>") and ends the process right after the
/// `crashAfter`th step. The parent then replays a power cut from the log (replayPowerCut).
class StepRecorder final : public dms::filesystem::DurabilityObserver {
 public:
  StepRecorder(const std::string& logPath, int crashAfter)
      : fd_(::open(logPath.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600)),
        crashAfter_(crashAfter) {}
  void dataSynced() override { step("data"); }
  void placed(const std::string& path) override { step("placed " + path); }
  void folderSynced(const std::string& folder) override { step("folder " + folder); }

 private:
  void step(const std::string& line) {
    const auto text = line + "\n";
    if (::write(fd_, text.data(), text.size()) != static_cast<ssize_t>(text.size())) ::_exit(5);
    if (++steps_ == crashAfter_) ::_exit(42);
  }
  int fd_;
  int crashAfter_;
  int steps_ = 0;
};

class PowerLossTest : public ReconcilerCrashTest {
 protected:
  /// The fixture's target with fsync on: what is synced, and when, is the subject here.
  void SetUp() override {
    ReconcilerCrashTest::SetUp();
    dms::filesystem::FilesystemOptions options;
    options.root = archiveRoot_;
    options.fsync = true;
    auto target = dms::filesystem::FilesystemTarget::open(options, &logger_);
    ASSERT_TRUE(target.ok()) << target.error().describe();
    fsTarget_ = std::move(*target);
    target_ = fsTarget_.get();
  }

  /// Runs one reconcile in a child filing straight into the filesystem target (batched), which
  /// dies after `crashAfter` durable steps (or at the start of download `crashAtDownload`).
  /// Returns the child's exit code (42: crashed; 0: finished first).
  int runChild(int crashAfter, int crashAtDownload = 0) {
    closeEngine();
    const pid_t pid = ::fork();
    if (pid == 0) {
      StepRecorder recorder(stepLog(), crashAfter);
      fsTarget_->setDurabilityObserver(&recorder);
      if (crashAtDownload > 0)
        api_.onDownload([n = crashAtDownload + api_.downloads()](int k) {
          if (k == n) ::_exit(42);
        });
      configure("{}");
      auto r = reconcile(1);
      ::_exit(r.ok() ? 0 : 3);
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

  std::string stepLog() const { return (tmp_->path() / "steps.log").string(); }

  /// What a power cut at the end of the log keeps: a rename survives only if its folder was
  /// synced after it, and a placed file's content only if the data was synced before it was
  /// placed (else it is empty: its blocks never reached the disk). A lost rename leaves the
  /// temporary (whose name recover() knows) instead of the file.
  void replayPowerCut() {
    std::ifstream log(stepLog());
    std::vector<std::string> lines;
    for (std::string line; std::getline(log, line);) lines.push_back(line);
    bool dataSynced = false;
    for (std::size_t i = 0; i < lines.size(); ++i) {
      if (lines[i] == "data") dataSynced = true;
      if (!lines[i].starts_with("placed ")) continue;
      const std::string path = lines[i].substr(7);
      const auto slash = path.rfind('/');
      const std::string folder = slash == std::string::npos ? "" : path.substr(0, slash);
      const std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
      const bool renameKept = std::find(lines.begin() + static_cast<std::ptrdiff_t>(i), lines.end(),
                                        "folder " + folder) != lines.end();
      const auto onDisk = std::filesystem::path(archiveRoot_) / path;
      if (!renameKept) {
        std::filesystem::rename(
            onDisk, std::filesystem::path(archiveRoot_) / folder / (".dms-tmp-powercut-" + name));
      } else if (!dataSynced) {
        std::filesystem::resize_file(onDisk, 0);
      }
    }
    std::filesystem::remove(stepLog());
  }

  /// Nothing recorded as filed that is not whole in the target.
  void expectEveryFiledRecordHoldsItsFile(const std::map<std::string, api::Asset>& expected) {
    configure("{}");
    auto assets = store_->assetsOfOrder(1);
    ASSERT_TRUE(assets.ok());
    auto files = tree();
    for (const auto& a : *assets) {
      if (a.state != AssetState::Filed) continue;
      auto it = files.find(a.path);
      ASSERT_NE(it, files.end()) << "recorded as filed, not durably there: " << a.path;
      ASSERT_TRUE(expected.count(a.path)) << a.path;
      EXPECT_TRUE(it->second.content == FakeOrderApi::contentFor(expected.at(a.path).downloadUrl))
          << "recorded as filed, content lost: " << a.path;
    }
    closeEngine();
  }
};

TEST_F(PowerLossTest, PowerCutAtEveryStepOfABatchKeepsStateAndTargetInAgreement) {
  auto a = makeAsset("a1", "A.pdf", "PLAN_KART_REGULERING", "OK", 70000);
  auto b = makeAsset("b1", "B.pdf"), c = makeAsset("c1", "C.pdf", "VEDTEKTER");
  const std::map<std::string, api::Asset> expected{
      {kFolder + "/A.pdf", a}, {kFolder + "/B.pdf", b}, {"dms-case-1/1/Vedtekter/C.pdf", c}};
  // A batch of 3 files in 2 folders: data sync, 3 renames, 2 folder syncs = 6 steps; crashes
  // after each of them, at the third download (two files staged), and after none (7).
  struct Cut {
    int afterStep;
    int atDownload;
  };
  std::vector<Cut> cuts;
  for (int step = 1; step <= 7; ++step) cuts.push_back({step, 0});
  cuts.push_back({0, 3});
  int crashed = 0;
  for (const auto& cut : cuts) {
    SCOPED_TRACE("power cut after step " + std::to_string(cut.afterStep) + ", at download " +
                 std::to_string(cut.atDownload));
    startFromNothing();
    std::filesystem::remove(stepLog());
    api_.setOrder(makeOrder(1, "FINISHED", {a, b}, {c}));
    const int code = runChild(cut.afterStep, cut.atDownload);
    crashed += code == 42;
    EXPECT_EQ(code, cut.afterStep == 7 ? 0 : 42) << "a batch of 3 files has 6 steps";
    replayPowerCut();
    expectEveryFiledRecordHoldsItsFile(expected);
    // The restarted host files the rest, each file exactly once.
    expectExactTreeAfterRestart(expected);
  }
  EXPECT_EQ(crashed, 7) << "every power cut point was reached";
}

}  // namespace
}  // namespace ambita::test
