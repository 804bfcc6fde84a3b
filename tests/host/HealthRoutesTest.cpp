// GET /healthz and /readyz of a real `dms-host run` with the real Ambita plugin, the filesystem
// connector and the sandbox: ready when state, target and token are fine; 503 naming the token
// check when the API is gone or refuses the credentials, naming the target check when the
// target folder is gone or read-only. Each fault is made before the first /readyz, so the
// checks run fresh (a result is served for 10 s) and no test waits for a cache to expire.
#include <gtest/gtest.h>

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "HostProcess.h"
#include "TmpfsMount.h"
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

}  // namespace
