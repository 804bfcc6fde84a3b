// The plugin's stop() against a WebDAV target whose server asks for long pauses (503 with
// Retry-After: 60): stop() cancels the target (dms::DocumentTarget::cancel(), interface 1.1)
// before joining its workers, so it returns within seconds instead of after the pause, and
// resumes the target afterwards. Real WebDAV target, scripted loopback server, fake Ambita API.
#include <Poco/Net/HTTPResponse.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <future>
#include <limits>
#include <mutex>
#include <optional>
#include <sstream>
#include <streambuf>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "AmbitaPlugin.h"
#include "EngineFixture.h"
#include "ScriptedDavServer.h"
#include "TestServer.h"
#include "dms/webdav/WebDavOptions.h"
#include "dms/webdav/WebDavTarget.h"
#include "support/ForwardingTarget.h"
#include "support/PseudoTerminal.h"

namespace ambita::test {
namespace {

using dms::test::RecordedRequest;
using dms::test::ScriptedDavServer;
using Poco::Net::HTTPResponse;
using Poco::Net::HTTPServerResponse;

/// How the scripted server behaves; switched by the test while the plugin runs.
enum class DavMood { Healthy, Overloaded, OneHiccup };

void answer(HTTPServerResponse& response, int status, const std::string& body,
            const std::string& retryAfter = "") {
  response.setStatusAndReason(static_cast<HTTPResponse::HTTPStatus>(status),
                              status == 207 ? "Multi-Status" : "");
  if (!retryAfter.empty()) response.set("Retry-After", retryAfter);
  response.setContentLength64(static_cast<Poco::Int64>(body.size()));
  response.send() << body;
}

/// An empty WebDAV collection at /dav/ that can turn overloaded on demand.
class MoodyDavServer {
 public:
  MoodyDavServer()
      : server_([this](std::size_t, const RecordedRequest& request, HTTPServerResponse& r) {
          const DavMood mood = mood_.load();
          if (mood == DavMood::Overloaded ||
              (mood == DavMood::OneHiccup && hiccups_.fetch_add(1) == 0)) {
            ++refused_;
            return answer(r, 503, "", mood == DavMood::Overloaded ? "60" : "0");
          }
          if (request.method == "PROPFIND")
            return answer(r, 207, dms::test::multistatusFor("/dav/", true));
          answer(r, 404, "");
        }) {}

  std::string url() const { return server_.origin() + "/dav/"; }
  void setMood(DavMood mood) { mood_ = mood; }
  int refused() const { return refused_.load(); }

 private:
  std::atomic<DavMood> mood_{DavMood::Healthy};
  std::atomic<int> hiccups_{0};
  std::atomic<int> refused_{0};
  ScriptedDavServer server_;
};

/// A target whose cancel() (the plugin's stop() calls it after cancelling its client) first
/// runs a test's action: a command started while stop() runs, at the worst moment.
class CancelHookTarget final : public dms::test::ForwardingTarget {
 public:
  using ForwardingTarget::ForwardingTarget;
  std::function<void()> duringCancel;
  void cancel() noexcept override {
    auto action = std::exchange(duringCancel, nullptr);  // once: stop() cancels once
    if (action) action();
  }
};

class PluginStopTest : public EngineFixture {
 protected:
  void SetUp() override {
    EngineFixture::SetUp();
    closeEngine();  // the plugin opens its own engine on the same data folder
  }

  std::shared_ptr<dms::DocumentTarget> webDavTarget(const std::string& url) {
    auto options = dms::webdav::WebDavOptions::parse(
        R"({"url": ")" + url + R"(", "retries": 1, "retryDelayMs": 10, "timeoutSeconds": 5})");
    if (!options) throw std::runtime_error(options.error().describe());
    auto target = dms::webdav::WebDavTarget::create(*options, logger_);
    if (!target) throw std::runtime_error(target.error().describe());
    return std::shared_ptr<dms::DocumentTarget>(std::move(*target));
  }

  /// The client's section: Ambita at `baseUrl`, with TokenService's credentials.
  static std::string clientSection(const std::string& baseUrl) {
    const TokenService tokens;
    return R"({"baseUrl": ")" + baseUrl + R"(", "clientId": ")" + tokens.clientId +
           R"(", "clientSecret": ")" + tokens.clientSecret + R"(", "username": ")" +
           tokens.username + R"(", "password": ")" + tokens.password +
           R"(", "readTimeoutSeconds": 1, "poll": {"workers": 1}})";
  }

  std::unique_ptr<AmbitaPlugin> makePlugin(std::shared_ptr<dms::DocumentTarget> target,
                                           const std::string& baseUrl = "http://127.0.0.1:9") {
    dms::HostServices services;
    services.logger = &logger_;
    services.dataDir = dataDir_;
    services.configJson = clientSection(baseUrl);
    services.target = std::move(target);
    services.hostName = "dms-host test";
    auto plugin = AmbitaPlugin::createWithOrderApiForTest(services, api_);
    if (!plugin) throw std::runtime_error(plugin.error().describe());
    return std::move(*plugin);
  }

  static int push(AmbitaPlugin& plugin, std::int64_t orderId) {
    auto routes = plugin.routes();
    dms::HttpRequest request;
    request.method = "POST";
    request.path = routes.at(0).path;
    request.body =
        R"({"orderCollectionId": )" + std::to_string(orderId) + R"(, "status": "UPDATED"})";
    request.remoteAddress = "127.0.0.1";
    return routes.at(0).handler(request).status;
  }
};

TEST_F(PluginStopTest, StopEndsAWebDavRetryAfterPauseAtOnceAndResumesTheTarget) {
  MoodyDavServer dav;
  auto target = webDavTarget(dav.url());
  auto plugin = makePlugin(target);
  api_.setOrder(makeOrder(1, "FINISHED", {makeAsset("a1", "A.pdf")}));
  ASSERT_TRUE(plugin->startService().ok());

  // The worker filing the pushed order meets a server that asks it to wait a minute.
  dav.setMood(DavMood::Overloaded);
  ASSERT_EQ(push(*plugin, 1), 200);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (dav.refused() == 0 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  ASSERT_GT(dav.refused(), 0) << "the worker never reached the target";

  const auto stopping = std::chrono::steady_clock::now();
  plugin->stop();
  const auto took = std::chrono::steady_clock::now() - stopping;
  EXPECT_LT(took, std::chrono::seconds(5))
      << "stop() took " << std::chrono::duration_cast<std::chrono::milliseconds>(took).count()
      << " ms: the target's Retry-After pause was not cancelled";

  // After stop() the target retries again (it was resumed): one 503, then the answer.
  dav.setMood(DavMood::OneHiccup);
  auto stat = target->stat("");
  EXPECT_TRUE(stat.ok()) << stat.error().describe();
}

/// Ambita's token endpoint and product list on a loopback port; a products call can be held
/// (the client's read then waits for the answer, as behind a slow API) until release(). Its one
/// product costs 6250 NOK incl. VAT (no price endpoint: `order` prices it from the list), above the
/// default ambita.orders.confirmAboveNok (5000), so `order` asks. Orders placed are counted, not
/// made.
class ProductsApi {
 public:
  ProductsApi()
      : server_([this](Poco::Net::HTTPServerRequest& request,
                       Poco::Net::HTTPServerResponse& response, const std::string& body) {
          if (tokens_.handle(request, response, body) || !tokens_.authorize(request, response))
            return;
          if (request.getURI().find("/kode/v1/orders") == 0) {
            ++ordersPlaced_;
            return reply(response, 500, R"({"message": "this test orders nothing"})");
          }
          if (request.getURI().find("/kode/v1/products") != 0) return reply(response, 404, "{}");
          std::unique_lock lock(mutex_);
          ++productCalls_;
          changed_.notify_all();
          // Bounded, so that a test that never releases cannot hold the server's stop.
          changed_.wait_for(lock, std::chrono::seconds(20), [this] { return !holding_; });
          lock.unlock();
          reply(response, 200, R"([{"code": "WI99990001", "name": "Målebrev",
                                    "price": {"salesPriceNet": 5000, "salesPriceVat": 6250}}])");
        }) {}
  ~ProductsApi() { release(); }

  std::string baseUrl() const { return server_.baseUrl(); }
  void hold() {
    std::lock_guard lock(mutex_);
    holding_ = true;
  }
  void release() {
    {
      std::lock_guard lock(mutex_);
      holding_ = false;
    }
    changed_.notify_all();
  }
  /// True once a products call has reached the server (false after 30 s).
  bool waitForProductCall() {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, std::chrono::seconds(30), [this] { return productCalls_ > 0; });
  }
  int ordersPlaced() const { return ordersPlaced_.load(); }

 private:
  TokenService tokens_;
  std::atomic<int> ordersPlaced_{0};
  std::mutex mutex_;
  std::condition_variable changed_;
  bool holding_ = false;
  int productCalls_ = 0;
  TestServer server_;  ///< last: stopped before what its handler uses goes
};

const std::vector<std::string> kProductsArgs{"--municipality", "0301", "--json"};

// The plugin is a guest in any host: a command the host starts on another thread while stop()
// runs must not resume the client stop() has cancelled, nor run on after stop() released the
// data folder's lock. It is answered at once with "the plugin is stopping" (branch waits), the
// API commands as the admin commands (branch stopall: products, quote and order were not
// counted at all).
class CommandDuringStopTest : public PluginStopTest,
                              public ::testing::WithParamInterface<std::vector<std::string>> {};

TEST_P(CommandDuringStopTest, IsRefusedAndRunsOnceStopHasReturned) {
  ProductsApi ambita;
  auto hook = std::make_shared<CancelHookTarget>(*fsTarget_);
  auto plugin = makePlugin(hook, ambita.baseUrl());
  ASSERT_TRUE(plugin->startService().ok());
  const std::string name = GetParam().front();
  const std::vector<std::string> args(GetParam().begin() + 1, GetParam().end());
  int code = -1;
  std::ostringstream out;
  std::ostringstream err;
  bool answered = false;
  hook->duringCancel = [&] {
    auto command = std::async(std::launch::async, [&] {
      return plugin->runCommand(name, args, {&out, &err, false});
    });
    answered = command.wait_for(std::chrono::seconds(30)) == std::future_status::ready;
    if (answered) code = command.get();
  };
  plugin->stop();  // std::async's future waits for a command still running, if any
  ASSERT_TRUE(answered) << "the command started during stop() did not end within 30 s";
  EXPECT_EQ(code, 1);
  EXPECT_EQ(err.str(), name +
                           ": the plugin is stopping (the service is being stopped); run the "
                           "command again once stop() has returned\n");
  EXPECT_EQ(out.str(), "");
  // Once stop() has returned, commands run again (alone, on the data folder's lock), and the
  // client stop() cancelled serves them again.
  std::ostringstream after;
  std::ostringstream afterErr;
  EXPECT_EQ(plugin->runCommand(name, args, {&after, &afterErr, false}), 0) << afterErr.str();
}

INSTANTIATE_TEST_SUITE_P(AdminAndApiCommands, CommandDuringStopTest,
                         ::testing::Values(std::vector<std::string>{"status"},
                                           std::vector<std::string>{"products", "--municipality",
                                                                    "0301", "--json"}));

// Before branch stopall the API commands used the client stop() cancelled without resuming it:
// after a stop() (a host stopping the service and serving its CLI or health checks on),
// `products` failed with "cancelled" until some admin command happened to resume the client.
TEST_F(PluginStopTest, AnApiCommandAfterStopUsesTheClientAgain) {
  ProductsApi ambita;
  auto plugin = makePlugin(std::make_shared<CancelHookTarget>(*fsTarget_), ambita.baseUrl());
  ASSERT_TRUE(plugin->startService().ok());
  plugin->stop();
  std::ostringstream out;
  std::ostringstream err;
  EXPECT_EQ(plugin->runCommand("products", kProductsArgs, {&out, &err, false}), 0) << err.str();
  EXPECT_NE(out.str().find("WI99990001"), std::string::npos) << out.str();
}

// stop() cancels an API command in flight (its call ends with Cancelled within the client's
// read timeout) and waits for its end before it returns, as it does for the admin commands:
// a host's readiness check (`products`) does not outlive the plugin's stop().
TEST_F(PluginStopTest, StopCancelsAnApiCommandInFlightAndWaitsForItsEnd) {
  ProductsApi ambita;
  auto plugin = makePlugin(std::make_shared<CancelHookTarget>(*fsTarget_), ambita.baseUrl());
  ASSERT_TRUE(plugin->startService().ok());
  ambita.hold();
  int code = -1;
  std::ostringstream out;
  std::ostringstream err;
  std::thread command([&] {
    code = plugin->runCommand("products", kProductsArgs, {&out, &err, false});
  });
  const bool reached = ambita.waitForProductCall();
  plugin->stop();
  // What the command wrote before its count ended (stop() waited for that under the count's
  // mutex): its error, not the answer the server still holds.
  const std::string errorAtStop = err.str();
  ambita.release();
  command.join();
  ASSERT_TRUE(reached) << "the products call never reached the server";
  EXPECT_NE(errorAtStop.find("products: "), std::string::npos)
      << "stop() returned with `products` still running";
  EXPECT_EQ(code, 1);
  EXPECT_EQ(out.str(), "");
  EXPECT_NE(logger_.text().find("stop: cancelled 1 command(s) in flight"), std::string::npos)
      << logger_.text();
}

/// What a command writes on its thread, which the test reads (and waits for) while it runs.
class SharedText final : public std::streambuf {
 public:
  std::string text() const {
    std::lock_guard lock(mutex_);
    return text_;
  }
  /// True once the text contains `part` (false after `timeout`).
  bool waitFor(const std::string& part, std::chrono::seconds timeout) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, [&] { return text_.find(part) != std::string::npos; });
  }

 protected:
  // No put area: every character comes here, under the mutex.
  int_type overflow(int_type c) override {
    if (!traits_type::eq_int_type(c, traits_type::eof())) {
      const char character = traits_type::to_char_type(c);
      xsputn(&character, 1);
    }
    return traits_type::not_eof(c);
  }
  std::streamsize xsputn(const char* s, std::streamsize n) override {
    {
      std::lock_guard lock(mutex_);
      text_.append(s, static_cast<std::size_t>(n));
    }
    changed_.notify_all();
    return n;
  }

 private:
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::string text_;
};

// `order` asks on the terminal above ambita.orders.confirmAboveNok and waits up to five minutes
// for the answer. stop() ends that wait (the question checks for it every 100 ms): before, it
// waited its 30 s for the command, logged an error and returned with the question still open:
// a "y" typed later would still have ordered, once anything resumed the client (a command, a
// start).
TEST_F(PluginStopTest, StopEndsAnOrderWaitingForItsConfirmationAndNothingIsOrdered) {
  ProductsApi ambita;
  dms::test::PseudoTerminal terminal;
  auto plugin = makePlugin(std::make_shared<CancelHookTarget>(*fsTarget_), ambita.baseUrl());
  plugin->setTerminalInputForTest(terminal.terminal());
  ASSERT_TRUE(plugin->startService().ok());
  SharedText errText;
  std::ostream err(&errText);
  std::ostringstream out;
  int code = -1;
  std::thread command([&] {
    code = plugin->runCommand(
        "order",
        {"--kind", "cadastre", "--cadastre", "9999-1-1-0-0", "--address",
         "Infoveien 1, 9999 Infoland", "--product", "WI99990001", "--reference", "case-1"},
        {&out, &err, false});
  });
  const bool asked = errText.waitFor("6250.00 NOK incl. VAT? [y/N] ", std::chrono::seconds(30));
  const auto stopping = std::chrono::steady_clock::now();
  plugin->stop();
  const auto took = std::chrono::steady_clock::now() - stopping;
  const std::string errAtStop = errText.text();
  terminal.type("y\n");  // a question stop() left open would order now
  command.join();
  ASSERT_TRUE(asked) << "order never asked: " << errText.text();
  EXPECT_LT(took, std::chrono::seconds(5))
      << "stop() took " << std::chrono::duration_cast<std::chrono::milliseconds>(took).count()
      << " ms: the question was not cancelled";
  EXPECT_NE(errAtStop.find("[y/N] \n(cancelled)\norder: the plugin is stopping: the "
                           "confirmation was cancelled and nothing was ordered\n"),
            std::string::npos)
      << errAtStop;
  EXPECT_EQ(code, 1);
  EXPECT_EQ(ambita.ordersPlaced(), 0);
  EXPECT_EQ(logger_.text().find("still running"), std::string::npos) << logger_.text();
}

/// Holds the fake API's calls (downloads, order GETs) until the target's cancel(), which the
/// plugin's stop() calls right after it cancelled its client: they then end `Cancelled`, as the
/// client's do at stop().
class CallsCutByStop {
 public:
  /// `cut` makes the calls fail with `Cancelled` from then on (it runs inside the target's
  /// cancel()); `restore` puts things back at the end of the scope. `holdStop`: how long stop()
  /// waits after the cut, so that the cut call's thread has judged its failure before stop()
  /// goes on.
  CallsCutByStop(CancelHookTarget& target, std::function<void()> cut, std::function<void()> restore,
                 std::chrono::milliseconds holdStop = std::chrono::milliseconds(0))
      : restore_(std::move(restore)) {
    target.duringCancel = [this, cut = std::move(cut), holdStop] {
      cut();
      {
        std::lock_guard lock(mutex_);
        cut_ = true;
      }
      changed_.notify_all();
      std::this_thread::sleep_for(holdStop);
    };
  }
  ~CallsCutByStop() { restore_(); }
  CallsCutByStop(const CallsCutByStop&) = delete;
  CallsCutByStop& operator=(const CallsCutByStop&) = delete;

  /// The call's hook: counts the call and holds it until the cut (at most 30 s).
  void enter() {
    std::unique_lock lock(mutex_);
    ++started_;
    changed_.notify_all();
    changed_.wait_for(lock, std::chrono::seconds(30), [this] { return cut_; });
  }
  /// True once a call has started (false after 30 s).
  bool waitForCall() {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, std::chrono::seconds(30), [this] { return started_ > 0; });
  }

 private:
  std::function<void()> restore_;
  std::mutex mutex_;
  std::condition_variable changed_;
  int started_ = 0;
  bool cut_ = false;
};

/// Downloads of `url` that run until stop() cancels the target (right after the client), then
/// fail with `Cancelled`, as the real client's do once cancelled.
class DownloadsCutByStop : public CallsCutByStop {
 public:
  DownloadsCutByStop(FakeOrderApi& api, CancelHookTarget& target, const std::string& url)
      : CallsCutByStop(
            target, [&api, url] { api.failDownload(url, dms::ErrorCode::Cancelled); },
            [&api, url] {
              api.onDownload(nullptr);
              api.failDownload(url, std::nullopt);
            }) {
    api.onDownload([this](int) { enter(); });
  }
};

/// Order GETs of `orderId` the same way; stop() goes on 300 ms after the cut.
class OrderGetsCutByStop : public CallsCutByStop {
 public:
  OrderGetsCutByStop(FakeOrderApi& api, CancelHookTarget& target, std::int64_t orderId)
      : CallsCutByStop(
            target, [&api, orderId] { api.failGetOrder(orderId, dms::ErrorCode::Cancelled); },
            [&api, orderId] {
              api.onGetOrder(nullptr);
              api.failGetOrder(orderId, std::nullopt);
            },
            std::chrono::milliseconds(300)) {
    api.onGetOrder([this](std::int64_t) { enter(); });
  }
};

/// The asset's record, or a failed test.
std::optional<filing::AssetRecord> recordOf(AmbitaPlugin& plugin, std::int64_t orderId,
                                            const std::string& assetId) {
  auto records = plugin.stateForTest().assetsOfOrder(orderId);
  EXPECT_TRUE(records.ok()) << records.error().describe();
  if (records)
    for (const auto& r : *records)
      if (r.assetId == assetId) return r;
  ADD_FAILURE() << "no record of asset " << assetId;
  return std::nullopt;
}

// Branch stopall: a `verify --repair` whose download stop() cut off left the asset "failed"
// (an attempt counted, a backoff) until an operator's `retry`: verify checks filed assets only,
// and an old order is not polled. A cancellation is no failure of the asset: it stays as it was
// (filed, its file missing), so the next `verify --repair` repairs it.
TEST_F(PluginStopTest, ARepairCutByStopLeavesTheAssetForTheNextRepair) {
  auto target = std::make_shared<CancelHookTarget>(*fsTarget_);
  auto plugin = makePlugin(target);
  const auto a1 = makeAsset("a1", "A.pdf");
  api_.setOrder(makeOrder(5, "FINISHED", {a1, makeAsset("a2", "B.pdf")}));
  std::ostringstream out, err;
  ASSERT_EQ(plugin->runCommand("track", {"5"}, {&out, &err, false}), 0) << err.str();
  ASSERT_EQ(plugin->runCommand("sync", {}, {&out, &err, false}), 0) << err.str();
  const auto filed = recordOf(*plugin, 5, "a1");
  ASSERT_TRUE(filed && filed->state == filing::AssetState::Filed);
  ASSERT_TRUE(std::filesystem::remove(std::filesystem::path(archiveRoot_) / filed->path));
  ASSERT_TRUE(plugin->startService().ok());

  std::ostringstream verifyOut, verifyErr;
  int verifyCode = -1;
  bool downloading = false;
  {
    DownloadsCutByStop cut(api_, *target, a1.downloadUrl);
    std::thread verify([&] {
      verifyCode = plugin->runCommand("verify", {"--repair"}, {&verifyOut, &verifyErr, false});
    });
    downloading = cut.waitForCall();
    plugin->stop();
    verify.join();
  }
  ASSERT_TRUE(downloading) << "the repair never downloaded the missing file";
  EXPECT_EQ(verifyCode, 1) << verifyOut.str() << verifyErr.str();

  const auto after = recordOf(*plugin, 5, "a1");
  ASSERT_TRUE(after);
  EXPECT_EQ(filing::toString(after->state), filing::toString(filing::AssetState::Filed))
      << after->lastError;
  EXPECT_EQ(after->path, filed->path);
  EXPECT_EQ(after->attempts, 0);
  EXPECT_EQ(after->notBeforeEpoch, 0);

  // The next repair (no retry asked for) files it again.
  std::ostringstream againOut, againErr;
  EXPECT_EQ(plugin->runCommand("verify", {"--repair"}, {&againOut, &againErr, false}), 0)
      << againOut.str() << againErr.str();
  EXPECT_TRUE(std::filesystem::exists(std::filesystem::path(archiveRoot_) / filed->path));
  EXPECT_EQ(plugin->runCommand("verify", {}, {&againOut, &againErr, false}), 0)
      << againOut.str() << againErr.str();
}

// The ordinary path, the same rule: a service's download cut by stop() is no failed attempt
// (no backoff, no "failed" audit), and the next start files the asset at once.
TEST_F(PluginStopTest, AServiceDownloadCutByStopIsNoFailedAttempt) {
  auto target = std::make_shared<CancelHookTarget>(*fsTarget_);
  auto plugin = makePlugin(target);
  const auto a1 = makeAsset("a1", "A.pdf");
  api_.setOrder(makeOrder(7, "FINISHED", {a1}));
  ASSERT_TRUE(plugin->startService().ok());
  {
    DownloadsCutByStop cut(api_, *target, a1.downloadUrl);  // until the scope's end
    ASSERT_EQ(push(*plugin, 7), 200);
    const bool downloading = cut.waitForCall();
    plugin->stop();
    ASSERT_TRUE(downloading) << "the worker never downloaded the pushed order's file";
  }
  const auto stopped = recordOf(*plugin, 7, "a1");
  ASSERT_TRUE(stopped);
  EXPECT_EQ(stopped->attempts, 0) << "a stop was counted as a failed attempt";
  EXPECT_EQ(stopped->notBeforeEpoch, 0) << "a stop put the asset into a backoff";
  auto audit = plugin->stateForTest().audit(7, 100);
  ASSERT_TRUE(audit.ok());
  for (const auto& entry : *audit) EXPECT_NE(entry.action, "failed") << entry.detail;

  ASSERT_TRUE(plugin->startService().ok());
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  std::optional<filing::AssetRecord> now;
  while (std::chrono::steady_clock::now() < deadline) {
    now = recordOf(*plugin, 7, "a1");
    if (now && now->state == filing::AssetState::Filed) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  plugin->stop();
  ASSERT_TRUE(now);
  EXPECT_EQ(filing::toString(now->state), filing::toString(filing::AssetState::Filed))
      << "not filed within 20 s of the next start: " << now->lastError;
}

TEST_F(PluginStopTest, AnOrderGetCutByStopLeavesItsPushDueAtTheNextStart) {
  auto target = std::make_shared<CancelHookTarget>(*fsTarget_);
  auto plugin = makePlugin(target);
  api_.setOrder(makeOrder(7, "FINISHED", {makeAsset("a1", "A.pdf")}));
  ASSERT_TRUE(plugin->startService().ok());
  {
    OrderGetsCutByStop cut(api_, *target, 7);  // until the scope's end
    ASSERT_EQ(push(*plugin, 7), 200);
    const bool getting = cut.waitForCall();
    plugin->stop();
    ASSERT_TRUE(getting) << "the worker never asked for the pushed order";
  }
  // Every message, postponed or not.
  auto messages =
      plugin->stateForTest().dueMessages(std::numeric_limits<std::int32_t>::max(), 0, 10);
  ASSERT_TRUE(messages.ok()) << messages.error().describe();
  ASSERT_EQ(messages->size(), 1u) << "the push was answered or dropped";
  EXPECT_EQ(messages->front().attempts, 0) << "a stop was counted as a failed attempt";
  EXPECT_EQ(messages->front().notBeforeEpoch, 0) << "a stop put the push into a backoff";
  EXPECT_EQ(messages->front().lastFailureEpoch, 0);
}

}  // namespace
}  // namespace ambita::test
