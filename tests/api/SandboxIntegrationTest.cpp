// The real client against the real sandbox binary (samples/ambita-sandbox, driven through
// tests/support/SandboxProcess): every endpoint, both payload generations, every fault kind,
// token expiry mid-run. Each case must end in success or in a clear error, never in a hang.

#include <atomic>
#include <chrono>
#include <mutex>
#include <set>
#include <thread>

#include <gtest/gtest.h>

#include "api/AmbitaClient.h"
#include "api/OrderRequest.h"
#include "commands/Money.h"
#include "commands/OrderCommand.h"
#include "commands/Quote.h"
#include "commands/QuoteCommand.h"
#include "support/CapturingLogger.h"
#include "support/SandboxProcess.h"
#include "support/TempDir.h"
#include "support/TokenExpiryWaves.h"

namespace ambita::test {
namespace {

using dms::test::CapturingLogger;
using dms::test::SandboxProcess;
using namespace std::chrono_literals;

api::ClientOptions optionsFor(const SandboxProcess& sandbox) {
  api::ClientOptions o;
  o.baseUrl = sandbox.baseUrl();
  o.clientId = SandboxProcess::kClientId;
  o.clientSecret = SandboxProcess::kClientSecret;
  o.username = SandboxProcess::kUsername;
  o.password = SandboxProcess::kPassword;
  o.maxAttempts = 4;
  o.initialBackoff = 20ms;
  o.maxBackoff = 200ms;
  o.maxRetryTime = 20s;
  o.connectTimeout = 2s;
  o.readTimeout = 3s;
  return o;
}

class SandboxIntegrationTest : public ::testing::Test {
 protected:
  SandboxIntegrationTest() : client(optionsFor(sandbox), &logger) {}

  api::NewOrder demoOrder(const std::string& reference = "assignment-1") {
    auto data = api::OrderRequest::cadastreData("9999-1-1-0-0", "Infoveien 1, 9999 Infoland");
    return *api::OrderRequest::make(api::OrderKind::Cadastre, *data, {"WI99990033"}, {}, reference,
                                    "dms-case-1");
  }

  /// Every asset of an order, both levels.
  static std::vector<api::Asset> assetsOf(const api::OrderCollection& c) {
    std::vector<api::Asset> all;
    for (const auto& s : c.orders) {
      all.insert(all.end(), s.assets.begin(), s.assets.end());
      for (const auto& l : s.orderLines) all.insert(all.end(), l.assets.begin(), l.assets.end());
    }
    return all;
  }

  /// A finished demo order with its files.
  api::OrderCollection finishedOrder() {
    const auto id = sandbox.createDemoOrder();
    sandbox.step(id, 0);
    auto o = client.getOrder(id);
    EXPECT_TRUE(o) << o.error().describe();
    return o ? *o : api::OrderCollection{};
  }

  std::size_t faultsHit(const std::string& endpoint) const { return sandbox.faultsHit(endpoint); }

  /// API requests the sandbox received for `endpoint` ("createOrder", "prices", ...).
  std::size_t requestsTo(const std::string& endpoint) const {
    auto log = sandbox.requests();
    std::size_t n = 0;
    for (std::size_t i = 0; i < log->size(); ++i)
      if (log->getObject(static_cast<unsigned>(i))->optValue<std::string>("endpoint", "") ==
          endpoint)
        ++n;
    return n;
  }

  /// `dms-host order` with these arguments and limits, without a terminal; output in out/err.
  int runOrder(std::vector<std::string> args, const commands::OrderLimits& limits) {
    out.str("");
    err.str("");
    dms::CommandIO io{&out, &err, false};
    return commands::runOrderCommand(
        client, args, io, limits, {},
        [this](const api::OrderCollection& c, const api::NewOrder&) { createdId = c.id; });
  }

  std::size_t ordersInSandbox() const {
    return sandbox.control("GET", "/_sandbox/orders").extract<Poco::JSON::Array::Ptr>()->size();
  }

  SandboxProcess sandbox;
  CapturingLogger logger;
  api::AmbitaClient client;
  dms::test::TempDir dir{"ambita-sandbox-it"};
  std::ostringstream out, err;
  std::int64_t createdId = 0;
};

/// The package and a single product for Infoveien 1: 1830.40 NOK net, 2288.00 incl. VAT.
const std::vector<std::string> kOrderArgs = {
    "--kind",       "cadastre",    "--cadastre",
    "9999-1-1-0-0", "--address",   "Infoveien 1, 9999 Infoland",
    "--product",    "WI99990033",  "--product",
    "WI99990400",   "--reference", "case-17"};

TEST_F(SandboxIntegrationTest, ProductsForBothMunicipalities) {
  auto infoland = client.products("9999");
  ASSERT_TRUE(infoland) << infoland.error().describe();
  bool package = false;
  for (const auto& p : *infoland) {
    if (p.code != "WI99990033") continue;
    package = true;
    EXPECT_EQ(p.type.code, "PACKAGE");
    EXPECT_EQ(p.inputType.code, "CADASTRE");
    EXPECT_EQ(p.children.size(), 4u);
    ASSERT_TRUE(p.salesPriceVat.has_value());
    EXPECT_NEAR(*p.salesPriceVat, *p.salesPriceNet * 1.25, 0.02);
  }
  EXPECT_TRUE(package);
  auto tromso = client.products("5401");
  ASSERT_TRUE(tromso);
  bool map = false;
  for (const auto& p : *tromso) map = map || p.inputType.code == "MAP";
  EXPECT_TRUE(map);
  auto unknown = client.products("0301");
  ASSERT_TRUE(unknown);
  EXPECT_TRUE(unknown->empty());
}

TEST_F(SandboxIntegrationTest, CreatesOrdersOfAllThreeKinds) {
  auto cadastre = client.createOrder(demoOrder());
  ASSERT_TRUE(cadastre) << cadastre.error().describe();
  EXPECT_EQ(cadastre->status, "NEW");
  EXPECT_GT(cadastre->id, 0);

  auto share = api::OrderRequest::make(api::OrderKind::Share,
                                       *api::OrderRequest::shareData("987654321", "12"),
                                       {"WI99990500"}, {}, "share-ref");
  ASSERT_TRUE(share);
  auto s = client.createOrder(*share);
  ASSERT_TRUE(s) << s.error().describe();

  auto mapData = api::OrderRequest::mapData(
      R"({"type":"Polygon","coordinates":[[[650000,7730000],[650100,7730000],[650100,7730100],[650000,7730000]]]})",
      "25833");
  ASSERT_TRUE(mapData);
  auto map = api::OrderRequest::make(api::OrderKind::Map, *mapData, {"WI54010010"},
                                     {{"WI54010010", R"({"system": "UTM"})"}}, "map-ref");
  ASSERT_TRUE(map);
  auto m = client.createOrder(*map);
  ASSERT_TRUE(m) << m.error().describe();
  EXPECT_NE(m->id, s->id);
  EXPECT_EQ(ordersInSandbox(), 3u);
}

TEST_F(SandboxIntegrationTest, RefusedOrderReportsSandboxMessage) {
  auto data = api::OrderRequest::cadastreData("5401-1-1-0-0", "Storgata 1, 9008 Tromsø");
  auto order = api::OrderRequest::make(api::OrderKind::Cadastre, *data, {"WI99990033"}, {}, "r");
  auto r = client.createOrder(*order);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, dms::ErrorCode::InvalidArgument);
  EXPECT_NE(r.error().message.find("products[0].code"), std::string::npos) << r.error().message;
  EXPECT_EQ(ordersInSandbox(), 0u);
}

TEST_F(SandboxIntegrationTest, NewGenerationFullScriptAndDownloads) {
  const auto order = finishedOrder();
  EXPECT_EQ(order.status, "FINISHED");
  ASSERT_EQ(order.orders.size(), 1u);
  const auto& supplier = order.orders[0];
  EXPECT_FALSE(supplier.assets.empty());
  std::size_t lineAssets = 0, children = 0;
  for (const auto& l : supplier.orderLines) {
    lineAssets += l.assets.size();
    children += l.packageLineId ? 1 : 0;
    EXPECT_FALSE(l.dateStatus.empty());
  }
  EXPECT_EQ(lineAssets, 4u);
  EXPECT_EQ(children, 4u);
  int n = 0;
  for (const auto& a : assetsOf(order)) {
    ASSERT_EQ(a.status, "OK");
    auto d = client.downloadAsset(a.downloadUrl, dir.path() / ("f" + std::to_string(n++)));
    ASSERT_TRUE(d) << d.error().describe();
    const auto info = sandbox.assetInfo(a.id);
    EXPECT_EQ(d->size, info.size);
    EXPECT_EQ(d->sha256Hex, info.sha256) << a.name;
  }
}

TEST_F(SandboxIntegrationTest, OldGenerationParses) {
  const auto id = sandbox.createDemoOrder();
  sandbox.setGeneration(id, "old");
  sandbox.step(id, 0);
  auto o = client.getOrder(id);
  ASSERT_TRUE(o) << o.error().describe();
  EXPECT_EQ(o->status, "FINISHED");
  const auto& supplier = o->orders.at(0);
  EXPECT_EQ(supplier.assets.size(), 5u);  // order file + 4 line files, all at supplier level
  bool packageLine = false;
  for (const auto& l : supplier.orderLines) {
    EXPECT_TRUE(l.assets.empty());
    EXPECT_EQ(l.status, "FINISHED");
    packageLine = packageLine || l.productType == "PACKAGE";
  }
  EXPECT_TRUE(packageLine);
  EXPECT_NE(o->dateOrdered.find('T'), std::string::npos) << o->dateOrdered;
}

TEST_F(SandboxIntegrationTest, WithdrawnAssetIsNotFound) {
  const auto id = sandbox.createDemoOrder();
  sandbox.step(id, 0);
  auto before = client.getOrder(id);
  ASSERT_TRUE(before);
  const auto asset = assetsOf(*before).at(0);
  sandbox.withdraw(id, asset.id);
  auto after = client.getOrder(id);
  ASSERT_TRUE(after);
  for (const auto& a : assetsOf(*after)) {
    if (a.id == asset.id) {
      EXPECT_EQ(a.status, "DELETED");
    }
  }
  auto d = client.downloadAsset(asset.downloadUrl, dir.path() / "gone");
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error().code, dms::ErrorCode::NotFound);
}

TEST_F(SandboxIntegrationTest, GetOrderSurvivesEveryTransientFault) {
  const auto id = sandbox.createDemoOrder();
  for (const char* kind : {"status", "429", "503", "cut", "slow", "malformed", "drop", "expire"}) {
    sandbox.clearFaults();
    sandbox.addFault("getOrder", kind, 1);
    const auto hits = faultsHit("getOrder");
    const auto start = std::chrono::steady_clock::now();
    auto o = client.getOrder(id);
    EXPECT_EQ(faultsHit("getOrder"), hits + 1) << kind;
    EXPECT_TRUE(o) << kind << ": " << o.error().describe();
    if (o) {
      EXPECT_EQ(o->id, id) << kind;
    }
    EXPECT_LT(std::chrono::steady_clock::now() - start, 10s) << kind;
  }
}

TEST_F(SandboxIntegrationTest, ProductsAndTokenFaults) {
  for (const char* kind : {"status", "503", "cut", "malformed", "drop"}) {
    sandbox.clearFaults();
    sandbox.addFault("products", kind, 1);
    const auto hits = faultsHit("products");
    auto p = client.products("9999");
    EXPECT_EQ(faultsHit("products"), hits + 1) << kind;
    EXPECT_TRUE(p) << kind << ": " << p.error().describe();
  }
  for (const char* kind : {"status", "429", "cut", "drop", "malformed"}) {
    sandbox.clearFaults();
    sandbox.expireTokens();
    client.tokensForTest().reset();
    sandbox.addFault("token", kind, 1);
    const auto hits = faultsHit("token");
    auto p = client.products("9999");
    EXPECT_EQ(faultsHit("token"), hits + 1) << kind;
    EXPECT_TRUE(p) << "token " << kind << ": " << p.error().describe();
  }
}

TEST_F(SandboxIntegrationTest, DownloadSurvivesEveryTransientFault) {
  const auto order = finishedOrder();
  const auto asset = assetsOf(order).at(0);
  const auto info = sandbox.assetInfo(asset.id);
  for (const char* kind : {"status", "429", "503", "cut", "slow", "drop", "expire"}) {
    sandbox.clearFaults();
    sandbox.addFault("download", kind, 1);
    const auto hits = faultsHit("download");
    auto d = client.downloadAsset(asset.downloadUrl, dir.path() / "a.pdf");
    ASSERT_TRUE(d) << kind << ": " << d.error().describe();
    EXPECT_EQ(faultsHit("download"), hits + 1) << kind;
    EXPECT_EQ(d->sha256Hex, info.sha256) << kind;
    EXPECT_EQ(d->size, info.size) << kind;
  }
  // A corrupted body of the right length cannot be detected by the client (Ambita publishes no
  // checksum): it completes, and the SHA-256 it reports differs, for the caller to record.
  sandbox.clearFaults();
  sandbox.addFault("download", "malformed", 1);
  auto d = client.downloadAsset(asset.downloadUrl, dir.path() / "a.pdf");
  ASSERT_TRUE(d) << d.error().describe();
  EXPECT_NE(d->sha256Hex, info.sha256);
}

TEST_F(SandboxIntegrationTest, PersistentFaultsEndInClearErrors) {
  const auto order = finishedOrder();
  const auto asset = assetsOf(order).at(0);
  sandbox.addFault("download", "cut", 0);
  auto d = client.downloadAsset(asset.downloadUrl, dir.path() / "a.pdf");
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error().code, dms::ErrorCode::DataLoss);
  EXPECT_NE(d.error().message.find("cut short"), std::string::npos) << d.error().message;
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "a.pdf"));
  sandbox.clearFaults();
  sandbox.addFault("getOrder", "status", 0, 502);
  auto o = client.getOrder(order.id);
  ASSERT_FALSE(o);
  EXPECT_EQ(o.error().code, dms::ErrorCode::Unavailable);
  EXPECT_NE(o.error().message.find("gave up after 4 attempts"), std::string::npos)
      << o.error().message;
  sandbox.clearFaults();
  sandbox.addFault("getOrder", "malformed", 0);
  auto m = client.getOrder(order.id);
  ASSERT_FALSE(m);
  EXPECT_EQ(m.error().code, dms::ErrorCode::InvalidArgument);
  EXPECT_NE(m.error().message.find("malformed JSON"), std::string::npos) << m.error().message;
}

TEST_F(SandboxIntegrationTest, CreateOrderIsNeverRepeatedBlindly) {
  // Faults where the sandbox did process the order: never repeated, error says to check.
  std::size_t expectedOrders = 0;
  for (const char* kind : {"drop", "cut", "malformed"}) {
    sandbox.clearFaults();
    sandbox.addFault("createOrder", kind, 1);
    const auto hits = faultsHit("createOrder");
    auto r = client.createOrder(demoOrder(std::string("ambiguous-") + kind));
    EXPECT_EQ(faultsHit("createOrder"), hits + 1) << kind;
    ++expectedOrders;
    ASSERT_FALSE(r) << kind;
    EXPECT_EQ(r.error().code, dms::ErrorCode::Conflict) << kind;
    EXPECT_NE(r.error().message.find("may or may not have been created"), std::string::npos)
        << kind << ": " << r.error().message;
    EXPECT_EQ(ordersInSandbox(), expectedOrders) << kind;  // created exactly once
  }
  // A 500 is ambiguous too (not processed by the sandbox, but a real server might have).
  sandbox.clearFaults();
  sandbox.addFault("createOrder", "status", 1, 500);
  auto r500 = client.createOrder(demoOrder("ambiguous-500"));
  ASSERT_FALSE(r500);
  EXPECT_EQ(r500.error().code, dms::ErrorCode::Conflict);
  // Refusals where the server says it did nothing are retried, and the order made once.
  for (const char* kind : {"503", "429", "expire"}) {
    sandbox.clearFaults();
    sandbox.addFault("createOrder", kind, 1);
    auto ok = client.createOrder(demoOrder(std::string("retried-") + kind));
    ASSERT_TRUE(ok) << kind << ": " << ok.error().describe();
    ++expectedOrders;
    EXPECT_EQ(ordersInSandbox(), expectedOrders) << kind;
  }
  // A slow answer still arrives within the read timeout.
  sandbox.clearFaults();
  sandbox.addFault("createOrder", "slow", 1, 100);
  auto slow = client.createOrder(demoOrder("slow"));
  EXPECT_TRUE(slow) << slow.error().describe();
}

TEST_F(SandboxIntegrationTest, BadCredentialsAreUnauthenticated) {
  auto o = optionsFor(sandbox);
  o.password = "not-the-password";
  api::AmbitaClient bad(o, &logger);
  auto p = bad.products("9999");
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().code, dms::ErrorCode::Unauthenticated);
  EXPECT_EQ(p.error().message.find("not-the-password"), std::string::npos);
  EXPECT_EQ(logger.text().find("not-the-password"), std::string::npos);
}

TEST(SandboxTokenExpiryTest, TokenExpiringMidRunIsRenewed) {
  SandboxProcess sandbox({"--token-lifetime", "1"});
  CapturingLogger logger;
  api::ClientOptions o = optionsFor(sandbox);
  // No early renewal: let tokens really expire in the middle of the run.
  o.tokenRefreshMargin = 0ms;
  api::AmbitaClient client(o, &logger);
  const auto id = sandbox.createDemoOrder();
  // Calls go on until at least three tokens (one-second lifetimes) were needed, however slow
  // the machine; the deadline only ends a broken run.
  const auto deadline = std::chrono::steady_clock::now() + 120s;
  int calls = 0;
  while ((calls <= 10 || sandbox.tokensIssued() < 3u) &&
         std::chrono::steady_clock::now() < deadline) {
    auto r = client.getOrder(id);
    ASSERT_TRUE(r) << r.error().describe();
    ++calls;
    std::this_thread::sleep_for(100ms);
  }
  EXPECT_GT(calls, 10);
  EXPECT_GE(sandbox.tokensIssued(), 3u);
  const std::string log = logger.text();
  EXPECT_EQ(log.find(SandboxProcess::kClientSecret), std::string::npos);
}

// Issue 13 item 1: more download threads than connections per origin, every access token
// rejected (in several waves) while downloads are in flight, and each wave's refresh refused
// (as if revoked). The renewal used to hold the token mutex while it waited for a pooled
// connection, and the threads holding the connections waited on that mutex to invalidate the
// token: a deadlock at 0 % CPU. Every download must now succeed, well within the bound.
TEST(SandboxTokenExpiryTest, ExpiryDuringConcurrentDownloadsNeverDeadlocks) {
  SandboxProcess sandbox;
  CapturingLogger logger;
  api::ClientOptions o = optionsFor(sandbox);
  o.maxConnectionsPerOrigin = 2;
  api::AmbitaClient client(o, &logger);
  dms::test::TempDir dir("ambita-expiry");
  const auto id = sandbox.createDemoOrder();
  constexpr int kThreads = 8;
  constexpr int kWaves = 6;
  for (int i = 0; i < kThreads; ++i) {
    SandboxProcess::AssetSpec spec;
    spec.size = 100'000;
    spec.filename = spec.name = "Dokument " + std::to_string(i) + ".pdf";
    sandbox.addAsset(id, spec);
  }
  auto order = client.getOrder(id);  // the password grant happens here, before any fault
  ASSERT_TRUE(order) << order.error().describe();
  std::vector<std::string> urls;
  for (const auto& a : order->orders.at(0).assets) urls.push_back(a.downloadUrl);
  ASSERT_GE(urls.size(), static_cast<std::size_t>(kThreads));

  std::atomic<bool> enough{false};
  std::atomic<int> done{0};
  std::atomic<int> failed{0};
  std::mutex failuresMutex;
  std::string failures;
  std::vector<std::thread> threads;
  {
    dms::test::TokenExpiryWaves waves(sandbox, kWaves, 4);
    for (int t = 0; t < kThreads; ++t)
      threads.emplace_back([&, t] {
        // Each thread downloads its file again and again until every wave has hit.
        while (!enough) {
          auto d = client.downloadAsset(urls[static_cast<std::size_t>(t)],
                                        dir.path() / std::to_string(t));
          if (!d) {
            ++failed;
            std::lock_guard lock(failuresMutex);
            failures += d.error().describe() + "\n";
          }
        }
        ++done;
      });
    const auto wavesDeadline = std::chrono::steady_clock::now() + 30s;
    while (waves.wavesHit() < kWaves && done == 0 &&
           std::chrono::steady_clock::now() < wavesDeadline)
      std::this_thread::sleep_for(10ms);
    enough = true;
  }
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while (done < kThreads && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(20ms);
  const bool finished = done == kThreads;
  // A hung client is cancelled so that the threads can be joined and the test reports.
  if (!finished) client.cancel();
  for (auto& t : threads) t.join();
  ASSERT_TRUE(finished) << "downloads still blocked 30 s after the last wave (deadlock)";
  EXPECT_EQ(failed, 0) << failures;
  EXPECT_GE(sandbox.faultsHit("download"), static_cast<std::size_t>(kWaves));
}

TEST(SandboxForeignHostTest, TokenNeverReachesForeignDownloadHost) {
  SandboxProcess api;
  SandboxProcess foreign({"--open-downloads"});
  CapturingLogger logger;
  api::AmbitaClient client(optionsFor(api), &logger);
  dms::test::TempDir dir("ambita-foreign");
  const auto id = api.createDemoOrder();
  const std::string assetId = "ab0123456789abcdef0123456789abcd";
  const auto foreignOrder = foreign.createDemoOrder();
  SandboxProcess::AssetSpec spec;
  spec.id = assetId;
  spec.size = 100'000;
  foreign.addAsset(foreignOrder, spec);
  spec.downloadUrl = foreign.baseUrl() + "/shopping/v2/assets/" + assetId;
  api.addAsset(id, spec);

  auto order = client.getOrder(id);
  ASSERT_TRUE(order) << order.error().describe();
  std::string url;
  for (const auto& a : order->orders.at(0).assets)
    if (a.id == assetId) url = a.downloadUrl;
  ASSERT_EQ(url, spec.downloadUrl);
  auto d = client.downloadAsset(url, dir.path() / "foreign.pdf");
  ASSERT_TRUE(d) << d.error().describe();
  EXPECT_EQ(d->sha256Hex, foreign.assetInfo(assetId).sha256);

  auto requests = foreign.requests();
  int downloads = 0;
  for (std::size_t i = 0; i < requests->size(); ++i) {
    auto r = requests->getObject(static_cast<unsigned>(i));
    if (r->getValue<std::string>("endpoint") != "download") continue;
    ++downloads;
    EXPECT_FALSE(r->getValue<bool>("authorization"));
  }
  EXPECT_EQ(downloads, 1);
}

}  // namespace
}  // namespace ambita::test

namespace ambita::test {
namespace {

TEST_F(SandboxIntegrationTest, QuoteEqualsThePriceRecordedForTheOrder) {
  auto parsed =
      commands::parseOrderArguments(kOrderArgs, {&out, &err, false}, commands::ArgumentsFor::Quote);
  ASSERT_TRUE(std::holds_alternative<commands::OrderArguments>(parsed)) << err.str();
  auto quote = commands::quoteOrder(client, std::get<commands::OrderArguments>(parsed).order);
  ASSERT_TRUE(quote) << quote.error().describe();
  EXPECT_FALSE(quote->fromCatalogue);
  EXPECT_EQ(quote->netOre(), 183040);
  EXPECT_EQ(quote->grossOre(), 228800);
  EXPECT_EQ(ordersInSandbox(), 0u);

  auto args = kOrderArgs;
  args.push_back("--yes");
  ASSERT_EQ(runOrder(args, {}), 0) << err.str();
  EXPECT_NE(out.str().find("2288.00"), std::string::npos) << out.str();
  auto order = client.getOrder(createdId);
  ASSERT_TRUE(order) << order.error().describe();
  ASSERT_TRUE(order->priceNet && order->priceVat);
  EXPECT_EQ(*commands::parseOre(Poco::Dynamic::Var(*order->priceNet), "priceNet"), quote->netOre());
  EXPECT_EQ(*commands::parseOre(Poco::Dynamic::Var(*order->priceVat), "priceVat"),
            quote->grossOre());
}

TEST_F(SandboxIntegrationTest, QuoteCommandFallsBackToTheCatalogueWhenPricesAre404) {
  sandbox.addFault("prices", "status", 1, 404);
  dms::CommandIO io{&out, &err, false};
  ASSERT_EQ(commands::runQuoteCommand(client, kOrderArgs, io), 0) << err.str();
  EXPECT_NE(out.str().find("TOTAL       1830.40  457.60      2288.00"), std::string::npos)
      << out.str();
  EXPECT_NE(out.str().find("price from the catalogue"), std::string::npos) << out.str();
  EXPECT_EQ(faultsHit("prices"), 1u);
  EXPECT_EQ(ordersInSandbox(), 0u);
}

TEST_F(SandboxIntegrationTest, OrderAboveTheHardLimitIsRefusedBeforeTheOrderPost) {
  commands::OrderLimits limits;
  limits.maxOrderOre = 2000 * 100;
  auto args = kOrderArgs;
  args.push_back("--yes");
  EXPECT_EQ(runOrder(args, limits), 1);
  EXPECT_NE(err.str().find("maxOrderNok"), std::string::npos) << err.str();
  EXPECT_EQ(requestsTo("prices"), 1u);
  EXPECT_EQ(requestsTo("createOrder"), 0u);
  EXPECT_EQ(ordersInSandbox(), 0u);
}

TEST_F(SandboxIntegrationTest, OrderAboveTheConfirmAmountNeedsYesWithoutATerminal) {
  commands::OrderLimits limits;
  limits.confirmAboveOre = 2000 * 100;
  EXPECT_EQ(runOrder(kOrderArgs, limits), 1);
  EXPECT_NE(err.str().find("pass --yes"), std::string::npos) << err.str();
  EXPECT_EQ(requestsTo("createOrder"), 0u);
  auto args = kOrderArgs;
  args.push_back("--yes");
  ASSERT_EQ(runOrder(args, limits), 0) << err.str();
  EXPECT_EQ(requestsTo("createOrder"), 1u);
  EXPECT_EQ(ordersInSandbox(), 1u);
}

}  // namespace
}  // namespace ambita::test
