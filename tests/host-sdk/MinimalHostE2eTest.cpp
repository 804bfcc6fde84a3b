// samples/minimal-host, a third-party host, end to end: the DmsHostSdk component is installed
// into a fresh prefix, the sample is configured and built as a separate CMake project that sees
// only that prefix, and then it files a sandbox order through the real dms-plugin-ambita.so:
// the sandbox pushes to the host's own HTTP server, the plugin files into the host's own
// target, and its event sink prints a "filed" document event for every asset.
#include <Poco/JSON/Object.h>
#include <Poco/Net/StreamSocket.h>
#include <gtest/gtest.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <regex>
#include <thread>

#include "support/ChildProcess.h"
#include "support/SandboxProcess.h"
#include "support/TempDir.h"

namespace dms::test {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

/// Runs one build step to completion; fails the test with its output when it fails.
void step(const std::string& what, const std::vector<std::string>& argv) {
  const ChildResult result = ChildProcess::run(argv, {}, {}, 240s);
  ASSERT_EQ(result.exitCode, 0) << what << " failed:\n" << result.out << result.err;
}

/// Sizes of the regular files under `root`, sorted.
std::vector<std::uintmax_t> fileSizes(const fs::path& root) {
  std::vector<std::uintmax_t> sizes;
  std::error_code error;
  for (auto it = fs::recursive_directory_iterator(root, error); !error && it != decltype(it)();
       it.increment(error))
    if (it->is_regular_file()) sizes.push_back(it->file_size());
  std::sort(sizes.begin(), sizes.end());
  return sizes;
}

/// Installs the DmsHostSdk component into `work`/prefix and builds samples/minimal-host there as
/// a separate CMake project that sees only that prefix; returns the executable.
fs::path buildMinimalHost(const fs::path& work) {
  const fs::path prefix = work / "prefix", build = work / "build";
  step("install", {DMS_CMAKE, "--install", DMS_BUILD_DIR, "--component", "DmsHostSdk", "--prefix",
                   prefix.string()});
  if (::testing::Test::HasFatalFailure()) return {};
  step("configure",
       {DMS_CMAKE, "-S", DMS_MINIMAL_HOST_SOURCE, "-B", build.string(), "-G", DMS_GENERATOR,
        "-DCMAKE_CXX_COMPILER=" DMS_CXX_COMPILER, "-DCMAKE_BUILD_TYPE=Release",
        "-DCMAKE_PREFIX_PATH=" + prefix.string(), "-DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF",
        "-DCMAKE_CXX_FLAGS=" DMS_SANITIZE_COMPILE_FLAGS,
        "-DCMAKE_EXE_LINKER_FLAGS=" DMS_SANITIZE_LINK_FLAGS});
  if (::testing::Test::HasFatalFailure()) return {};
  step("build", {DMS_CMAKE, "--build", build.string()});
  return build / "minimal-host";
}

/// Writes the plugin's section for `sandbox` (push secret `secret`, plus `push` options).
fs::path writeSection(const fs::path& work, const SandboxProcess& sandbox,
                      const std::string& secret, Poco::JSON::Object push = Poco::JSON::Object()) {
  Poco::JSON::Object section;
  section.set("baseUrl", sandbox.baseUrl());
  section.set("clientId", SandboxProcess::kClientId);
  section.set("clientSecret", SandboxProcess::kClientSecret);
  section.set("username", SandboxProcess::kUsername);
  section.set("password", SandboxProcess::kPassword);
  push.set("secret", secret);
  section.set("push", push);
  const fs::path sectionFile = work / "ambita.json";
  std::ofstream out(sectionFile);
  section.stringify(out);
  return sectionFile;
}

/// The port `host` listens on, from its "listening" line; 0 if it never printed one.
int listeningPort(ChildProcess& host) {
  const std::regex listening("listening on http://127\\.0\\.0\\.1:([0-9]+)");
  if (!host.waitForOutput([&](const std::string& out) { return std::regex_search(out, listening); },
                          30s))
    return 0;
  std::smatch port;
  const std::string out = host.out();
  std::regex_search(out, port, listening);
  return std::stoi(port[1].str());
}

TEST(MinimalHost, BuiltAgainstTheInstalledSdkFilesASandboxOrderEndToEnd) {
  TempDir work("dms-minimal-host");
  const fs::path executable = buildMinimalHost(work.path());
  if (HasFatalFailure()) return;

  SandboxProcess sandbox;
  const std::string secret = "minimal-push-secret";
  const fs::path sectionFile = writeSection(work.path(), sandbox, secret),
                 archive = work.path() / "archive";
  ChildProcess host({executable.string(), DMS_PLUGIN_MODULE, sectionFile.string(), archive.string(),
                     (work.path() / "data").string()});
  const int port = listeningPort(host);
  ASSERT_NE(port, 0) << host.out() << host.err();
  sandbox.setPushUrl("http://127.0.0.1:" + std::to_string(port) + "/ambita/push?token=" + secret);

  // The supplier delivers the whole order; every step pushes to the host.
  const auto orderId = sandbox.createDemoOrder("minimal-1", "case-1");
  sandbox.setExtraSteps(orderId, {});
  const auto summary = sandbox.step(orderId, 0);
  std::vector<std::uintmax_t> expected;
  const auto assets = summary->getArray("assets");
  ASSERT_TRUE(assets && assets->size() > 0);
  for (std::size_t i = 0; i < assets->size(); ++i)
    expected.push_back(sandbox
                           .control("GET", "/_sandbox/assets/" + assets->getElement<std::string>(
                                                                     static_cast<unsigned>(i)))
                           .extract<Poco::JSON::Object::Ptr>()
                           ->getValue<Poco::UInt64>("size"));
  std::sort(expected.begin(), expected.end());

  const auto deadline = std::chrono::steady_clock::now() + 60s;
  while (fileSizes(archive) != expected && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(100ms);
  EXPECT_EQ(fileSizes(archive), expected) << "host:\n" << host.err();
  EXPECT_TRUE(fs::is_directory(archive / "minimal-1")) << "the order's folder (its reference)";

  // One "filed" event per asset, printed by the host's sink from the plugin's outbox.
  const auto filedEvent = [&](const std::string& printed, const std::string& asset) {
    return printed.find(" filed order " + std::to_string(orderId) + " asset " + asset + " ") !=
           std::string::npos;
  };
  const auto allFiledEvents = [&](const std::string& printed) {
    for (std::size_t i = 0; i < assets->size(); ++i)
      if (!filedEvent(printed, assets->getElement<std::string>(static_cast<unsigned>(i))))
        return false;
    return true;
  };
  EXPECT_TRUE(host.waitForOutput(allFiledEvents, 30s)) << host.out() << host.err();

  const ChildResult stopped = host.stop(SIGTERM, 20s);
  EXPECT_EQ(stopped.exitCode, 0) << stopped.err;
  EXPECT_NE(stopped.out.find("minimal-host stopped"), std::string::npos) << stopped.out;
}

// A push body over the route's limit is answered with 413 as soon as the limit is passed: the
// host never reads (and holds) more than the limit, however long the body the client announces.
TEST(MinimalHost, RefusesAnOversizedPushWithoutReadingTheWholeBody) {
  TempDir work("dms-minimal-host");
  const fs::path executable = buildMinimalHost(work.path());
  if (HasFatalFailure()) return;
  SandboxProcess sandbox;
  const std::size_t limit = 1024;
  Poco::JSON::Object push;
  push.set("maxBytes", limit);
  const fs::path sectionFile = writeSection(work.path(), sandbox, "minimal-push-secret", push);
  ChildProcess host({executable.string(), DMS_PLUGIN_MODULE, sectionFile.string(),
                     (work.path() / "archive").string(), (work.path() / "data").string()});
  const int port = listeningPort(host);
  ASSERT_NE(port, 0) << host.out() << host.err();

  // Announces a gigabyte, sends one byte over the limit, then waits for the answer.
  Poco::Net::StreamSocket client(Poco::Net::SocketAddress("127.0.0.1", std::to_string(port)));
  client.setReceiveTimeout(Poco::Timespan(30, 0));
  const std::string request =
      "POST /ambita/push?token=minimal-push-secret HTTP/1.1\r\nHost: 127.0.0.1\r\n"
      "Content-Type: application/json\r\nContent-Length: 1000000000\r\n\r\n" +
      std::string(limit + 1, 'x');
  client.sendBytes(request.data(), static_cast<int>(request.size()));
  std::string answer(64, '\0');
  int received = 0;
  try {
    received = client.receiveBytes(answer.data(), static_cast<int>(answer.size()));
  } catch (const Poco::TimeoutException&) {
  }
  EXPECT_EQ(answer.substr(0, std::max(received, 0)).rfind("HTTP/1.1 413", 0), 0u)
      << "answer: " << answer.substr(0, std::max(received, 0)) << "\nhost:\n"
      << host.err();
}

// A section file that cannot be read is named in the error, before anything starts.
TEST(MinimalHost, NamesAnUnreadableSectionFile) {
  TempDir work("dms-minimal-host");
  const fs::path executable = buildMinimalHost(work.path());
  if (HasFatalFailure()) return;
  const fs::path missing = work.path() / "no-such-section.json";
  const ChildResult result =
      ChildProcess::run({executable.string(), DMS_PLUGIN_MODULE, missing.string(),
                         (work.path() / "archive").string(), (work.path() / "data").string()},
                        {}, {}, 60s);
  EXPECT_EQ(result.exitCode, 1) << result.err;
  EXPECT_NE(result.err.find("cannot read " + missing.string()), std::string::npos) << result.err;
}

}  // namespace
}  // namespace dms::test
