// End-to-end filing tests (issue 4 acceptance, issue 5's "engine tests also with WebDAV"):
// the real dms-host with the real plugin and connector modules, against the real
// ambita-sandbox, filing into a real folder tree or a real Apache mod_dav. Every check looks at
// the archive from the outside (ArchiveView) and compares it with what the sandbox says
// (ExpectedArchive): every OK asset once, byte-identical, with metadata; nothing withdrawn;
// nothing else.
#include <gtest/gtest.h>
#include <signal.h>

#include <fstream>
#include <set>
#include <sstream>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/JSON/Stringifier.h>

#include "E2eWorld.h"
#include "ExpectedArchive.h"

namespace dms::e2e {
namespace {

using Poco::JSON::Array;
using Poco::JSON::Object;

std::string tail(const std::string& text, std::size_t bytes = 6000) {
  return text.size() <= bytes ? text : "..." + text.substr(text.size() - bytes);
}

std::string json(const Poco::Dynamic::Var& value) {
  std::ostringstream out;
  Poco::JSON::Stringifier::condense(value, out);
  return out.str();
}

std::vector<std::string> remaining(const Object::Ptr& summary) {
  std::vector<std::string> steps;
  auto list = summary->getArray("remaining");
  for (std::size_t i = 0; list && i < list->size(); ++i)
    steps.push_back(list->getElement<std::string>(i));
  return steps;
}

/// Runs the order's script one step at a time until only its extra steps remain.
void stepUntilExtras(test::SandboxProcess& sandbox, std::int64_t orderId) {
  static const std::set<std::string> kExtras = {"fileAfterFinished", "withdraw", "cancel",
                                                "refund"};
  for (int guard = 0; guard < 50; ++guard) {
    auto steps = remaining(sandbox.step(orderId, 1));
    if (steps.empty() || kExtras.count(steps.front())) return;
  }
  FAIL() << "order " << orderId << " never reached its extra steps";
}

/// Order ids for which the request log holds a GET of the order.
std::set<std::int64_t> ordersFetched(const test::SandboxProcess& sandbox) {
  std::set<std::int64_t> ids;
  auto log = sandbox.requests();
  for (std::size_t i = 0; i < log->size(); ++i) {
    auto entry = log->getObject(static_cast<unsigned>(i));
    if (entry->optValue<std::string>("endpoint", "") != "getOrder") continue;
    const auto target = entry->optValue<std::string>("target", "");
    const auto slash = target.rfind('/');
    try {
      ids.insert(std::stoll(target.substr(slash + 1)));
    } catch (const std::exception&) {
    }
  }
  return ids;
}

/// Files of the archive that belong to `orderId` (by metadata).
std::vector<FiledFile> filesOf(const ArchiveView& archive, std::int64_t orderId) {
  std::vector<FiledFile> out;
  for (auto& file : archive.files())
    if (file.metadata["ambita.orderId"] == std::to_string(orderId)) out.push_back(file);
  return out;
}

class FilingE2eTest : public ::testing::TestWithParam<TargetKind> {};

// Pushes drive everything: an order placed with `dms-host order` (new payload generation) and
// one the host learns from its push NEW (old generation); files at the supplier-order and the
// order-line level; a file arriving after FINISHED; a withdrawn file removed. The push route
// requires a shared secret; no secret ever shows in the host's output.
TEST_P(FilingE2eTest, PushesFileBothLevelsBothGenerationsLateFileAndWithdrawal) {
  E2eWorld world({GetParam(), {}, "push-token-e2e-Xk3", 4});
  auto& sandbox = world.sandbox();
  const auto placed = world.placeOrder("oppdrag-2024-117", "dms-case-8812");

  unsigned port = 0;
  auto service = world.startService(port);
  sandbox.setPushUrl(world.pushUrl(port));
  const auto learned = sandbox.createDemoOrder("oppdrag-2024-118", "dms-case-8813");
  sandbox.setGeneration(learned, "old");
  for (auto id : {placed, learned}) sandbox.setExtraSteps(id, {"fileAfterFinished", "withdraw"});

  // Interleaved, one step at a time, as a real supplier would deliver.
  stepUntilExtras(sandbox, placed);
  stepUntilExtras(sandbox, learned);
  auto problems = waitForArchive(world.archive(), sandbox, {placed, learned});
  ASSERT_TRUE(problems.empty()) << "after FINISHED:" << describe(problems) << "\nhost:\n"
                                << tail(service->err());
  auto expected = ExpectedArchive::fromSandbox(sandbox, {placed, learned});
  EXPECT_EQ(expected.assets().size(), 10u);  // 1 order-level + 4 line-level files per order

  // Both levels really came through: the new generation names the order line of line files.
  std::size_t lineLevel = 0, orderLevel = 0;
  for (const auto& file : filesOf(world.archive(), placed))
    (file.metadata.count("ambita.orderLineId") ? lineLevel : orderLevel)++;
  EXPECT_EQ(lineLevel, 4u);
  EXPECT_EQ(orderLevel, 1u);

  // A file after FINISHED.
  sandbox.step(placed, 1);
  sandbox.step(learned, 1);
  problems = waitForArchive(world.archive(), sandbox, {placed, learned});
  ASSERT_TRUE(problems.empty()) << "after the late file:" << describe(problems) << "\nhost:\n"
                                << tail(service->err());
  EXPECT_EQ(ExpectedArchive::fromSandbox(sandbox, {placed, learned}).assets().size(), 12u);
  const auto beforeWithdrawal = world.archive().files();

  // The newest file of each order is withdrawn: it disappears, the rest stays.
  sandbox.step(placed, 1);
  sandbox.step(learned, 1);
  problems = waitForArchive(world.archive(), sandbox, {placed, learned});
  ASSERT_TRUE(problems.empty()) << "after the withdrawal:" << describe(problems) << "\nhost:\n"
                                << tail(service->err());
  auto afterWithdrawal = ExpectedArchive::fromSandbox(sandbox, {placed, learned});
  EXPECT_EQ(afterWithdrawal.assets().size(), 10u);
  EXPECT_EQ(afterWithdrawal.withdrawn().size(), 2u);
  EXPECT_EQ(world.archive().files().size(), beforeWithdrawal.size() - 2);

  // Without the shared secret the route refuses, and nothing changes.
  const std::string message =
      "{\"orderCollectionId\": " + std::to_string(placed) + ", \"status\": \"UPDATED\"}";
  EXPECT_EQ(E2eWorld::post(port, "/ambita/push", message), 401);
  EXPECT_EQ(E2eWorld::post(port, "/ambita/push?token=wrong", message), 403);

  auto stopped = service->stop(SIGTERM);
  EXPECT_EQ(stopped.exitCode, 0) << tail(stopped.err);
  EXPECT_EQ(world.leakedSecret(stopped.out + stopped.err), "")
      << "a secret appears in the host's output";

  // The administrator's view agrees with the archive.
  auto verify = world.host({"verify"});
  EXPECT_EQ(verify.exitCode, 0) << verify.out << verify.err;
  auto status = world.host({"status"});
  EXPECT_EQ(status.exitCode, 0) << status.err;
  EXPECT_NE(status.out.find(std::to_string(placed)), std::string::npos) << status.out;
  EXPECT_NE(status.out.find(std::to_string(learned)), std::string::npos) << status.out;
  EXPECT_EQ(world.leakedSecret(verify.out + verify.err + status.out + status.err), "");
}

// `dms-host run` is SIGKILLed while it files (a 30 MB file in flight), and the supplier goes on
// delivering while no host listens (those pushes are lost). The restarted host, which gets no
// push at all, catches up by its poll at start: the archive ends exactly right.
TEST_P(FilingE2eTest, MissedPushesAreCaughtUpAfterAKilledRun) {
  E2eWorld world({GetParam(), {}, "", 4});
  auto& sandbox = world.sandbox();
  unsigned port = 0;
  auto first = world.startService(port);
  sandbox.setPushUrl(world.pushUrl(port));
  const auto order = sandbox.createDemoOrder("oppdrag-krasj", "sak-krasj");
  sandbox.setExtraSteps(order, {"fileAfterFinished"});
  sandbox.step(order, 3);  // progress, the order's file, the first line's file
  auto problems = waitForArchive(world.archive(), sandbox, {order});
  ASSERT_TRUE(problems.empty()) << describe(problems) << "\nhost:\n" << tail(first->err());

  test::SandboxProcess::AssetSpec big;
  big.name = big.filename = "Situasjonskart.zip";
  big.size = 30 * 1024 * 1024;
  sandbox.addAsset(order, big);  // its push starts the download
  ASSERT_TRUE(
      eventually([&] { return sandbox.requestCount("download") >= 3; }, std::chrono::seconds(10)));
  first->stop(SIGKILL);

  sandbox.step(order, 0);  // the rest of the script, late file included: nobody hears the pushes
  ASSERT_EQ(remaining(sandbox.step(order, 0)).size(), 0u);
  unsigned secondPort = 0;
  auto second = world.startService(secondPort);
  problems = waitForArchive(world.archive(), sandbox, {order});
  EXPECT_TRUE(problems.empty()) << "after the restart:" << describe(problems) << "\nhost:\n"
                                << tail(second->err());
  EXPECT_EQ(ExpectedArchive::fromSandbox(sandbox, {order}).assets().size(), 7u);
  auto stopped = second->stop(SIGTERM);
  EXPECT_EQ(stopped.exitCode, 0) << tail(stopped.err);
  auto verify = world.host({"verify"});
  EXPECT_EQ(verify.exitCode, 0) << verify.out << verify.err;
}

// A cancelled and a refunded order are emptied; a finished one stays. Then every push message
// the sandbox ever sent is sent again, newest first, three times (duplicates and reordering):
// the tree does not change, nothing is downloaded again, cancelled orders stay empty. Bad
// push requests get clear 4xx answers.
TEST_P(FilingE2eTest, CancelRefundAndReplayedPushesInAnyOrder) {
  E2eWorld world({GetParam(), {}, "", 4});
  auto& sandbox = world.sandbox();
  unsigned port = 0;
  auto service = world.startService(port);
  sandbox.setPushUrl(world.pushUrl(port));
  const auto cancelled = sandbox.createDemoOrder("kansellert", "t-1");
  const auto refunded = sandbox.createDemoOrder("refundert", "t-2");
  const auto kept = sandbox.createDemoOrder("beholdt", "t-3");
  const std::vector<std::int64_t> orders = {cancelled, refunded, kept};
  for (auto id : orders) sandbox.step(id, 0);
  auto problems = waitForArchive(world.archive(), sandbox, orders);
  ASSERT_TRUE(problems.empty()) << describe(problems) << "\nhost:\n" << tail(service->err());
  ASSERT_EQ(filesOf(world.archive(), cancelled).size(), 5u);
  // Each order has a case folder of its own (its reference): the first folder of its paths.
  auto caseFolderOf = [&](std::int64_t id) {
    const std::string path = filesOf(world.archive(), id).at(0).path;
    return path.substr(0, path.find('/'));
  };
  const std::vector<std::string> withdrawnCases = {caseFolderOf(cancelled), caseFolderOf(refunded)};

  sandbox.cancel(cancelled);
  sandbox.refund(refunded);
  problems = waitForArchive(world.archive(), sandbox, orders);
  ASSERT_TRUE(problems.empty()) << "after cancel/refund:" << describe(problems) << "\nhost:\n"
                                << tail(service->err());
  EXPECT_TRUE(filesOf(world.archive(), cancelled).empty());
  EXPECT_TRUE(filesOf(world.archive(), refunded).empty());
  EXPECT_EQ(filesOf(world.archive(), kept).size(), 5u);
  // Their emptied folders go with the files (category folders have spaces in their names:
  // nginx once refused their prune). The prune follows the files' removal, so it is waited for.
  auto leftBehind = [&] {
    std::vector<std::string> left;
    for (const auto& folder : world.archive().folders())
      for (const auto& withdrawn : withdrawnCases)
        if (folder == withdrawn || folder.starts_with(withdrawn + "/")) left.push_back(folder);
    return left;
  };
  EXPECT_TRUE(eventually([&] { return leftBehind().empty(); }, std::chrono::seconds(10)))
      << testing::PrintToString(leftBehind()) << " left behind\nhost:\n"
      << tail(service->err());

  // Let the sandbox's own deliveries settle, then replay them all, newest first, 3 times.
  ASSERT_TRUE(eventually([&] { return sandbox.pushesPending() == 0; }, std::chrono::seconds(10)));
  auto pushes = sandbox.pushes();
  ASSERT_GE(pushes->size(), 3u * 7u);
  sandbox.clearRequests();
  const auto before = world.archive().files();
  for (int round = 0; round < 3; ++round)
    for (std::size_t i = pushes->size(); i-- > 0;) {
      const auto body = json(pushes->getObject(static_cast<unsigned>(i))->get("message"));
      ASSERT_EQ(E2eWorld::post(port, "/ambita/push", body), 200) << body;
    }
  // The older generation's field name is accepted too.
  ASSERT_EQ(E2eWorld::post(port, "/ambita/push",
                           "{\"orderId\": " + std::to_string(kept) + ", \"status\": \"UPDATED\"}"),
            200);
  // Bad input is refused with a 4xx, and changes nothing.
  EXPECT_EQ(E2eWorld::post(port, "/ambita/push", "{not json"), 400);
  EXPECT_EQ(E2eWorld::post(port, "/ambita/push", "{\"status\": \"UPDATED\"}"), 400);
  EXPECT_EQ(E2eWorld::post(port, "/ambita/push", "{\"orderCollectionId\": \"abc\"}"), 400);

  // Wait until the host has looked at every order again and gone quiet.
  EXPECT_TRUE(eventually(
      [&] {
        auto fetched = ordersFetched(sandbox);
        return fetched.count(cancelled) && fetched.count(refunded) && fetched.count(kept);
      },
      std::chrono::seconds(20)))
      << "the host did not GET every replayed order\nhost:\n"
      << tail(service->err());
  std::size_t last = 0;
  ASSERT_TRUE(eventually(
      [&] {
        const auto now = sandbox.requests()->size();
        const bool quiet = now == last;
        last = now;
        if (!quiet) std::this_thread::sleep_for(std::chrono::milliseconds(900));
        return quiet;
      },
      std::chrono::seconds(30)));

  EXPECT_EQ(sandbox.requestCount("download"), 0u) << "a replayed push filed something twice";
  problems = archiveDifferences(world.archive(), sandbox, orders);
  EXPECT_TRUE(problems.empty()) << "after the replay:" << describe(problems);
  const auto after = world.archive().files();
  ASSERT_EQ(after.size(), before.size());
  for (std::size_t i = 0; i < after.size(); ++i) {
    EXPECT_EQ(after[i].path, before[i].path);
    EXPECT_EQ(after[i].metadata.at("ambita.filedAt"), before[i].metadata.at("ambita.filedAt"))
        << after[i].path << " was filed again";
  }
  auto stopped = service->stop(SIGTERM);
  EXPECT_EQ(stopped.exitCode, 0) << tail(stopped.err);
  EXPECT_EQ(world.leakedSecret(stopped.out + stopped.err), "");
}

// Hostile asset names at both levels: every file lands inside the root under a safe, readable
// name; duplicates do not overwrite each other; long names keep their extension.
TEST_P(FilingE2eTest, HostileNamesAreFiledInsideTheRootUnderReadableNames) {
  E2eWorld world({GetParam(), {}, "", 4});
  auto& sandbox = world.sandbox();
  const auto order = sandbox.createDemoOrder("../../etc", "a/b\\c");
  sandbox.step(order, 0);
  const std::string longName = std::string(150, 'x') + std::string(150, 'y') + ".pdf";  // 304 bytes
  const std::string longUnicode = [] {
    std::string s;
    for (int i = 0; i < 120; ++i) s += "\xC3\xB8";  // ø: 240 bytes
    return s + " kart.pdf";
  }();
  struct Hostile {
    std::string name;
    std::string level;
  };
  const std::vector<Hostile> hostile = {
      {"../x", "order"},
      {"/etc/passwd", "line"},
      {"a/b\\c", "order"},
      {"CON", "line"},
      {"con.txt", "order"},
      {longName, "order"},
      {longUnicode, "line"},
      {"", "order"},
      {"Kart\x01\x1f\n\tplan.pdf", "line"},
      {"Situasjonskart.pdf", "order"},
      {"Situasjonskart.pdf", "order"},
      {"Situasjonskart.pdf", "line"},
      {"..", "order"},
      {".hidden", "order"},
      {"Reguleringskart \xC3\xA6\xC3\xB8\xC3\xA5 #1 100%?.pdf", "line"},
  };
  std::map<std::string, std::string> nameOf;  // asset id -> hostile name
  for (const auto& h : hostile) {
    test::SandboxProcess::AssetSpec spec;
    spec.name = h.name;
    spec.filename = h.name;
    spec.level = h.level;
    spec.size = 3000 + nameOf.size() * 17;
    nameOf[sandbox.addAsset(order, spec)->getValue<std::string>("id")] = h.name;
  }

  // The administrator tracks it with the (hostile) references the order was placed with.
  auto track = world.host({"track", std::to_string(order), "--reference", "../../etc",
                           "--technical-reference", "a/b\\c"});
  ASSERT_EQ(track.exitCode, 0) << track.out << track.err;
  auto sync = world.host({"sync", "--order", std::to_string(order)});
  ASSERT_EQ(sync.exitCode, 0) << sync.out << sync.err;
  auto problems = archiveDifferences(world.archive(), sandbox, {order});
  EXPECT_TRUE(problems.empty()) << describe(problems);

  std::map<std::string, std::string> pathOf;  // asset id -> path
  for (const auto& file : world.archive().files())
    pathOf[file.metadata.at("ambita.assetId")] = file.path;
  std::set<std::string> paths;
  for (const auto& [id, hostileName] : nameOf) {
    ASSERT_TRUE(pathOf.count(id)) << "'" << hostileName << "' not filed";
    const auto& path = pathOf[id];
    paths.insert(path);
    const auto base = path.substr(path.rfind('/') + 1);
    SCOPED_TRACE("'" + hostileName + "' filed as '" + path + "'");
    EXPECT_LE(base.size(), 255u);
    if (hostileName == "../x") {
      EXPECT_NE(base.find('x'), std::string::npos);
    }
    if (hostileName == "/etc/passwd") {
      EXPECT_NE(base.find("passwd"), std::string::npos);
    }
    if (hostileName == "a/b\\c") {
      EXPECT_NE(base.find('c'), std::string::npos);
    }
    if (hostileName == "CON") {
      EXPECT_NE(base.find("CON"), std::string::npos);
    }
    if (hostileName == longName) {
      EXPECT_EQ(base.substr(base.size() - 4), ".pdf");
      EXPECT_EQ(base.substr(0, 10), std::string(10, 'x'));
    }
    if (hostileName == longUnicode) {
      EXPECT_EQ(base.substr(base.size() - 4), ".pdf");
      EXPECT_EQ(base.substr(0, 4), "\xC3\xB8\xC3\xB8");
    }
    if (hostileName.empty()) {
      EXPECT_NE(base.find(id), std::string::npos) << "an empty name falls back to the id";
    }
    if (hostileName.rfind("Kart", 0) == 0) {
      EXPECT_EQ(base.substr(0, 4), "Kart");
      EXPECT_NE(base.find("plan.pdf"), std::string::npos);
    }
    if (hostileName.rfind("Situasjonskart", 0) == 0) {
      EXPECT_EQ(base.substr(0, 14), "Situasjonskart");
      EXPECT_EQ(base.substr(base.size() - 4), ".pdf");
    }
    if (hostileName.rfind("Reguleringskart", 0) == 0) {
      EXPECT_EQ(base, "Reguleringskart \xC3\xA6\xC3\xB8\xC3\xA5 #1 100%?.pdf")
          << "readable names are kept as they are";
    }
  }
  EXPECT_EQ(paths.size(), nameOf.size()) << "two assets share a path";
  // The hostile reference becomes one readable folder, not a way up.
  for (const auto& path : paths) {
    const auto top = path.substr(0, path.find('/'));
    EXPECT_NE(top.find("etc"), std::string::npos) << path;
  }

  // Nothing was written beside the archive: the test folder holds only what the test made.
  if (GetParam() == TargetKind::Filesystem) {
    std::set<std::string> entries;
    for (const auto& entry : std::filesystem::directory_iterator(world.workDir()))
      entries.insert(entry.path().filename().string());
    EXPECT_EQ(entries, (std::set<std::string>{"archive", "data", "dms-host.json"}));
    for (const auto& entry : std::filesystem::recursive_directory_iterator(world.archiveRoot()))
      EXPECT_FALSE(entry.is_symlink()) << entry.path();
  }
  auto verify = world.host({"verify"});
  EXPECT_EQ(verify.exitCode, 0) << verify.out << verify.err;
  EXPECT_EQ(world.leakedSecret(sync.out + sync.err + verify.out + verify.err), "");
}

// A second sync after a complete one downloads nothing (the sandbox's request log is the proof),
// yet it does look at every order.
TEST_P(FilingE2eTest, SecondSyncDownloadsNothing) {
  E2eWorld world({GetParam(), {}, "", 4});
  auto& sandbox = world.sandbox();
  const auto first = world.placeOrder("oppdrag-1", "sak-1");
  const auto second = sandbox.createDemoOrder("oppdrag-2", "sak-2");
  sandbox.setGeneration(second, "old");
  sandbox.step(first, 0);
  sandbox.step(second, 0);
  test::SandboxProcess::AssetSpec big;
  big.name = big.filename = "Situasjonskart.sos";
  big.size = 3 * 1024 * 1024 + 17;
  sandbox.addAsset(first, big);
  auto track = world.host({"track", std::to_string(second), "--reference", "oppdrag-2"});
  ASSERT_EQ(track.exitCode, 0) << track.out << track.err;

  auto sync = world.host({"sync"});
  ASSERT_EQ(sync.exitCode, 0) << sync.out << sync.err;
  auto problems = archiveDifferences(world.archive(), sandbox, {first, second});
  ASSERT_TRUE(problems.empty()) << describe(problems) << "\n" << sync.out << sync.err;
  EXPECT_EQ(sandbox.requestCount("download"), 11u);

  sandbox.clearRequests();
  auto again = world.host({"sync"});
  ASSERT_EQ(again.exitCode, 0) << again.out << again.err;
  EXPECT_EQ(sandbox.requestCount("download"), 0u) << again.out;
  EXPECT_EQ(ordersFetched(sandbox), (std::set<std::int64_t>{first, second})) << again.out;
  problems = archiveDifferences(world.archive(), sandbox, {first, second});
  EXPECT_TRUE(problems.empty()) << describe(problems);
  EXPECT_EQ(world.leakedSecret(sync.out + sync.err + again.out + again.err), "");
}

// The state belongs to the API it was made for (issue 13 item 7): after one sandbox's orders
// were filed, a new sandbox (its ids start again at 1000001) on the same data folder is
// refused with both APIs named, instead of its order 1000001 being taken for the old one.
TEST(StateIdentityE2eTest, ANewSandboxOnTheSameDataFolderIsRefused) {
  E2eWorld world({TargetKind::Filesystem, {}, "", 4});
  auto& sandbox = world.sandbox();
  const auto order = world.placeOrder("oppdrag-gammel", "sak-1");
  sandbox.step(order, 0);
  auto sync = world.host({"sync"});
  ASSERT_EQ(sync.exitCode, 0) << sync.out << sync.err;
  const auto filedBefore = world.archive().files().size();
  ASSERT_GT(filedBefore, 0u);

  test::SandboxProcess newSandbox(E2eWorld::sandboxCredentialArgs());
  ASSERT_EQ(newSandbox.createDemoOrder("oppdrag-ny", "sak-2"), order) << "ids start again";
  newSandbox.step(order, 0);
  Poco::JSON::Object::Ptr config;
  {
    std::ifstream in(world.configFile());
    Poco::JSON::Parser parser;
    config = parser.parse(in).extract<Object::Ptr>();
  }
  config->getObject("ambita")->set("baseUrl", newSandbox.baseUrl());
  {
    std::ofstream out(world.configFile());
    config->stringify(out, 2);
  }
  auto refused = world.host({"sync", "--order", std::to_string(order)});
  EXPECT_NE(refused.exitCode, 0) << refused.out << refused.err;
  EXPECT_NE(refused.err.find(sandbox.baseUrl()), std::string::npos) << refused.err;
  EXPECT_NE(refused.err.find(newSandbox.baseUrl()), std::string::npos) << refused.err;
  EXPECT_NE(refused.err.find("dataDir"), std::string::npos) << refused.err;
  EXPECT_EQ(newSandbox.requestCount("getOrder"), 0u) << "refused before asking the new API";
  EXPECT_EQ(world.archive().files().size(), filedBefore);
  EXPECT_EQ(world.leakedSecret(refused.out + refused.err), "");
}

INSTANTIATE_TEST_SUITE_P(Targets, FilingE2eTest, ::testing::ValuesIn(allTargetKinds()),
                         [](const ::testing::TestParamInfo<TargetKind>& info) {
                           return targetName(info.param);
                         });

}  // namespace
}  // namespace dms::e2e
