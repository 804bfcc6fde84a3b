// samples/minimal-host, a third-party host, end to end: the DmsHostSdk component is installed
// into a fresh prefix, the sample is configured and built as a separate CMake project that sees
// only that prefix, and then it files a sandbox order through the real dms-plugin-ambita.so:
// the sandbox pushes to the host's own HTTP server, the plugin files into the host's own
// target, and its event sink prints a "filed" document event for every asset.
#include <Poco/JSON/Object.h>
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

TEST(MinimalHost, BuiltAgainstTheInstalledSdkFilesASandboxOrderEndToEnd) {
  TempDir work("dms-minimal-host");
  const fs::path prefix = work.path() / "prefix", build = work.path() / "build";
  step("install", {DMS_CMAKE, "--install", DMS_BUILD_DIR, "--component", "DmsHostSdk", "--prefix",
                   prefix.string()});
  if (HasFatalFailure()) return;
  step("configure",
       {DMS_CMAKE, "-S", DMS_MINIMAL_HOST_SOURCE, "-B", build.string(), "-G", DMS_GENERATOR,
        "-DCMAKE_CXX_COMPILER=" DMS_CXX_COMPILER, "-DCMAKE_BUILD_TYPE=Release",
        "-DCMAKE_PREFIX_PATH=" + prefix.string(), "-DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF",
        "-DCMAKE_CXX_FLAGS=" DMS_SANITIZE_COMPILE_FLAGS,
        "-DCMAKE_EXE_LINKER_FLAGS=" DMS_SANITIZE_LINK_FLAGS});
  if (HasFatalFailure()) return;
  step("build", {DMS_CMAKE, "--build", build.string()});
  if (HasFatalFailure()) return;

  SandboxProcess sandbox;
  const std::string secret = "minimal-push-secret";
  Poco::JSON::Object section, push;
  section.set("baseUrl", sandbox.baseUrl());
  section.set("clientId", SandboxProcess::kClientId);
  section.set("clientSecret", SandboxProcess::kClientSecret);
  section.set("username", SandboxProcess::kUsername);
  section.set("password", SandboxProcess::kPassword);
  push.set("secret", secret);
  section.set("push", push);
  const fs::path sectionFile = work.path() / "ambita.json", archive = work.path() / "archive";
  std::ofstream(sectionFile) << [&] {
    std::ostringstream text;
    section.stringify(text);
    return text.str();
  }();

  ChildProcess host({(build / "minimal-host").string(), DMS_PLUGIN_MODULE, sectionFile.string(),
                     archive.string(), (work.path() / "data").string()});
  const std::regex listening("listening on http://127\\.0\\.0\\.1:([0-9]+)");
  ASSERT_TRUE(host.waitForOutput(
      [&](const std::string& out) { return std::regex_search(out, listening); }, 30s))
      << host.out() << host.err();
  std::smatch port;
  const std::string out = host.out();
  std::regex_search(out, port, listening);
  sandbox.setPushUrl("http://127.0.0.1:" + port[1].str() + "/ambita/push?token=" + secret);

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

}  // namespace
}  // namespace dms::test
