// The admin console in a real `dms-host run` (the test plugin, the in-memory connector): served
// on admin.listen over HTTP, the cookie as a browser gets it, the configuration masked; and
// `config check` refusing an admin section nobody could log in to.
#include <gtest/gtest.h>

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
#include <string>
#include <thread>

#include "../HostProcess.h"
#include "admin/PasswordHash.h"
#include "support/Loopback.h"
#include "support/TempDir.h"

namespace {

using dms::test::HostProcess;

const std::string kPassword = "console password 1";
const HostProcess::Env kSecrets{{"DMS_TEST_TOKEN", "tok-3f9a-secret"},
                                {"DMS_TEST_API_KEY", "key-77c1-secret"},
                                {"DMS_ADMIN_TOKEN", "admin-token-5e6f7a8b9c"}};

std::string config(const std::string& admin) {
  return R"({"dataDir": "./state", "modules": ")" + std::string(DMS_TEST_MODULE_DIR) +
         R"(", "target": {"connector": "memory", "label": "shelf", "apiKey": "${DMS_TEST_API_KEY}"},
  "testplugin": {"token": "${DMS_TEST_TOKEN}"}, "http": {"listen": "127.0.0.1:0"},
  "admin": )" +
         admin + "}";
}

struct Reply {
  int status = 0;
  std::string body;
  Poco::Net::HTTPResponse response;
};

Reply request(int port, const std::string& method, const std::string& uri,
              const std::string& body = "", const std::string& cookie = "") {
  Poco::Net::HTTPClientSession session("127.0.0.1", static_cast<Poco::UInt16>(port));
  session.setTimeout(Poco::Timespan(30, 0));
  Poco::Net::HTTPRequest call(method, uri, Poco::Net::HTTPMessage::HTTP_1_1);
  if (!cookie.empty()) call.set("Cookie", cookie);
  if (!body.empty()) {
    call.setContentType("application/json");
    call.setContentLength(static_cast<std::streamsize>(body.size()));
  }
  session.sendRequest(call) << body;
  Reply reply;
  std::istream& in = session.receiveResponse(reply.response);
  reply.status = reply.response.getStatus();
  Poco::StreamCopier::copyToString(in, reply.body);
  return reply;
}

class AdminConsoleProcess : public testing::Test {
 protected:
  void write(const std::string& text) { std::ofstream(dir_.path() / "host.json") << text; }
  dms::test::TempDir dir_{"dms-admin-console"};
};

TEST_F(AdminConsoleProcess, ServesThePageAndTheApiBehindALogin) {
  const int port = dms::test::freeLoopbackPort();
  write(config(R"({"listen": "127.0.0.1:)" + std::to_string(port) + R"(", "users": {"alice": ")" +
               dms::host::admin::PasswordHash::make(kPassword, 1000) +
               R"("}, "token": "${DMS_ADMIN_TOKEN}"})"));
  HostProcess host({"--config", "host.json", "run"}, dir_.path(), kSecrets);
  ASSERT_NE(host.port(), 0U) << host.firstLine();

  const Reply page = request(port, "GET", "/admin/");
  EXPECT_EQ(page.status, 200);
  EXPECT_NE(page.body.find("<script src=\"/admin/admin.js\""), std::string::npos);
  EXPECT_EQ(request(port, "GET", "/admin/api/config").status, 401);
  // The push listener does not serve the console.
  EXPECT_EQ(request(static_cast<int>(host.port()), "GET", "/admin/").status, 404);

  // Bodies are bounded (the API's are small JSON objects).
  EXPECT_EQ(request(port, "POST", "/admin/api/login", std::string(5000, ' ')).status, 413);
  const Reply login = request(port, "POST", "/admin/api/login",
                              R"({"user": "alice", "password": ")" + kPassword + "\"}");
  ASSERT_EQ(login.status, 200) << login.body;
  const std::string setCookie = login.response.get("Set-Cookie");
  EXPECT_NE(setCookie.find("HttpOnly"), std::string::npos) << setCookie;
  const std::string cookie = setCookie.substr(0, setCookie.find(';'));
  const Reply shown = request(port, "GET", "/admin/api/config", "", cookie);
  ASSERT_EQ(shown.status, 200) << shown.body;
  for (const auto& [name, secret] : kSecrets)
    EXPECT_EQ(shown.body.find(secret), std::string::npos) << name << ": " << shown.body;
  Poco::JSON::Parser parser;
  auto json = parser.parse(shown.body).extract<Poco::JSON::Object::Ptr>();
  EXPECT_EQ(json->getObject("admin")->getValue<std::string>("token"), "********");
  EXPECT_EQ(json->getObject("admin")->getObject("users")->getValue<std::string>("alice"),
            "********");
  const Reply modules = request(port, "GET", "/admin/api/modules", "", cookie);
  EXPECT_NE(modules.body.find(R"("name":"testplugin","version":"1.2.3")"), std::string::npos)
      << modules.body;

  const auto stopped = host.stop(SIGTERM);
  EXPECT_EQ(stopped.exitCode, 0) << stopped.err;
  EXPECT_NE(stopped.out.find("dms-host admin console on http://127.0.0.1:" + std::to_string(port) +
                             "/admin/"),
            std::string::npos)
      << stopped.out;
  EXPECT_EQ(stopped.err.find(kPassword), std::string::npos) << stopped.err;
  EXPECT_EQ(stopped.err.find("admin-token-5e6f7a8b9c"), std::string::npos) << stopped.err;
}

// Issue 15, gaps2: SIGTERM waited for a console command in flight (a verify --repair of slow
// downloads) to finish before the plugin was stopped, so shutdown took as long as the command.
// The host now stops the plugin first: its stop() cancels the command, then the host waits.
// The test plugin's `verify` runs until stop() is called (or 20 s pass).
TEST_F(AdminConsoleProcess, SigtermCancelsACommandInFlightInsteadOfWaitingForIt) {
  const int port = dms::test::freeLoopbackPort();
  write(config(R"({"listen": "127.0.0.1:)" + std::to_string(port) +
               R"(", "token": "${DMS_ADMIN_TOKEN}"})"));
  HostProcess host({"--config", "host.json", "run"}, dir_.path(), kSecrets);
  ASSERT_NE(host.port(), 0U) << host.firstLine();
  std::thread verify([&] {
    try {
      Poco::Net::HTTPClientSession session("127.0.0.1", static_cast<Poco::UInt16>(port));
      session.setTimeout(Poco::Timespan(30, 0));
      Poco::Net::HTTPRequest call("POST", "/admin/api/verify", Poco::Net::HTTPMessage::HTTP_1_1);
      call.set("Authorization", "Bearer admin-token-5e6f7a8b9c");
      call.setContentType("application/json");
      call.setContentLength(2);
      session.sendRequest(call) << "{}";
      Poco::Net::HTTPResponse response;
      session.receiveResponse(response);
    } catch (const Poco::Exception&) {  // the host closes the connection when it stops
    }
  });
  const auto found = [&](const std::string& name) {
    for (const auto& entry : std::filesystem::recursive_directory_iterator(dir_.path()))
      if (entry.path().filename() == name) return entry.path();
    return std::filesystem::path();
  };
  for (int i = 0; i < 2000 && found("verify-started").empty(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  ASSERT_FALSE(found("verify-started").empty()) << "the console did not run the command";

  const auto stopped = host.stop(SIGTERM, 60);
  verify.join();
  EXPECT_EQ(stopped.exitCode, 0) << stopped.err;
  std::string ended;
  std::getline(std::ifstream(found("verify-ended")), ended);
  EXPECT_EQ(ended, "cancelled by stop()") << "the host waited for the command before stopping";
  EXPECT_NE(stopped.err.find("audit: token verify -> 500"), std::string::npos) << stopped.err;
}

TEST_F(AdminConsoleProcess, ConfigCheckRefusesAConsoleBeyondLoopbackWithoutCredentials) {
  write(config(R"({"listen": "0.0.0.0:8090"})"));
  const auto result =
      HostProcess::run({"--config", "host.json", "config", "check"}, dir_.path(), kSecrets);
  EXPECT_EQ(result.exitCode, 2) << result.out << result.err;
  EXPECT_NE(result.err.find("error: admin: bound beyond loopback (0.0.0.0:8090) without "
                            "credentials"),
            std::string::npos)
      << result.err;
}

TEST_F(AdminConsoleProcess, WithoutTheSectionNothingListensAndConfigShowHasNoAdmin) {
  write(R"({"dataDir": "./state", "modules": ")" + std::string(DMS_TEST_MODULE_DIR) +
        R"(", "target": {"connector": "memory", "label": "shelf", "apiKey": "${DMS_TEST_API_KEY}"},
  "testplugin": {"token": "${DMS_TEST_TOKEN}"}})");
  const auto shown =
      HostProcess::run({"--config", "host.json", "config", "show"}, dir_.path(), kSecrets);
  EXPECT_EQ(shown.exitCode, 0) << shown.err;
  EXPECT_EQ(shown.out.find("\"admin\""), std::string::npos) << shown.out;
}

}  // namespace
