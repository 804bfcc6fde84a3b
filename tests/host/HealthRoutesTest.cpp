// GET /healthz and /readyz of a real `dms-host run` with the real Ambita plugin, the filesystem
// connector and the sandbox: ready when state, target and token are fine; 503 naming the token
// check when the API is gone or refuses the credentials, naming the target check when the
// target folder is gone or read-only. Each fault is made before the first /readyz, so the
// checks run fresh (a result is served for 10 s) and no test waits for a cache to expire.
#include <gtest/gtest.h>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <thread>

#include "HostProcess.h"
#include "TmpfsMount.h"
#include "dms/Version.h"
#include "support/PrometheusText.h"
#include "support/SandboxProcess.h"
#include "support/TempDir.h"

namespace {

namespace fs = std::filesystem;
using dms::test::HostProcess;
using dms::test::SandboxProcess;
using dms::test::TempDir;

const std::string kWrongPassword = "wrong-password-5c1e";

struct Reply {
  int status = 0;
  std::string body;
  Poco::JSON::Object::Ptr json;
};

/// The answer as text: status and body.
Reply fetch(unsigned port, const std::string& method, const std::string& pathAndQuery,
            const std::string& body = "") {
  Poco::Net::HTTPClientSession session("127.0.0.1", static_cast<Poco::UInt16>(port));
  session.setTimeout(Poco::Timespan(30, 0));
  Poco::Net::HTTPRequest request(method, pathAndQuery, Poco::Net::HTTPMessage::HTTP_1_1);
  request.setContentLength(static_cast<std::streamsize>(body.size()));
  session.sendRequest(request) << body;
  Poco::Net::HTTPResponse response;
  std::istream& in = session.receiveResponse(response);
  Reply reply;
  reply.status = response.getStatus();
  Poco::StreamCopier::copyToString(in, reply.body);
  return reply;
}

Reply get(unsigned port, const std::string& path) {
  Poco::Net::HTTPClientSession session("127.0.0.1", static_cast<Poco::UInt16>(port));
  session.setTimeout(Poco::Timespan(30, 0));
  Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_GET, path,
                                 Poco::Net::HTTPMessage::HTTP_1_1);
  session.sendRequest(request);
  Poco::Net::HTTPResponse response;
  std::istream& in = session.receiveResponse(response);
  Reply reply;
  reply.status = response.getStatus();
  Poco::StreamCopier::copyToString(in, reply.body);
  Poco::JSON::Parser parser;
  reply.json = parser.parse(reply.body).extract<Poco::JSON::Object::Ptr>();
  return reply;
}

/// The names in /readyz's "failed" list, comma-separated.
std::string failedChecks(const Reply& reply) {
  std::string names;
  if (auto failed = reply.json->getArray("failed"))
    for (std::size_t i = 0; i < failed->size(); ++i)
      names += (names.empty() ? "" : ",") + failed->getElement<std::string>(i);
  return names;
}

/// The error of the named check in /readyz's answer ("" when it passed or is missing).
std::string checkError(const Reply& reply, const std::string& name) {
  auto checks = reply.json->getArray("checks");
  for (std::size_t i = 0; checks && i < checks->size(); ++i) {
    auto check = checks->getObject(static_cast<unsigned>(i));
    if (check->getValue<std::string>("name") == name)
      return check->optValue<std::string>("error", "");
  }
  return "";
}

class HealthRoutes : public testing::Test {
 protected:
  fs::path archive() const { return dir_.path() / "archive"; }

  /// Starts `dms-host run` against the sandbox with `password`.
  void startHost(const std::string& password = SandboxProcess::kPassword) {
    fs::create_directories(archive());
    const fs::path config = dir_.path() / "host.json";
    std::ofstream(config) << R"({"dataDir": ")" << (dir_.path() / "data").string()
                          << R"(", "modules": ")" << DMS_MODULE_DIR
                          << R"(", "target": {"connector": "filesystem", "root": ")"
                          << archive().string() << R"("}, "ambita": {"baseUrl": ")"
                          << sandbox_->baseUrl() << R"(", "clientId": ")"
                          << SandboxProcess::kClientId << R"(", "clientSecret": ")"
                          << SandboxProcess::kClientSecret << R"(", "username": ")"
                          << SandboxProcess::kUsername
                          << R"(", "password": "${DMS_TEST_PASSWORD}", "push": {"secret": )"
                          << R"("health-test-push-secret"}}, "http": {"listen": "127.0.0.1:0"}})";
    host_ = std::make_unique<HostProcess>(
        std::vector<std::string>{"--config", config.string(), "run"}, dir_.path(),
        HostProcess::Env{{"DMS_TEST_PASSWORD", password}});
    ASSERT_NE(host_->port(), 0U) << host_->firstLine();
  }

  /// Stops the host with SIGTERM: it must end cleanly even with a check in flight.
  void TearDown() override {
    if (!host_) return;
    const auto stopped = host_->stop(SIGTERM, 60);
    EXPECT_EQ(stopped.exitCode, 0) << stopped.err;
    EXPECT_EQ(stopped.err.find(kWrongPassword), std::string::npos) << stopped.err;
  }

  TempDir dir_{"dms-health"};
  /// The sandbox's answers to API requests so far, by status class ("2xx").
  std::map<std::string, double> sandboxAnswersByClass() const {
    const auto reply = sandbox_->request("GET", "/_sandbox/requests");
    Poco::JSON::Parser parser;
    const auto requests = parser.parse(reply.body).extract<Poco::JSON::Array::Ptr>();
    std::map<std::string, double> byClass;
    for (std::size_t i = 0; i < requests->size(); ++i) {
      const int status = requests->getObject(static_cast<unsigned>(i))->getValue<int>("status");
      if (status > 0) byClass[std::to_string(status / 100) + "xx"] += 1;
    }
    return byClass;
  }

  std::unique_ptr<SandboxProcess> sandbox_ = std::make_unique<SandboxProcess>();
  std::unique_ptr<HostProcess> host_;
};

TEST_F(HealthRoutes, HealthzSaysAliveWhileTheHostServes) {
  startHost();
  const Reply alive = get(host_->port(), "/healthz");
  EXPECT_EQ(alive.status, 200) << alive.body;
  EXPECT_EQ(alive.json->getValue<std::string>("status"), "alive");
}

TEST_F(HealthRoutes, ReadyWhenStateTargetAndTokenAreFine) {
  startHost();
  const Reply ready = get(host_->port(), "/readyz");
  EXPECT_EQ(ready.status, 200) << ready.body;
  EXPECT_TRUE(ready.json->getValue<bool>("ready")) << ready.body;
  auto checks = ready.json->getArray("checks");
  ASSERT_TRUE(checks) << ready.body;
  ASSERT_EQ(checks->size(), 3U) << ready.body;
  for (std::size_t i = 0; i < checks->size(); ++i)
    EXPECT_TRUE(checks->getObject(static_cast<unsigned>(i))->getValue<bool>("ok")) << ready.body;
  EXPECT_GE(sandbox_->requestCount("token"), 1U);
  // The target check's probe file is gone again.
  EXPECT_FALSE(fs::exists(archive() / "dms-host-readiness-probe.txt"));
}

TEST_F(HealthRoutes, RequestsInQuickSuccessionShareOneRunOfTheChecks) {
  startHost();
  for (int i = 0; i < 5; ++i) EXPECT_EQ(get(host_->port(), "/readyz").status, 200);
  // Anyone may call /readyz: its cost for Ambita must not grow with the request rate.
  EXPECT_EQ(sandbox_->requestCount("products"), 1U);
}

TEST_F(HealthRoutes, WrongCredentialsFailTheTokenCheck) {
  startHost(kWrongPassword);
  const Reply ready = get(host_->port(), "/readyz");
  EXPECT_EQ(ready.status, 503) << ready.body;
  EXPECT_FALSE(ready.json->getValue<bool>("ready"));
  EXPECT_EQ(failedChecks(ready), "token") << ready.body;
  EXPECT_NE(checkError(ready, "token"), "") << ready.body;
  EXPECT_EQ(ready.body.find(kWrongPassword), std::string::npos) << ready.body;
}

TEST_F(HealthRoutes, StoppedApiFailsTheTokenCheck) {
  startHost();
  sandbox_.reset();
  const Reply ready = get(host_->port(), "/readyz");
  EXPECT_EQ(ready.status, 503) << ready.body;
  EXPECT_EQ(failedChecks(ready), "token") << ready.body;
}

TEST_F(HealthRoutes, RemovedTargetFolderFailsTheTargetCheck) {
  startHost();
  fs::remove_all(archive());
  const Reply ready = get(host_->port(), "/readyz");
  EXPECT_EQ(ready.status, 503) << ready.body;
  EXPECT_EQ(failedChecks(ready), "target") << ready.body;
  EXPECT_NE(checkError(ready, "target").find(archive().string()), std::string::npos) << ready.body;
}

TEST_F(HealthRoutes, ReadOnlyTargetFailsTheTargetCheck) {
  const auto reason = dms::faults::TmpfsMount::unavailableReason();
  if (!reason.empty()) GTEST_SKIP() << reason;
  fs::create_directories(archive());
  dms::faults::TmpfsMount mount(archive(), 1 << 20);
  startHost();
  mount.setReadOnly(true);
  const Reply ready = get(host_->port(), "/readyz");
  EXPECT_EQ(ready.status, 503) << ready.body;
  EXPECT_EQ(failedChecks(ready), "target") << ready.body;
  EXPECT_NE(checkError(ready, "target").find("dms-host-readiness-probe.txt"), std::string::npos)
      << ready.body;
}

/// GET /metrics, which must parse as the exposition format.
dms::test::PromExposition scrape(unsigned port) {
  const Reply reply = fetch(port, "GET", "/metrics");
  EXPECT_EQ(reply.status, 200);
  auto parsed = dms::test::parsePrometheusText(reply.body);
  if (!parsed.exposition) {
    ADD_FAILURE() << parsed.error << "\n" << reply.body;
    return {};
  }
  return std::move(*parsed.exposition);
}

double valueOf(const dms::test::PromExposition& e, const std::string& name,
               const dms::test::PromLabels& labels = {}) {
  const auto value = e.value(name, labels);
  EXPECT_TRUE(value.has_value()) << name;
  return value.value_or(-1);
}

TEST_F(HealthRoutes, MetricsParseAndCountAnOrderFiledByTheSandbox) {
  startHost();
  const auto before = scrape(host_->port());
  EXPECT_EQ(valueOf(before, "dms_host_build_info", {{"version", DMS_RELEASE_VERSION}}), 1);
  EXPECT_EQ(valueOf(before, "ambita_files_filed_total"), 0);
  EXPECT_EQ(valueOf(before, "ambita_push_messages_received_total"), 0);
  ASSERT_NE(before.family("ambita_reconcile_duration_seconds"), nullptr);

  sandbox_->setPushUrl("http://127.0.0.1:" + std::to_string(host_->port()) +
                       "/ambita/push?token=health-test-push-secret");
  // The first read of the order fails once with a 502: one 5xx answer, one retry.
  sandbox_->addFault("getOrder", "status", 1, 502);
  const auto order = sandbox_->createDemoOrder();
  sandbox_->setExtraSteps(order, {});
  sandbox_->step(order, 0);

  // Until every push has been answered, the order is FINISHED in the state and nothing is left
  // to do (60 s at most). The sandbox sends its pushes from a thread of its own: one still on
  // its way when the order is FINISHED would reconcile it again after the counts are taken (one
  // more push received, one more API answer). The host answers a push once its inbox holds it,
  // so with none pending, an empty inbox means every push has been worked off.
  bool settled = false;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  do {
    const bool pushesAnswered = sandbox_->pushesPending() == 0;
    const auto seen = scrape(host_->port());
    settled =
        pushesAnswered && seen.value("ambita_orders_tracked", {{"status", "FINISHED"}}) == 1 &&
        seen.value("ambita_push_inbox_depth") == 0 && seen.value("ambita_downloads_in_flight") == 0;
    if (!settled) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  } while (!settled && std::chrono::steady_clock::now() < deadline);
  ASSERT_TRUE(settled) << sandbox_->pushesPending() << " pushes pending";
  // The counts from a scrape after that one: a scrape reads the plugin's counters before the
  // inbox, so the one that found the inbox empty may have read them before the last reconcile
  // counted its files (counted before its commit answers the messages: Reconciler::reconcile).
  const auto after = scrape(host_->port());
  ASSERT_EQ(after.value("ambita_orders_tracked", {{"status", "FINISHED"}}), 1);

  // The counters moved by exactly what the archive shows.
  double files = 0, bytes = 0;
  for (const auto& entry : fs::recursive_directory_iterator(archive()))
    if (entry.is_regular_file()) {
      files += 1;
      bytes += static_cast<double>(entry.file_size());
    }
  ASSERT_GT(files, 0);
  EXPECT_EQ(valueOf(after, "ambita_files_filed_total"), files);
  EXPECT_EQ(valueOf(after, "ambita_filed_bytes_total"), bytes);
  EXPECT_EQ(valueOf(after, "ambita_files_removed_total"), 0);
  EXPECT_EQ(valueOf(after, "ambita_files_failed_total"), 0);
  // Every answer the sandbox gave, by status class, and the one retry of the 502.
  const auto answered = sandboxAnswersByClass();
  for (const char* code : {"2xx", "4xx", "5xx"}) {
    const auto it = answered.find(code);
    EXPECT_EQ(valueOf(after, "ambita_api_responses_total", {{"code", code}}),
              it == answered.end() ? 0 : it->second)
        << code;
  }
  EXPECT_EQ(answered.count("5xx") ? answered.at("5xx") : 0, 1);
  EXPECT_EQ(valueOf(after, "ambita_api_retries_total"), 1);
  EXPECT_GE(valueOf(after, "ambita_reconcile_duration_seconds_count"), 1);
  // Every push the host answered 2xx was received by the plugin, none refused.
  const double pushes = valueOf(after, "ambita_push_messages_received_total");
  EXPECT_GE(pushes, 1);
  EXPECT_EQ(
      valueOf(after, "dms_host_http_requests_total", {{"route", "/ambita/push"}, {"code", "2xx"}}),
      pushes);
  EXPECT_EQ(valueOf(after, "ambita_push_messages_rejected_total", {{"reason", "wrong_token"}}), 0);
  EXPECT_LE(valueOf(after, "ambita_push_messages_coalesced_total"), pushes - 1);

  // One push with a wrong token: exactly one more received, one refused for that reason.
  EXPECT_EQ(fetch(host_->port(), "POST", "/ambita/push?token=wrong", "{}").status, 403);
  const auto refused = scrape(host_->port());
  EXPECT_EQ(valueOf(refused, "ambita_push_messages_received_total"), pushes + 1);
  EXPECT_EQ(valueOf(refused, "ambita_push_messages_rejected_total", {{"reason", "wrong_token"}}),
            1);
  EXPECT_EQ(valueOf(refused, "dms_host_http_requests_total",
                    {{"route", "/ambita/push"}, {"code", "4xx"}}),
            1);
}

}  // namespace
