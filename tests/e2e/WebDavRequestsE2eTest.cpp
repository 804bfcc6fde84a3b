// Issue 15, row 2: filing into WebDAV costs at most 3 requests a new file through the whole
// product (dms-host sync with the real plugin and WebDAV connector into a real Apache mod_dav):
// PUT of the temporary, PROPPATCH of its metadata, MOVE to the final name. Apache's access log
// is the proof; each request is attributed to the file whose name (or temporary) it names.
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/URI.h>

#include "E2eWorld.h"
#include "ExpectedArchive.h"

namespace dms::e2e {
namespace {

/// The collection E2eWorld files into (ApacheServer::createCollection("archive")).
const std::string kArchivePrefix = "/dav/archive/";

/// Asks Apache for `sentinel` (a path that does not exist) and returns its access log up to
/// that request: the host has exited, so every request it made is logged before it.
std::vector<std::string> accessLogAfter(test::ApacheServer& apache, const std::string& sentinel) {
  Poco::Net::HTTPClientSession session("127.0.0.1", static_cast<Poco::UInt16>(apache.port()));
  Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_GET, kArchivePrefix + sentinel,
                                 Poco::Net::HTTPMessage::HTTP_1_1);
  session.sendRequest(request);
  Poco::Net::HTTPResponse response;
  session.receiveResponse(response).ignore(1 << 20);
  // Apache writes the line right after answering; the deadline is only a guard.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  for (;;) {
    std::vector<std::string> lines;
    bool sawSentinel = false;
    std::ifstream in(apache.accessLogFile());
    for (std::string line; std::getline(in, line);) {
      sawSentinel = sawSentinel || line.find(sentinel) != std::string::npos;
      lines.push_back(line);
    }
    if (sawSentinel || std::chrono::steady_clock::now() > deadline) return lines;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

/// The decoded path below the archive collection that a log line's request names ("" if none).
std::string requestedPath(const std::string& line) {
  const auto open = line.find('"');
  const auto close = line.rfind('"');
  if (open == std::string::npos || close <= open) return "";
  const std::string request = line.substr(open + 1, close - open - 1);  // METHOD URI HTTP/1.1
  const auto first = request.find(' ');
  const auto last = request.rfind(' ');
  if (first == std::string::npos || last <= first) return "";
  std::string path;
  Poco::URI::decode(request.substr(first + 1, last - first - 1), path);
  if (path.rfind(kArchivePrefix, 0) != 0) return "";
  return path.substr(kArchivePrefix.size());
}

bool endsWith(const std::string& text, const std::string& tail) {
  return text.size() >= tail.size() &&
         text.compare(text.size() - tail.size(), tail.size(), tail) == 0;
}

/// True when `requested` is the file at `filedPath` or one of its bookkeeping names (its
/// temporary ".dms-tmp-<hex>-NAME" or its sidecar ".dms-meta-NAME.json") in the same folder.
bool concernsFile(const std::string& requested, const std::string& filedPath) {
  if (requested == filedPath) return true;
  const auto slash = filedPath.rfind('/');
  const std::string folder = slash == std::string::npos ? "" : filedPath.substr(0, slash + 1);
  const std::string name = filedPath.substr(folder.size());
  if (requested.rfind(folder, 0) != 0) return false;
  const std::string requestedName = requested.substr(folder.size());
  if (requestedName.find('/') != std::string::npos) return false;
  return (requestedName.rfind(".dms-tmp-", 0) == 0 && endsWith(requestedName, "-" + name)) ||
         requestedName == ".dms-meta-" + name + ".json";
}

TEST(WebDavRequestsE2eTest, ANewFileCostsAtMostThreeRequestsThroughTheWholeProduct) {
  E2eWorld world({TargetKind::WebDavApache, {}, "", 4});
  auto& sandbox = world.sandbox();
  // The first sync settles how the target keeps metadata (the connector checks its first
  // puts' properties once per target and records the mode on the server): not counted.
  const auto first = world.placeOrder("oppdrag-1", "sak-1");
  sandbox.step(first, 0);
  auto settle = world.host({"sync"});
  ASSERT_EQ(settle.exitCode, 0) << settle.out << settle.err;
  const auto before = accessLogAfter(world.apache(), "sentinel-before-the-sync").size();

  const auto second = world.placeOrder("oppdrag-2", "sak-2");
  sandbox.step(second, 0);
  auto sync = world.host({"sync"});
  ASSERT_EQ(sync.exitCode, 0) << sync.out << sync.err;
  const auto log = accessLogAfter(world.apache(), "sentinel-after-the-sync");
  auto problems = archiveDifferences(world.archive(), sandbox, {first, second});
  ASSERT_TRUE(problems.empty()) << describe(problems) << "\n" << sync.out << sync.err;

  std::size_t counted = 0;
  for (const auto& file : world.archive().files()) {
    if (file.metadata.at("ambita.orderId") != std::to_string(second)) continue;
    ++counted;
    std::vector<std::string> mine;
    for (std::size_t i = before; i < log.size(); ++i)
      if (concernsFile(requestedPath(log[i]), file.path)) mine.push_back(log[i]);
    EXPECT_LE(mine.size(), 3u) << file.path << ":\n" << ::testing::PrintToString(mine);
    EXPECT_FALSE(mine.empty()) << file.path << ": no request of it found in the access log";
  }
  EXPECT_GE(counted, 4u) << "files of the second order";
}

}  // namespace
}  // namespace dms::e2e
