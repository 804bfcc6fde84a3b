// dms-host as a user runs it: the real binary with the test plugin and the in-memory connector
// (tests/host-sdk/modules), in a fresh working folder per test.
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

#include "HostProcess.h"
#include "support/PrometheusText.h"
#include "support/TempDir.h"

namespace {

using dms::test::HostProcess;

const std::string kModules = DMS_TEST_MODULE_DIR;
const std::string kBadModules = DMS_TEST_BAD_MODULE_DIR;

/// A good configuration for the test modules; tests replace parts of it.
std::string goodConfig(const std::string& modules = kModules,
                       const std::string& listen = "127.0.0.1:0") {
  return R"({
  "dataDir": "./state",
  "modules": ")" +
         modules + R"(",
  "target": {"connector": "memory", "label": "shelf", "apiKey": "${DMS_TEST_API_KEY}"},
  "testplugin": {"token": "${DMS_TEST_TOKEN}", "greeting": "hei", "limits": {"maxItems": 5}},
  "http": {"listen": ")" +
         listen + R"("}
})";
}

/// goodConfig() with more keys of the http section, e.g. R"("requestTimeoutSeconds": 2)".
std::string configWithHttp(const std::string& options) {
  std::string config = goodConfig();
  config.replace(config.find(R"("listen")"), 8, options + R"(, "listen")");
  return config;
}

const HostProcess::Env kSecrets{{"DMS_TEST_TOKEN", "tok-3f9a-secret"},
                                {"DMS_TEST_API_KEY", "key-77c1-secret"}};

class DmsHost : public ::testing::Test {
 protected:
  void writeConfig(const std::string& text, const std::string& name = "host.json") {
    std::ofstream(dir_.path() / name) << text;
  }
  dms::test::HostResult host(const std::vector<std::string>& args,
                             const HostProcess::Env& env = kSecrets) {
    return HostProcess::run(args, dir_.path(), env);
  }
  dms::test::TempDir dir_{"dms-host-test"};
};

std::pair<int, std::string> request(unsigned port, const std::string& method,
                                    const std::string& uri, const std::string& body = "",
                                    const std::map<std::string, std::string>& headers = {}) {
  Poco::Net::HTTPClientSession session("127.0.0.1", static_cast<Poco::UInt16>(port));
  Poco::Net::HTTPRequest req(method, uri, Poco::Net::HTTPMessage::HTTP_1_1);
  for (const auto& [name, value] : headers) req.set(name, value);
  if (!body.empty() || method == "POST")
    req.setContentLength(static_cast<std::streamsize>(body.size()));
  session.sendRequest(req) << body;
  Poco::Net::HTTPResponse response;
  std::istream& in = session.receiveResponse(response);
  std::string text;
  Poco::StreamCopier::copyToString(in, text);
  return {static_cast<int>(response.getStatus()), text};
}

TEST_F(DmsHost, VersionNamesTheInterface) {
  const auto result = host({"--version"});
  EXPECT_EQ(result.exitCode, 0);
  EXPECT_NE(result.out.find("dms-host "), std::string::npos);
  EXPECT_NE(result.out.find("host-sdk interface 1"), std::string::npos) << result.out;
}

TEST_F(DmsHost, HelpListsBuiltinsAndThePluginsCommands) {
  auto result = host({"--help"});
  EXPECT_EQ(result.exitCode, 0);
  for (const auto* builtin : {"modules", "config check", "config show", "run"})
    EXPECT_NE(result.out.find(builtin), std::string::npos) << builtin;
  writeConfig(goodConfig());
  result = host({"--config", "host.json", "--help"});
  EXPECT_EQ(result.exitCode, 0) << result.err;
  EXPECT_NE(result.out.find("greet [NAME]"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("put-file PATH TEXT"), std::string::npos) << result.out;
  EXPECT_EQ(host({}).exitCode, 2);
  EXPECT_EQ(host({"--bogus"}).exitCode, 2);
}

TEST_F(DmsHost, ConfigCheckAcceptsAGoodConfiguration) {
  writeConfig(goodConfig());
  const auto result = host({"--config", "host.json", "config", "check"});
  EXPECT_EQ(result.exitCode, 0) << result.err;
  EXPECT_EQ(result.out, "configuration OK\n");
}

TEST_F(DmsHost, ConfigCheckNamesEveryProblemByKeyPath) {
  writeConfig(R"({
  "dataDir": 42,
  "modules": ")" +
              kModules + R"(",
  "target": {"connector": "memory", "lable": "x"},
  "testplugin": {"token": "${DMS_TEST_TOKEN}", "greeting": 42, "limits": {"maxItems": "many"},
                 "tags": ["a", 7], "labels": {"k": false}, "enabled": "yes"},
  "http": {"listen": "localhost"},
  "surprise": true
})");
  const auto result = host({"--config", "host.json", "config", "check"});
  EXPECT_EQ(result.exitCode, 2);
  for (const auto* expected : {
           "error: dataDir: expected a string, got 42",
           "error: target.lable: unknown key (did you mean 'target.label'?)",
           "error: testplugin.greeting: expected a string, got 42",
           "error: testplugin.limits.maxItems: expected an integer, got \"many\"",
           "error: testplugin.tags[1]: expected a string, got 7",
           "error: testplugin.labels.k: expected a string, got false",
           "error: testplugin.enabled: expected a boolean, got \"yes\"",
           "error: http.listen: expected \"host:port\"",
           "error: surprise: unknown key",
       })
    EXPECT_NE(result.err.find(expected), std::string::npos) << expected << "\n" << result.err;
  EXPECT_EQ(result.out.find("configuration OK"), std::string::npos);
}

TEST_F(DmsHost, ConfigCheckReportsMissingRequiredKeysAndSectionsOfWrongType) {
  writeConfig(R"({"modules": ")" + kModules + R"(", "target": {"connector": "memory"},
                 "testplugin": {"limits": 3}})");
  const auto result = host({"--config", "host.json", "config", "check"});
  EXPECT_EQ(result.exitCode, 2);
  EXPECT_NE(result.err.find("error: dataDir: required option is missing"), std::string::npos)
      << result.err;
  EXPECT_NE(result.err.find("error: testplugin.token: required option is missing"),
            std::string::npos)
      << result.err;
  EXPECT_NE(result.err.find("error: testplugin.limits: expected an object, got 3"),
            std::string::npos)
      << result.err;
}

TEST_F(DmsHost, UnsetEnvironmentVariableNamesKeyAndVariable) {
  writeConfig(goodConfig());
  const auto result = host({"--config", "host.json", "config", "check"},
                           {{"DMS_TEST_API_KEY", "k-value"}});  // DMS_TEST_TOKEN unset
  EXPECT_EQ(result.exitCode, 2);
  EXPECT_NE(
      result.err.find("error: testplugin.token: environment variable DMS_TEST_TOKEN is not set"),
      std::string::npos)
      << result.err;
}

TEST_F(DmsHost, EnvironmentReferencesAreExpandedWholeAndEmbedded) {
  writeConfig(R"({
  "dataDir": "./${DMS_TEST_SUB}-state",
  "modules": ")" +
              kModules + R"(",
  "target": {"connector": "memory", "label": "${DMS_TEST_SUB}/${DMS_TEST_SUB}"},
  "testplugin": {"token": "${DMS_TEST_TOKEN}"}
})");
  auto env = kSecrets;
  env["DMS_TEST_SUB"] = "blue";
  const auto result = host({"--config", "host.json", "describe"}, env);
  EXPECT_EQ(result.exitCode, 0) << result.err;
  EXPECT_NE(result.out.find("target: memory:blue/blue recovered=0"), std::string::npos)
      << result.out;
  EXPECT_TRUE(std::filesystem::is_directory(dir_.path() / "blue-state" / "testplugin"));
  EXPECT_TRUE(std::filesystem::is_directory(dir_.path() / "blue-state" / "target"));
}

// recover() deletes every temporary it finds, and the host cannot know whether another process
// (`dms-host run`) has a put in flight on the same storage: only the plugin, under its own
// exclusive lock, may call it. A plugin command run by the host must not trigger it.
TEST_F(DmsHost, PluginCommandsNeverRecoverTheTarget) {
  writeConfig(goodConfig());
  const auto result = host({"--config", "host.json", "describe"}, kSecrets);
  EXPECT_EQ(result.exitCode, 0) << result.err;
  EXPECT_NE(result.out.find("target: memory:shelf recovered=0"), std::string::npos) << result.out;
}

TEST_F(DmsHost, MissingOrMalformedConfigurationIsAClearError) {
  auto result = host({"--config", "nope.json", "config", "check"});
  EXPECT_EQ(result.exitCode, 2);
  EXPECT_NE(result.err.find("configuration file 'nope.json' not found"), std::string::npos)
      << result.err;
  writeConfig("{\n  \"dataDir\": \"x\",\n  \"target\": {,}\n}\n");
  result = host({"--config", "host.json", "config", "check"});
  EXPECT_EQ(result.exitCode, 2);
  EXPECT_NE(result.err.find("is not valid JSON near line 3, column 14"), std::string::npos)
      << result.err;
  EXPECT_EQ(host({"config", "check"}).exitCode, 2);  // no --config at all
}

TEST_F(DmsHost, MissingOrRefusedModulesAreConfigurationErrors) {
  writeConfig(R"({"dataDir": "d", "modules": ")" + kModules +
              R"(", "target": {"connector": "tape"}, "testplugin": {"token": "t"}})");
  auto result = host({"--config", "host.json", "config", "check"});
  EXPECT_EQ(result.exitCode, 2);
  EXPECT_NE(result.err.find("error: target.connector: connector 'tape' cannot be used"),
            std::string::npos)
      << result.err;
  EXPECT_NE(result.err.find("file not found"), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("warning: testplugin.token: secret shorter than 4 characters"),
            std::string::npos)
      << result.err;

  writeConfig(R"({"dataDir": "d", "modules": ")" + kBadModules +
              R"(", "plugin": "v99", "target": {"connector": "memory"}})");
  result = host({"--config", "host.json", "config", "check"});
  EXPECT_EQ(result.exitCode, 2);
  EXPECT_NE(
      result.err.find("built for host-sdk interface 99.0, this host supports 1.1: update the host"),
      std::string::npos)
      << result.err;
}

TEST_F(DmsHost, ConfigShowAppliesDefaultsAndMasksSecrets) {
  writeConfig(goodConfig());
  const auto result = host({"--config", "host.json", "config", "show"});
  EXPECT_EQ(result.exitCode, 0) << result.err;
  EXPECT_EQ(result.out.find("tok-3f9a-secret"), std::string::npos) << result.out;
  EXPECT_EQ(result.out.find("key-77c1-secret"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("\"token\": \"********\""), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("\"apiKey\": \"********\""), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("\"ratio\": 0.5"), std::string::npos) << result.out;  // a default
  EXPECT_NE(result.out.find("\"maxItems\": 5"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("\"dataDir\": \"" + (dir_.path() / "state").string() + "\""),
            std::string::npos)
      << result.out;
}

// Document events (issue 10): events.webhook is checked, and its secret masked like any other.
TEST_F(DmsHost, EventsWebhookIsCheckedAndItsSecretMasked) {
  std::string text = goodConfig();
  const std::string events =
      R"("events": {"webhook": {"url": "http://127.0.0.1:9/hook", "secret": "${DMS_HOOK}"},
                    "file": "events.jsonl"},
  "http":)";
  text.replace(text.find("\"http\":"), 7, events);
  writeConfig(text);
  auto env = kSecrets;
  env["DMS_HOOK"] = "hook-5b1e-secret";
  auto shown = host({"--config", "host.json", "config", "show"}, env);
  EXPECT_EQ(shown.exitCode, 0) << shown.err;
  EXPECT_EQ(shown.out.find("hook-5b1e-secret"), std::string::npos) << shown.out;
  EXPECT_NE(shown.out.find("\"secret\": \"********\""), std::string::npos) << shown.out;
  EXPECT_NE(shown.out.find("\"timeoutSeconds\": 10"), std::string::npos) << shown.out;

  std::string noSecret = text;
  noSecret.replace(noSecret.find(R"(, "secret": "${DMS_HOOK}")"), 25, "");
  writeConfig(noSecret);
  auto checked = host({"--config", "host.json", "config", "check"}, env);
  EXPECT_EQ(checked.exitCode, 2) << checked.err;
  EXPECT_NE(checked.err.find("error: events.webhook.secret: required with events.webhook.url"),
            std::string::npos)
      << checked.err;

  std::string badUrl = text;
  badUrl.replace(badUrl.find("http://127.0.0.1:9/hook"), 23, "ftp://x/hook");
  writeConfig(badUrl);
  checked = host({"--config", "host.json", "config", "check"}, env);
  EXPECT_EQ(checked.exitCode, 2) << checked.err;
  EXPECT_NE(checked.err.find("error: events.webhook.url: expected an http:// or https:// URL"),
            std::string::npos)
      << checked.err;
}

TEST_F(DmsHost, SecretWrittenInTheFileIsAWarningNotAnError) {
  std::string text = goodConfig();
  text.replace(text.find("${DMS_TEST_TOKEN}"), 17, "literal-token");
  writeConfig(text);
  const auto result = host({"--config", "host.json", "config", "check"});
  EXPECT_EQ(result.exitCode, 0) << result.err;
  EXPECT_NE(result.err.find("warning: testplugin.token: secret written in the file itself"),
            std::string::npos)
      << result.err;
  EXPECT_EQ(result.err.find("literal-token"), std::string::npos);
}

TEST_F(DmsHost, ModulesListsDescriptorsAndRefusals) {
  // A modules folder with the good modules, one built for interface 99 and a plain library.
  const auto modules = dir_.path() / "modules";
  std::filesystem::create_directory(modules);
  for (const auto* name : {"dms-plugin-testplugin.so", "dms-connector-memory.so"})
    std::filesystem::copy_file(std::filesystem::path(kModules) / name, modules / name);
  for (const auto* name : {"dms-plugin-v99.so", "dms-plugin-plain.so"})
    std::filesystem::copy_file(std::filesystem::path(kBadModules) / name, modules / name);
  writeConfig(goodConfig(modules.string()));

  const auto marker = dir_.path() / "markers";
  std::filesystem::create_directory(marker);
  auto env = kSecrets;
  env["DMS_TEST_MARKER_DIR"] = marker.string();
  const auto result = host({"--config", "host.json", "modules"}, env);
  EXPECT_EQ(result.exitCode, 1) << "some modules are refused";
  EXPECT_NE(result.out.find("plugin 'testplugin' version 1.2.3, interface 1"), std::string::npos)
      << result.out;
  EXPECT_NE(result.out.find("connector 'memory' version 0.0.1"), std::string::npos);
  EXPECT_NE(result.out.find("REFUSED (IncompatibleVersion)"), std::string::npos);
  EXPECT_NE(
      result.out.find("built for host-sdk interface 99.0, this host supports 1.1: update the host"),
      std::string::npos);
  EXPECT_NE(result.out.find("REFUSED (NotAModule)"), std::string::npos);
  EXPECT_TRUE(std::filesystem::is_empty(marker)) << "no factory of a refused module was called";

  // Without --config: the default folder beside the binary (build/modules) is scanned.
  const auto defaults = host({"modules"});
  EXPECT_NE(defaults.out.find("modules in " +
                              (std::filesystem::path(DMS_BUILD_DIR) / "modules").string()),
            std::string::npos)
      << defaults.out << defaults.err;
}

TEST_F(DmsHost, PluginCommandsRunWithTheirExitCodes) {
  writeConfig(goodConfig());
  auto result = host({"--config", "host.json", "greet", "Kari"});
  EXPECT_EQ(result.exitCode, 0) << result.err;
  EXPECT_EQ(result.out, "hei, Kari\n");
  result = host({"--config", "host.json", "put-file", "a.txt", "hello"});
  EXPECT_EQ(result.exitCode, 0) << result.err;
  EXPECT_EQ(result.out, "stored a.txt (5 bytes)\n");
  EXPECT_EQ(host({"--config", "host.json", "fail"}).exitCode, 1);
  EXPECT_EQ(host({"--config", "host.json", "put-file"}).exitCode, 2);
  result = host({"--config", "host.json", "frobnicate"});
  EXPECT_EQ(result.exitCode, 2);
  EXPECT_NE(result.err.find("unknown command 'frobnicate'"), std::string::npos);
}

TEST_F(DmsHost, PluginFactoryRefusalFailsConfigCheck) {
  std::string text = goodConfig();
  text.replace(text.find("\"hei\""), 5, "\"refuse\"");
  writeConfig(text);
  const auto result = host({"--config", "host.json", "config", "check"});
  EXPECT_EQ(result.exitCode, 2);
  EXPECT_NE(result.err.find("testplugin.greeting: 'refuse' is refused by the plugin"),
            std::string::npos)
      << result.err;
}

/// A raw TCP client of the host, from a chosen loopback address (all of 127/8 is loopback on
/// Linux), for requests no well-behaved client library would send.
class RawClient {
 public:
  /// `receiveBuffer` > 0: the socket's receive buffer (set before connecting, so that the
  /// window the host sees stays that small).
  RawClient(const std::string& from, unsigned port, int receiveBuffer = 0)
      : from_(from), fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
    if (receiveBuffer > 0)
      ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &receiveBuffer, sizeof receiveBuffer);
    sockaddr_in local{};
    local.sin_family = AF_INET;
    ::inet_pton(AF_INET, from.c_str(), &local.sin_addr);
    sockaddr_in server{};
    server.sin_family = AF_INET;
    server.sin_port = htons(static_cast<std::uint16_t>(port));
    ::inet_pton(AF_INET, "127.0.0.1", &server.sin_addr);
    connected_ = fd_ >= 0 && ::bind(fd_, reinterpret_cast<sockaddr*>(&local), sizeof local) == 0 &&
                 ::connect(fd_, reinterpret_cast<sockaddr*>(&server), sizeof server) == 0;
  }
  ~RawClient() {
    if (fd_ >= 0) ::close(fd_);
  }
  RawClient(const RawClient&) = delete;
  RawClient& operator=(const RawClient&) = delete;

  bool connected() const { return connected_; }
  const std::string& from() const { return from_; }
  /// Without waiting: whether the host closed or reset the connection (what it sent is dropped).
  bool closedByHost() {
    char buffer[512];
    ssize_t n = 0;
    while ((n = ::recv(fd_, buffer, sizeof buffer, MSG_DONTWAIT)) > 0) {
    }
    return n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK);
  }
  /// False once the host closed or reset the connection.
  bool send(const std::string& bytes) {
    return ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL) ==
           static_cast<ssize_t>(bytes.size());
  }
  /// Sends `bytes` again and again until the connection would block (or `most` times); how many
  /// went out whole.
  int sendUntilFull(const std::string& bytes, int most) {
    int sent = 0;
    while (sent < most && ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL | MSG_DONTWAIT) ==
                              static_cast<ssize_t>(bytes.size()))
      ++sent;
    return sent;
  }
  /// Whatever arrives within `timeout`, until the host closes; `closed` tells whether it did.
  std::string receive(std::chrono::milliseconds timeout, bool& closed) {
    std::string text;
    closed = false;
    const auto until = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < until) {
      pollfd ready{fd_, POLLIN, 0};
      if (::poll(&ready, 1, 50) <= 0) continue;
      char buffer[512];
      const ssize_t n = ::recv(fd_, buffer, sizeof buffer, 0);
      if (n <= 0) {
        closed = true;
        break;
      }
      text.append(buffer, static_cast<std::size_t>(n));
    }
    return text;
  }

 private:
  std::string from_;
  int fd_;
  bool connected_ = false;
};

/// Clients that started a request and send one more header byte every `interval` until
/// destroyed: each would hold a worker thread for as long as it likes if the host let it.
class SlowClients {
 public:
  SlowClients(const std::vector<std::string>& addresses, unsigned port,
              std::chrono::milliseconds interval) {
    for (const auto& address : addresses) {
      clients_.push_back(std::make_unique<RawClient>(address, port));
      clients_.back()->send("POST /test/echo HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ");
    }
    dripper_ = std::thread([this, interval] {
      while (!done_) {
        for (auto& client : clients_) client->send("a");
        for (auto slept = std::chrono::milliseconds(0); slept < interval && !done_;
             slept += std::chrono::milliseconds(50))
          std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
    });
  }
  ~SlowClients() {
    done_ = true;
    dripper_.join();
  }
  std::size_t connected() const {
    return static_cast<std::size_t>(std::count_if(
        clients_.begin(), clients_.end(), [](const auto& client) { return client->connected(); }));
  }

 private:
  std::vector<std::unique_ptr<RawClient>> clients_;
  std::atomic<bool> done_{false};
  std::thread dripper_;
};

/// `each` idle connections from every one of `addresses`, each reopened as soon as the host
/// closes it (as an attacker would): within each address's cap they could hold every worker and
/// fill the queue.
class IdleHolders {
 public:
  IdleHolders(const std::vector<std::string>& addresses, std::size_t each, unsigned port) {
    for (const auto& address : addresses)
      for (std::size_t i = 0; i < each; ++i)
        held_.push_back(std::make_unique<RawClient>(address, port));
    reopener_ = std::thread([this, port] {
      while (!done_) {
        for (auto& client : held_)
          if (client->closedByHost()) client = std::make_unique<RawClient>(client->from(), port);
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
    });
  }
  ~IdleHolders() {
    done_ = true;
    reopener_.join();
  }
  IdleHolders(const IdleHolders&) = delete;
  IdleHolders& operator=(const IdleHolders&) = delete;

 private:
  std::vector<std::unique_ptr<RawClient>> held_;
  std::atomic<bool> done_{false};
  std::thread reopener_;
};

/// Whether the host's log `err` has `full` (a refusal logged in full, the first of its minute),
/// or counts a refusal of `kind` in a minute's summary: the listener logs the first refusal (or
/// closed connection) of a minute in full and counts the rest by kind (dms::http::RefusalLog).
bool loggedOrCounted(const std::string& err, const std::string& full, const std::string& kind) {
  if (err.find(full) != std::string::npos) return true;
  std::istringstream lines(err);
  for (std::string line; std::getline(lines, line);)
    if (line.find(" in that minute (") != std::string::npos &&
        line.find(" " + kind) != std::string::npos)
      return true;
  return false;
}

/// GET /healthz from 127.0.0.1 on a new connection: its answer, or what came within `timeout`.
std::string probeHealth(unsigned port, std::chrono::milliseconds timeout) {
  RawClient probe("127.0.0.1", port);
  probe.send("GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  bool closed = false;
  return probe.receive(timeout, closed);
}

TEST_F(DmsHost, RunAnswersPromptlyWhileSlowClientsHoldConnections) {
  writeConfig(goodConfig());
  HostProcess process({"--config", "host.json", "run"}, dir_.path(), kSecrets);
  ASSERT_NE(process.port(), 0u) << process.firstLine();
  // Ten from one address (over the default cap of 8 per address) and four from others: more
  // slow clients than the 8 workers the host used to have.
  std::vector<std::string> addresses(10, "127.0.0.2");
  for (const std::string other : {"127.0.0.3", "127.0.0.4", "127.0.0.5", "127.0.0.6"})
    addresses.push_back(other);
  SlowClients slow(addresses, process.port(), std::chrono::seconds(1));
  ASSERT_EQ(slow.connected(), addresses.size());
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // let the host take them up

  const auto start = std::chrono::steady_clock::now();
  Poco::Net::HTTPClientSession session("127.0.0.1", static_cast<Poco::UInt16>(process.port()));
  session.setTimeout(Poco::Timespan(20, 0));
  Poco::Net::HTTPRequest req("POST", "/test/echo", Poco::Net::HTTPMessage::HTTP_1_1);
  req.setContentLength(4);
  session.sendRequest(req) << "ping";
  Poco::Net::HTTPResponse response;
  std::string text;
  Poco::StreamCopier::copyToString(session.receiveResponse(response), text);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(text, "ping");
  EXPECT_LT(seconds, 5.0) << "a valid request waited behind slow clients";

  const auto result = process.stop(SIGTERM);
  EXPECT_EQ(result.exitCode, 0) << result.err;
  EXPECT_NE(result.err.find("refused a connection from 127.0.0.2"), std::string::npos)
      << result.err;
}

TEST_F(DmsHost, RunClosesAConnectionThatTricklesPastTheRequestDeadline) {
  writeConfig(configWithHttp(R"("requestTimeoutSeconds": 2, "maxConnectionsPerAddress": 2)"));
  HostProcess process({"--config", "host.json", "run"}, dir_.path(), kSecrets);
  ASSERT_NE(process.port(), 0u) << process.firstLine();

  RawClient client("127.0.0.7", process.port());
  ASSERT_TRUE(client.connected());
  client.send("POST /test/echo HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ");
  // One byte every 200 ms: far below any per-read timeout, never a whole request.
  const auto start = std::chrono::steady_clock::now();
  bool closed = false;
  while (!closed && std::chrono::steady_clock::now() - start < std::chrono::seconds(12)) {
    client.receive(std::chrono::milliseconds(200), closed);
    if (!closed && !client.send("a")) closed = true;
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_TRUE(closed) << "the host still reads a request that began 12 s ago";
  EXPECT_LT(seconds, 8.0);

  // The cap: a third connection from one address is answered 503 at once.
  RawClient first("127.0.0.8", process.port());
  RawClient second("127.0.0.8", process.port());
  first.send("POST /test/echo HTTP/1.1\r\n");
  second.send("POST /test/echo HTTP/1.1\r\n");
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  RawClient third("127.0.0.8", process.port());
  third.send("POST /test/echo HTTP/1.1\r\n");
  const std::string answer = third.receive(std::chrono::seconds(3), closed);
  EXPECT_TRUE(answer.starts_with("HTTP/1.1 503")) << answer;

  const auto result = process.stop(SIGTERM);
  EXPECT_EQ(result.exitCode, 0) << result.err;
  EXPECT_NE(result.err.find("closed a connection from 127.0.0.7: no whole request within 2000 ms"),
            std::string::npos)
      << result.err;
}

// Ambita's pushes may come from few addresses over many connections (issue 15, branch
// pushack): the per-address cap goes above the listener's 16 workers, which grow with it, a
// quarter of them left to other addresses; a value out of range is refused by name.
TEST_F(DmsHost, RunServesAsManyConnectionsFromOneAddressAsConfigured) {
  constexpr int kCap = 20;
  std::string config = goodConfig();
  config.replace(config.find(R"("listen")"), 8,
                 R"("maxConnectionsPerAddress": )" + std::to_string(kCap) + R"(, "listen")");
  writeConfig(config);
  HostProcess process({"--config", "host.json", "run"}, dir_.path(), kSecrets);
  ASSERT_NE(process.port(), 0u) << process.firstLine();

  // kCap connections from one address, each holding a worker with a request still arriving.
  std::vector<std::unique_ptr<RawClient>> held;
  for (int i = 0; i < kCap; ++i) {
    held.push_back(std::make_unique<RawClient>("127.0.0.9", process.port()));
    ASSERT_TRUE(held.back()->connected());
    held.back()->send("POST /test/echo HTTP/1.1\r\n");
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // let the host take them up
  bool closed = false;
  for (auto& client : held) {
    EXPECT_EQ(client->receive(std::chrono::milliseconds(50), closed), "");
    EXPECT_FALSE(closed) << "a connection within the cap was refused";
  }
  RawClient beyond("127.0.0.9", process.port());
  beyond.send("POST /test/echo HTTP/1.1\r\n");
  const std::string refused = beyond.receive(std::chrono::seconds(3), closed);
  EXPECT_TRUE(refused.starts_with("HTTP/1.1 503")) << refused;
  // Another address is still served at once.
  RawClient other("127.0.0.10", process.port());
  other.send("POST /test/echo HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\nping");
  const std::string echoed = other.receive(std::chrono::seconds(1), closed);
  EXPECT_TRUE(echoed.starts_with("HTTP/1.1 200")) << echoed;
  held.clear();
  EXPECT_EQ(process.stop(SIGTERM).exitCode, 0);

  for (const char* bad : {"0", "65"}) {
    std::string wrong = goodConfig();
    wrong.replace(wrong.find(R"("listen")"), 8,
                  std::string(R"("maxConnectionsPerAddress": )") + bad + R"(, "listen")");
    writeConfig(wrong);
    const auto checked = host({"--config", "host.json", "config", "check"});
    EXPECT_EQ(checked.exitCode, 2);
    EXPECT_NE(checked.err.find(std::string("error: http.maxConnectionsPerAddress: expected 1 to "
                                           "64, got ") +
                               bad),
              std::string::npos)
        << checked.err;
  }
}

// A client that never reads its answers (pipelining requests until its window and the host's
// send buffer are full) blocked the worker's write with no deadline at all: a few addresses held
// every worker for as long as they kept their connections open.
TEST_F(DmsHost, RunClosesAConnectionThatDoesNotTakeItsAnswers) {
  writeConfig(configWithHttp(R"("requestTimeoutSeconds": 1, "maxConnectionsPerAddress": 1)"));
  HostProcess process({"--config", "host.json", "run"}, dir_.path(), kSecrets);
  ASSERT_NE(process.port(), 0u) << process.firstLine();

  // Answers of 3 x 4096 + 1 bytes: Poco writes them in buffers of 4096, all but the last byte
  // while the route answers, so that a write blocked by a full window is (all but surely) one
  // made while answering. The answer's length less the query's, from one answer read whole.
  const auto inspect = [](std::size_t length) {
    return "GET /test/inspect?q=" + std::string(length, 'a') + " HTTP/1.1\r\nHost: x\r\n\r\n";
  };
  RawClient probe("127.0.0.1", process.port());
  probe.send(inspect(10'000));
  bool closed = false;
  const std::size_t probeAnswer = probe.receive(std::chrono::milliseconds(500), closed).size();
  ASSERT_GT(probeAnswer, 10'000u);
  const std::string request = inspect(3 * 4096 + 1 - (probeAnswer - 10'000));
  RawClient greedy("127.0.0.11", process.port(), 2048);
  ASSERT_TRUE(greedy.connected());
  // Enough answers to fill the host's send buffer and the client's small window several times.
  int sent = 0;
  for (const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(2);
       sent < 1000 && std::chrono::steady_clock::now() < until;
       std::this_thread::sleep_for(std::chrono::milliseconds(20)))
    sent += greedy.sendUntilFull(request, 1000 - sent);
  ASSERT_GT(sent, 300) << "too few requests to fill the host's send buffer";
  // The only connection 127.0.0.11 may have: while the host still writes to `greedy`, another
  // one from that address is answered 503.
  std::this_thread::sleep_for(std::chrono::seconds(2));
  RawClient next("127.0.0.11", process.port());
  next.send("POST /test/echo HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\nping");
  const std::string answer = next.receive(std::chrono::seconds(1), closed);
  EXPECT_TRUE(answer.starts_with("HTTP/1.1 200")) << answer.substr(0, 200);

  const auto result = process.stop(SIGTERM);
  EXPECT_EQ(result.exitCode, 0) << result.err;
  // The probe's keep-alive connection, closed at its deadline too, may be the minute's first.
  EXPECT_TRUE(loggedOrCounted(
      result.err, "closed a connection from 127.0.0.11: the answer was not taken within 1000 ms",
      "not taking their answer in time"))
      << result.err;
}

// Two addresses, each within its cap, reopening idle connections as fast as the host closed
// them held every worker and filled the queue: /healthz from anyone else went unanswered for as
// long as they kept it up (the listener review's finding 4). The cap counts connections waiting
// for a worker too, and while others wait an idle connection keeps its worker only a second.
TEST_F(DmsHost, RunAnswersProbesWhileTwoAddressesHoldIdleConnections) {
  writeConfig(goodConfig());
  HostProcess process({"--config", "host.json", "run"}, dir_.path(), kSecrets);
  ASSERT_NE(process.port(), 0u) << process.firstLine();
  // 80: the 16 workers and the 64 places in the queue.
  IdleHolders idle({"127.0.2.1", "127.0.2.2"}, 40, process.port());
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));  // past the idle ones' grace

  for (int probe = 0; probe < 4; ++probe) {
    const auto start = std::chrono::steady_clock::now();
    const std::string answer = probeHealth(process.port(), std::chrono::seconds(2));
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    EXPECT_TRUE(answer.starts_with("HTTP/1.1 200"))
        << "probe " << probe << " after " << seconds << " s: " << answer.substr(0, 100);
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
  }

  const auto result = process.stop(SIGTERM);
  EXPECT_EQ(result.exitCode, 0) << result.err;
  EXPECT_NE(result.err.find("refused a connection from 127.0.2.1: 8 connections from that "
                            "address are open"),
            std::string::npos)
      << result.err.substr(0, 2000);
  EXPECT_NE(result.err.find("no whole request within 1000 ms while every worker was busy"),
            std::string::npos)
      << result.err.substr(0, 2000);
}

// Every worker busy is not pressure by itself: with nobody waiting for a worker, clients that
// send their requests slowly keep the whole request deadline (10 s) and are answered.
TEST_F(DmsHost, RunServesSlowClientsOnEveryWorkerWhileNobodyWaits) {
  writeConfig(goodConfig());
  HostProcess process({"--config", "host.json", "run"}, dir_.path(), kSecrets);
  ASSERT_NE(process.port(), 0u) << process.firstLine();
  std::vector<std::unique_ptr<RawClient>> slow;
  for (int i = 0; i < 16; ++i) {  // every worker, 8 from each address
    slow.push_back(std::make_unique<RawClient>(i < 8 ? "127.0.3.1" : "127.0.3.2", process.port()));
    ASSERT_TRUE(slow.back()->connected());
    slow.back()->send("POST /test/echo HTTP/1.1\r\nHost: x\r\nX-Slow: ");
  }
  // One header byte from each every 250 ms for 2.5 s: far past the pressure grace of 1 s.
  for (int tick = 0; tick < 10; ++tick) {
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
    for (auto& client : slow) client->send("a");
  }
  for (auto& client : slow) client->send("\r\nConnection: close\r\nContent-Length: 4\r\n\r\nping");
  for (auto& client : slow) {
    bool closed = false;
    const std::string answer = client->receive(std::chrono::seconds(2), closed);
    EXPECT_TRUE(answer.starts_with("HTTP/1.1 200")) << client->from() << ": " << answer;
    EXPECT_TRUE(answer.ends_with("ping")) << answer;
  }
  const auto result = process.stop(SIGTERM);
  EXPECT_EQ(result.exitCode, 0) << result.err;
  EXPECT_EQ(result.err.find("closed a connection"), std::string::npos) << result.err;
}

// The cap is counted from accept to the end of a connection, and the queue is never handed more
// than it takes (Poco would drop a connection silently, and a count it never released would lock
// its address out for ever): with every worker and the queue full, one more connection is
// answered 503, and once they end every address is served up to its cap again.
TEST_F(DmsHost, RunReleasesEveryCountOnceConnectionsEndEvenWithTheQueueFull) {
  writeConfig(goodConfig());
  HostProcess process({"--config", "host.json", "run"}, dir_.path(), kSecrets);
  ASSERT_NE(process.port(), 0u) << process.firstLine();
  std::vector<std::string> addresses;
  for (int i = 1; i <= 11; ++i) addresses.push_back("127.0.4." + std::to_string(i));
  {
    // 10 addresses x 8: the 16 workers and the 64 places in the queue, kept full.
    IdleHolders idle({addresses.begin(), addresses.begin() + 10}, 8, process.port());
    std::string refused;
    for (const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(5);
         !refused.starts_with("HTTP/1.1 503") && std::chrono::steady_clock::now() < until;) {
      RawClient beyond(addresses[10], process.port());
      beyond.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
      bool closed = false;
      refused = beyond.receive(std::chrono::milliseconds(300), closed);
    }
    EXPECT_TRUE(refused.starts_with("HTTP/1.1 503")) << refused;
  }
  std::this_thread::sleep_for(std::chrono::seconds(1));  // the host sees them end
  for (const auto& address : addresses) {
    std::vector<std::unique_ptr<RawClient>> clients;
    for (int i = 0; i < 8; ++i) {
      clients.push_back(std::make_unique<RawClient>(address, process.port()));
      clients.back()->send(
          "POST /test/echo HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: "
          "4\r\n\r\nping");
    }
    for (auto& client : clients) {
      bool closed = false;
      const std::string answer = client->receive(std::chrono::seconds(2), closed);
      EXPECT_TRUE(answer.starts_with("HTTP/1.1 200")) << address << ": " << answer;
    }
  }
  // After the burst, stop() is prompt: Poco's idle dispatcher threads wait 1 s at the most.
  const auto stopping = std::chrono::steady_clock::now();
  const auto result = process.stop(SIGTERM);
  EXPECT_LT(std::chrono::steady_clock::now() - stopping, std::chrono::seconds(4));
  EXPECT_EQ(result.exitCode, 0) << result.err;
  // Connections the holders reopen are refused too; the minute's first may be one of theirs.
  EXPECT_TRUE(loggedOrCounted(result.err,
                              "every worker is busy and 64 connections wait for one (further "
                              "connections refused this minute are counted, not logged)",
                              "with the queue full"))
      << result.err.substr(0, 2000);
}

// A body the host does not read (404, 405) must not be taken for the next request of the
// connection: a client, or a proxy in front that reuses connections, could smuggle one in.
TEST_F(DmsHost, RunNeverTakesAnUnreadBodyForTheNextRequest) {
  writeConfig(goodConfig());
  HostProcess process({"--config", "host.json", "run"}, dir_.path(), kSecrets);
  ASSERT_NE(process.port(), 0u) << process.firstLine();
  const std::string smuggled = "GET /healthz HTTP/1.1\r\nHost: y\r\n\r\n";
  const std::string length = std::to_string(smuggled.size());
  std::ostringstream hex;
  hex << std::hex << smuggled.size();
  const std::string hexLength = hex.str();
  for (const std::string& head :
       {"POST /nothing/here HTTP/1.1\r\nHost: x\r\nContent-Length: " + length + "\r\n\r\n",
        "GET /test/echo HTTP/1.1\r\nHost: x\r\nContent-Length: " + length + "\r\n\r\n",
        "POST /nothing/here HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" + hexLength +
            "\r\n"}) {
    RawClient client("127.0.0.1", process.port());
    ASSERT_TRUE(client.connected());
    client.send(head + smuggled);
    bool closed = false;
    const std::string answer = client.receive(std::chrono::seconds(2), closed);
    EXPECT_TRUE(answer.starts_with("HTTP/1.1 40")) << answer;
    EXPECT_EQ(answer.find("alive"), std::string::npos) << "the body was served as a request:\n"
                                                       << answer;
    EXPECT_TRUE(closed) << head;
  }
  // A request without a body keeps its connection.
  RawClient client("127.0.0.1", process.port());
  client.send("GET /nothing/here HTTP/1.1\r\nHost: x\r\n\r\n" + smuggled);
  bool closed = false;
  const std::string answers = client.receive(std::chrono::seconds(1), closed);
  EXPECT_NE(answers.find("alive"), std::string::npos) << answers;
  EXPECT_FALSE(closed);
  EXPECT_EQ(process.stop(SIGTERM).exitCode, 0);
}

TEST_F(DmsHost, RunLogsRemoteTextWithControlCharactersEscaped) {
  writeConfig(goodConfig());
  HostProcess process({"--config", "host.json", "--verbose", "run"}, dir_.path(), kSecrets);
  ASSERT_NE(process.port(), 0u) << process.firstLine();
  RawClient client("127.0.0.1", process.port());
  ASSERT_TRUE(client.connected());
  client.send("GET /order/12\x1b[2J\x1b]0;pwned\x07 HTTP/1.1\r\nHost: x\r\n\r\n");
  bool closed = false;
  EXPECT_TRUE(client.receive(std::chrono::seconds(2), closed).starts_with("HTTP/1.1 404"));

  const auto result = process.stop(SIGTERM);
  EXPECT_EQ(result.exitCode, 0) << result.err;
  EXPECT_NE(result.err.find("GET /order/12\\x1b[2J\\x1b]0;pwned\\x07 -> 404"), std::string::npos)
      << result.err;
  EXPECT_EQ(result.err.find('\x1b'), std::string::npos) << "a raw ESC reached the log";
}

TEST_F(DmsHost, RunServesRoutesAndStopsOnSigterm) {
  writeConfig(goodConfig());
  HostProcess process({"--config", "host.json", "--verbose", "run"}, dir_.path(), kSecrets);
  ASSERT_NE(process.port(), 0u) << process.firstLine();

  auto [status, body] = request(process.port(), "POST", "/test/echo", "ping");
  EXPECT_EQ(status, 200);
  EXPECT_EQ(body, "ping");
  std::tie(status, body) = request(process.port(), "GET", "/test/inspect?token=q-5e1d-secret", "",
                                   {{"X-Test", "Value"}});
  EXPECT_EQ(status, 200);
  EXPECT_EQ(body, R"({"path":"/test/inspect","query":"token=q-5e1d-secret","xTest":"Value"})");
  EXPECT_EQ(request(process.port(), "GET", "/test/echo").first, 405);
  EXPECT_EQ(request(process.port(), "GET", "/nothing/here").first, 404);
  EXPECT_EQ(request(process.port(), "POST", "/test/echo", std::string(33, 'x')).first, 413);
  EXPECT_EQ(request(process.port(), "POST", "/test/echo", std::string(32, 'x')).first, 200);

  const auto result = process.stop(SIGTERM);
  EXPECT_EQ(result.exitCode, 0) << result.err;
  EXPECT_TRUE(std::filesystem::exists(dir_.path() / "state" / "testplugin" / "stopped"))
      << "plugin->stop() was called";
  // The plugin logged its token; the host masked it. The query string is never logged.
  EXPECT_NE(result.err.find("token is ********"), std::string::npos) << result.err;
  EXPECT_EQ(result.err.find("tok-3f9a-secret"), std::string::npos) << result.err;
  EXPECT_EQ(result.err.find("q-5e1d-secret"), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("GET /test/inspect -> 200"), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("received SIGTERM"), std::string::npos) << result.err;
  // One line per message with time, level and source.
  EXPECT_NE(result.err.find("Z DEBUG [http] POST /test/echo -> 200"), std::string::npos)
      << result.err;
}

TEST_F(DmsHost, RunRefusesAChunkedBodyOverTheLimit) {
  writeConfig(goodConfig());
  HostProcess process({"--config", "host.json", "run"}, dir_.path(), kSecrets);
  ASSERT_NE(process.port(), 0u) << process.firstLine();
  for (const std::size_t size : {std::size_t{32}, std::size_t{100}}) {
    Poco::Net::HTTPClientSession session("127.0.0.1", static_cast<Poco::UInt16>(process.port()));
    Poco::Net::HTTPRequest req("POST", "/test/echo", Poco::Net::HTTPMessage::HTTP_1_1);
    req.setChunkedTransferEncoding(true);
    session.sendRequest(req) << std::string(size, 'c');
    Poco::Net::HTTPResponse response;
    std::string text;
    Poco::StreamCopier::copyToString(session.receiveResponse(response), text);
    EXPECT_EQ(response.getStatus(), size <= 32 ? 200 : 413) << size;
  }
  EXPECT_EQ(process.stop(SIGTERM).exitCode, 0);
}

// Any client can open connections beyond its address's cap, or send bodies over a route's
// limit, in a loop: each refusal was logged on a line of its own, so one client filled the log
// (and the disk under it) without bound. The first of a minute is logged in full and the rest
// counted; stopping logs the counts held back.
TEST_F(DmsHost, RunLogsAFloodOfRefusalsBounded) {
  writeConfig(configWithHttp(R"("maxConnectionsPerAddress": 1)"));
  HostProcess process({"--config", "host.json", "run"}, dir_.path(), kSecrets);
  ASSERT_NE(process.port(), 0u) << process.firstLine();
  RawClient held("127.0.5.1", process.port());
  ASSERT_TRUE(held.connected());
  held.send("POST /test/echo HTTP/1.1\r\n");
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // let the host take it up
  int refused = 0;
  for (int i = 0; i < 200; ++i) {
    RawClient beyond("127.0.5.1", process.port());
    bool closed = false;
    refused += beyond.receive(std::chrono::seconds(2), closed).starts_with("HTTP/1.1 503") ? 1 : 0;
  }
  EXPECT_EQ(refused, 200);
  int tooLarge = 0;  // each from an address of its own: the cap of 1 must not refuse them
  for (int i = 1; i <= 20; ++i) {
    RawClient client("127.0.6." + std::to_string(i), process.port());
    client.send("POST /test/echo HTTP/1.1\r\nHost: x\r\nContent-Length: 33\r\n\r\n" +
                std::string(33, 'x'));
    bool closed = false;
    tooLarge += client.receive(std::chrono::seconds(2), closed).starts_with("HTTP/1.1 413") ? 1 : 0;
  }
  EXPECT_EQ(tooLarge, 20);

  const auto result = process.stop(SIGTERM);
  EXPECT_EQ(result.exitCode, 0) << result.err;
  const auto linesWith = [&](const std::string& text) {
    std::size_t n = 0;
    std::istringstream lines(result.err);
    for (std::string line; std::getline(lines, line);) n += line.find(text) != std::string::npos;
    return n;
  };
  EXPECT_EQ(linesWith("refused a connection from 127.0.5.1"), 1u) << result.err.substr(0, 3000);
  EXPECT_EQ(linesWith("199 more connections refused in that minute (199 over their address's "
                      "cap; not logged one by one)"),
            1u)
      << result.err.substr(0, 3000);
  EXPECT_EQ(linesWith("POST /test/echo -> 413"), 1u) << result.err.substr(0, 3000);
  EXPECT_EQ(linesWith("19 more requests refused in that minute (19 answered 413; not logged one "
                      "by one)"),
            1u)
      << result.err.substr(0, 3000);
  EXPECT_LE(linesWith("[http]"), 4u) << result.err.substr(0, 3000);
}

TEST_F(DmsHost, RunStopsPromptlyWithAnIdleKeepAliveConnectionOpen) {
  writeConfig(goodConfig());
  HostProcess process({"--config", "host.json", "run"}, dir_.path(), kSecrets);
  ASSERT_NE(process.port(), 0u) << process.firstLine();
  Poco::Net::HTTPClientSession session("127.0.0.1", static_cast<Poco::UInt16>(process.port()));
  session.setKeepAlive(true);
  Poco::Net::HTTPRequest req("POST", "/test/echo", Poco::Net::HTTPMessage::HTTP_1_1);
  req.setKeepAlive(true);
  req.setContentLength(2);
  session.sendRequest(req) << "hi";
  Poco::Net::HTTPResponse response;
  std::string text;
  Poco::StreamCopier::copyToString(session.receiveResponse(response), text);
  ASSERT_EQ(text, "hi");
  // The connection stays open and idle; the host must not wait for the client to close it.
  const auto start = std::chrono::steady_clock::now();
  const auto result = process.stop(SIGTERM, 10);
  const auto seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(result.exitCode, 0) << result.err;
  EXPECT_LT(seconds, 5.0) << "stop waited for the idle connection";
}

TEST_F(DmsHost, RunStopsOnSigintToo) {
  writeConfig(goodConfig());
  HostProcess process({"--config", "host.json", "run"}, dir_.path(), kSecrets);
  ASSERT_NE(process.port(), 0u) << process.firstLine();
  const auto result = process.stop(SIGINT);
  EXPECT_EQ(result.exitCode, 0) << result.err;
  EXPECT_NE(result.err.find("received SIGINT"), std::string::npos) << result.err;
  EXPECT_EQ(result.err.find("DEBUG"), std::string::npos) << "no debug lines without --verbose";
}

TEST_F(DmsHost, RunRefusesAPortInUse) {
  writeConfig(goodConfig());
  HostProcess first({"--config", "host.json", "run"}, dir_.path(), kSecrets);
  ASSERT_NE(first.port(), 0u);
  writeConfig(goodConfig(kModules, "127.0.0.1:" + std::to_string(first.port())), "second.json");
  const auto second = host({"--config", "second.json", "run"});
  EXPECT_EQ(second.exitCode, 1);
  EXPECT_NE(
      second.err.find("http.listen: cannot listen on 127.0.0.1:" + std::to_string(first.port())),
      std::string::npos)
      << second.err;
  EXPECT_EQ(first.stop(SIGTERM).exitCode, 0);
}

}  // namespace

namespace {

/// The families named in an exposition (the names after "# TYPE "), in order.
std::vector<std::string> typedFamilies(const std::string& text) {
  std::vector<std::string> names;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);)
    if (line.rfind("# TYPE ", 0) == 0) names.push_back(line.substr(7, line.find(' ', 7) - 7));
  return names;
}

TEST_F(DmsHost, MetricsServeTheHostsFamiliesThenThePlugins) {
  writeConfig(goodConfig());
  HostProcess process({"--config", "host.json", "run"}, dir_.path(), kSecrets);
  ASSERT_NE(process.port(), 0u) << process.firstLine();
  EXPECT_EQ(request(process.port(), "GET", "/nowhere").first, 404);
  ASSERT_EQ(request(process.port(), "POST", "/test/echo", "hi").first, 200);
  const auto [status, text] = request(process.port(), "GET", "/metrics");
  ASSERT_EQ(status, 200) << text;
  const auto parsed = dms::test::parsePrometheusText(text);
  ASSERT_TRUE(parsed.exposition) << parsed.error << "\n" << text;
  EXPECT_EQ(typedFamilies(text),
            (std::vector<std::string>{"dms_host_build_info", "dms_host_http_requests_total",
                                      "testplugin_greetings_total"}));
  const auto& e = *parsed.exposition;
  EXPECT_EQ(e.value("dms_host_http_requests_total", {{"route", "/test/echo"}, {"code", "2xx"}}), 1);
  // A path of no route is counted as "other": unknown paths cannot grow the table.
  EXPECT_EQ(e.value("dms_host_http_requests_total", {{"route", "other"}, {"code", "4xx"}}), 1);
  EXPECT_EQ(process.stop(SIGTERM).exitCode, 0);
}

TEST_F(DmsHost, MetricsOfAPluginOfTheOlderMinorAreTheHostsOnly) {
  // A plugin built for the previous interface minor has no metricsText(): it still loads and
  // runs, and /metrics answers with the host's families.
  writeConfig(R"({"dataDir": "./state", "modules": ")" + std::string(DMS_TEST_OLDER_MODULE_DIR) +
              R"(", "target": {"connector": "memoryold"}, "testplugin": {"token": "t"},
               "http": {"listen": "127.0.0.1:0"}})");
  HostProcess process({"--config", "host.json", "run"}, dir_.path(), kSecrets);
  ASSERT_NE(process.port(), 0u) << process.firstLine();
  const auto [status, text] = request(process.port(), "GET", "/metrics");
  ASSERT_EQ(status, 200) << text;
  const auto parsed = dms::test::parsePrometheusText(text);
  ASSERT_TRUE(parsed.exposition) << parsed.error << "\n" << text;
  EXPECT_EQ(typedFamilies(text),
            (std::vector<std::string>{"dms_host_build_info", "dms_host_http_requests_total"}));
  EXPECT_EQ(process.stop(SIGTERM).exitCode, 0);
}

}  // namespace
