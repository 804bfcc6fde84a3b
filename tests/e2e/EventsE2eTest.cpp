// Document events end to end (issue 10): dms-host forwards the plugin's events to a webhook
// (events.webhook) that this test serves. While `dms-host run` files a few sandbox orders it is
// SIGKILLed at random moments, and the receiver is down (503) for the first runs. Once it is
// up and a last run had time to deliver, the receiver must have every event of the audit log
// (filed, moved, removed, failed, given up: each once after dedupe by id), each correctly
// signed, and per order in order: a repeated event (at least once) only ever comes again
// before the next one of its order. The seed is printed; E2E_EVENTS_SEED=<n> replays a run.
#include <Poco/JSON/Parser.h>
#include <Poco/StreamCopier.h>
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <signal.h>

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <random>
#include <regex>
#include <set>
#include <thread>

#include "E2eWorld.h"
#include "ExpectedArchive.h"
#include "support/LoopbackHttpServer.h"

namespace dms::e2e {
namespace {

using namespace std::chrono_literals;

const std::string kWebhookSecret = "webhook-secret-for-the-events-test";

/// An event as the receiver identifies it, and as the audit log describes it.
struct Seen {
  std::int64_t orderId = 0;
  std::string kind;
  std::string assetId;
  bool operator<(const Seen& o) const {
    return std::tie(orderId, kind, assetId) < std::tie(o.orderId, o.kind, o.assetId);
  }
  bool operator==(const Seen& o) const { return !(*this < o) && !(o < *this); }
};

std::string hmacSha256Hex(const std::string& key, const std::string& body) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(body.data()), body.size(), digest, &length);
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < length; ++i) {
    out += hex[digest[i] >> 4];
    out += hex[digest[i] & 15];
  }
  return out;
}

/// The webhook: checks the signature, dedupes by id, and answers 503 while "down".
class Receiver {
 public:
  Receiver()
      : server_([this](Poco::Net::HTTPServerRequest& request,
                       Poco::Net::HTTPServerResponse& response) { answer(request, response); }) {}

  std::string url() const { return server_.origin() + "/hook"; }
  void setUp(bool up) {
    std::lock_guard lock(mutex_);
    up_ = up;
  }
  /// The distinct events, first arrival order.
  std::vector<Seen> distinct() const {
    std::lock_guard lock(mutex_);
    return distinct_;
  }
  int refused() const {
    std::lock_guard lock(mutex_);
    return refused_;
  }
  int duplicates() const {
    std::lock_guard lock(mutex_);
    return duplicates_;
  }
  std::vector<std::string> problems() const {
    std::lock_guard lock(mutex_);
    return problems_;
  }

 private:
  void answer(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response) {
    std::string body;
    Poco::StreamCopier::copyToString(request.stream(), body);
    std::lock_guard lock(mutex_);
    if (!up_) {
      ++refused_;
      response.setStatus(Poco::Net::HTTPResponse::HTTP_SERVICE_UNAVAILABLE);
      response.send() << "down";
      return;
    }
    const std::string expected = "sha256=" + hmacSha256Hex(kWebhookSecret, body);
    if (request.get("X-Dms-Signature", "") != expected) {
      problems_.push_back("bad signature on " + body);
      response.setStatus(Poco::Net::HTTPResponse::HTTP_UNAUTHORIZED);
      response.send();
      return;
    }
    auto event = Poco::JSON::Parser().parse(body).extract<Poco::JSON::Object::Ptr>();
    const auto id = event->getValue<std::string>("id");
    Seen seen{event->getValue<std::int64_t>("orderId"), event->getValue<std::string>("kind"),
              event->optValue<std::string>("assetId", "")};
    // In order per order: an event seen before may come again only right after itself.
    auto& last = lastOfOrder_[seen.orderId];
    if (ids_.count(id) != 0) {
      ++duplicates_;
      if (last != id) problems_.push_back("event " + id + " came again after a later one");
    } else {
      ids_.insert(id);
      distinct_.push_back(seen);
    }
    last = id;
    response.setStatus(Poco::Net::HTTPResponse::HTTP_OK);
    response.send() << "ok";
  }

  mutable std::mutex mutex_;
  bool up_ = true;
  int refused_ = 0, duplicates_ = 0;
  std::set<std::string> ids_;
  std::map<std::int64_t, std::string> lastOfOrder_;
  std::vector<Seen> distinct_;
  std::vector<std::string> problems_;
  test::LoopbackHttpServer server_;  ///< last: stopped before what answer() uses
};

/// The events the audit log says there must be: its entries that file, move, remove, fail or
/// give up an asset.
std::vector<Seen> eventsInAudit(const E2eWorld& world) {
  const auto audit = world.host({"audit", "--limit", "100000"});
  EXPECT_EQ(audit.exitCode, 0) << audit.err;
  static const std::regex line(
      R"(order (\d+)  (filed|moved|removed|failed|given up) \([a-z]+\)  asset (\S+))");
  std::vector<Seen> out;
  for (std::sregex_iterator it(audit.out.begin(), audit.out.end(), line), end; it != end; ++it) {
    const std::string action = (*it)[2];
    out.push_back({std::stoll((*it)[1]), action == "given up" ? "gaveUp" : action, (*it)[3]});
  }
  std::sort(out.begin(), out.end());
  return out;
}

TEST(EventsE2eTest, EveryEventReachesTheWebhookOnceInOrderAcrossKillsAndAnOutage) {
  const char* seedText = std::getenv("E2E_EVENTS_SEED");
  const std::uint64_t seed =
      seedText && *seedText ? std::strtoull(seedText, nullptr, 10) : std::random_device{}();
  std::cout << "[ events   ] seed " << seed << " (E2E_EVENTS_SEED=" << seed << " replays)"
            << std::endl;
  std::mt19937_64 rng(seed);

  E2eWorld world({TargetKind::Filesystem, {}, "push-secret-for-events", 2});
  Receiver receiver;
  receiver.setUp(false);
  world.setEnv("E2E_WEBHOOK_SECRET", kWebhookSecret);
  world.setJson("events", "{\"webhook\": {\"url\": \"" + receiver.url() +
                              "\", \"secret\": \"${E2E_WEBHOOK_SECRET}\", "
                              "\"timeoutSeconds\": 5}}");
  world.setJson("ambita.events", "{\"retryMaxSeconds\": 1}");
  auto& sandbox = world.sandbox();
  std::vector<std::int64_t> orders;
  for (int i = 0; i < 3; ++i)
    orders.push_back(world.placeOrder("hendelse-" + std::to_string(i), "e-" + std::to_string(i)));
  sandbox.setExtraSteps(orders[0], {});  // the others also finish late, withdraw, cancel

  std::string firstAsset;  // withdrawn once it is filed: a "removed" event

  // Runs killed at random moments; the receiver is down for the first ones.
  constexpr int kKills = 6;
  for (int i = 0; i < kKills; ++i) {
    if (i == 2) receiver.setUp(true);
    unsigned port = 0;
    auto host = world.startService(port);
    sandbox.setPushUrl(world.pushUrl(port));
    // Work for this run: an order's scripted files, then new files and a withdrawal.
    if (static_cast<std::size_t>(i) < orders.size()) {
      const auto summary = sandbox.step(orders[i], 0);
      if (i == 0) firstAsset = summary->getArray("assets")->getElement<std::string>(0);
    } else {
      test::SandboxProcess::AssetSpec spec;
      spec.name = spec.filename = "Tillegg " + std::to_string(i) + ".pdf";
      sandbox.addAsset(orders[static_cast<std::size_t>(i) % orders.size()], spec);
    }
    // The outage is seen: an event was refused before the receiver comes up.
    if (i == 1) {
      EXPECT_TRUE(eventually([&] { return receiver.refused() > 0; }, 30s)) << "seed " << seed;
    }
    std::this_thread::sleep_for(
        std::chrono::milliseconds(std::uniform_int_distribution<int>(0, 1200)(rng)));
    host->stop(SIGKILL);
  }

  // A last run delivers what is left.
  unsigned port = 0;
  auto host = world.startService(port);
  sandbox.setPushUrl(world.pushUrl(port));
  const auto archiveIsExact = [&] {
    return ExpectedArchive::fromSandbox(sandbox, orders)
        .differences(world.archive().files(), world.archive().leftovers())
        .empty();
  };
  ASSERT_TRUE(eventually(archiveIsExact, 60s)) << "seed " << seed;
  sandbox.withdraw(orders[0], firstAsset);
  // Done when the archive is what the sandbox holds (all work finished, the withdrawal
  // included) and the receiver has what the audit log says.
  std::vector<Seen> expected, received;
  bool archiveExact = false;
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  do {
    std::this_thread::sleep_for(300ms);
    archiveExact = archiveIsExact();
    expected = eventsInAudit(world);
    received = receiver.distinct();
    std::sort(received.begin(), received.end());
  } while ((!archiveExact || received != expected) && std::chrono::steady_clock::now() < deadline);
  host->stop(SIGTERM);

  std::cout << "[ events   ] " << expected.size() << " events, " << receiver.duplicates()
            << " delivered again after a kill, " << receiver.refused()
            << " refused while the receiver was down" << std::endl;
  EXPECT_TRUE(archiveExact) << "seed " << seed;
  EXPECT_FALSE(expected.empty());
  EXPECT_EQ(received, expected) << "seed " << seed;
  EXPECT_TRUE(receiver.problems().empty())
      << "seed " << seed << ": " << receiver.problems().front();
  EXPECT_GT(receiver.refused(), 0) << "the receiver was down while events waited";
  std::set<std::string> kinds;
  for (const auto& e : expected) kinds.insert(e.kind);
  EXPECT_EQ(kinds.count("filed"), 1u);
  EXPECT_EQ(kinds.count("removed"), 1u) << "the withdrawn file";
}

// A command run delivers too: `sync` appends its events to events.file before it returns.
TEST(EventsE2eTest, SyncAppendsItsEventsToTheFileBeforeItReturns) {
  E2eWorld world;
  const auto file = world.workDir() / "events.jsonl";
  world.setJson("events", "{\"file\": \"" + file.string() + "\"}");
  const auto order = world.placeOrder("fil-1", "f-1");
  world.sandbox().setExtraSteps(order, {});
  const auto assets = world.sandbox().step(order, 0)->getArray("assets");
  const auto sync = world.host({"sync", "--order", std::to_string(order)});
  ASSERT_EQ(sync.exitCode, 0) << sync.out << sync.err;

  std::set<std::string> filed, ids;
  std::ifstream lines(file);
  for (std::string line; std::getline(lines, line);) {
    auto event = Poco::JSON::Parser().parse(line).extract<Poco::JSON::Object::Ptr>();
    ids.insert(event->getValue<std::string>("id"));
    if (event->getValue<std::string>("kind") == "filed")
      filed.insert(event->getValue<std::string>("assetId"));
  }
  std::set<std::string> expected;
  for (std::size_t i = 0; i < assets->size(); ++i)
    expected.insert(assets->getElement<std::string>(static_cast<unsigned>(i)));
  EXPECT_EQ(filed, expected);
  EXPECT_EQ(ids.size(), expected.size()) << "one event per filed asset";
}

}  // namespace
}  // namespace dms::e2e
