// Behaviour Apache will not show on demand, against a scripted loopback server: retries on
// 503/423/429 (Retry-After), final errors that are not retried, same-origin redirects keeping
// method, body and headers, cross-origin redirects refused, and a MOVE whose answer timed out
// (the destination is checked instead of repeating the MOVE), a MKCOL refused with 403
// because someone else created the collection meanwhile, and a remove() or move() cut between
// its file's request and its sidecar's on a server that lists no dot names (nginx), and a
// recover() that cannot finish such a record, a prune whose lock token the server takes only
// untagged; a PUT whose body the server takes too slowly (cut by the low-speed limit) or
// slowly above it (never cut), with a length or chunked.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "ScriptedDavServer.h"
#include "WebDavTestHelpers.h"
#include "dms/webdav/WebDavOptions.h"
#include "support/TempDir.h"
#include "support/TestStream.h"

namespace dms::test {
namespace {

using namespace std::chrono_literals;
using Poco::Net::HTTPResponse;
using Poco::Net::HTTPServerResponse;

void answer(HTTPServerResponse& response, int status, const std::string& body = "",
            const std::vector<std::pair<std::string, std::string>>& headers = {}) {
  response.setStatusAndReason(static_cast<HTTPResponse::HTTPStatus>(status),
                              status == 207 ? "Multi-Status" : "");
  for (const auto& [name, value] : headers) response.set(name, value);
  response.setContentLength64(static_cast<Poco::Int64>(body.size()));
  response.send() << body;
}

std::unique_ptr<webdav::WebDavTarget> targetFor(const ScriptedDavServer& server, Logger& logger,
                                                const std::string& extra = "",
                                                const std::string& dataDir = "") {
  std::string json = "{\"url\": \"" + server.origin() +
                     "/dav/\", \"retries\": 4, \"retryDelayMs\": 10, \"timeoutSeconds\": 5";
  if (!extra.empty()) json += ", " + extra;
  json += "}";
  auto options = webdav::WebDavOptions::parse(json);
  if (!options) throw std::runtime_error(options.error().describe());
  auto target = webdav::WebDavTarget::create(*options, logger, dataDir);
  if (!target) throw std::runtime_error(target.error().describe());
  return std::move(*target);
}

TEST(WebDavScripted, RetriesUnavailableLockedAndRateLimitedThenSucceeds) {
  ScriptedDavServer server([](std::size_t index, const RecordedRequest&, HTTPServerResponse& r) {
    if (index == 0) return answer(r, 503);
    if (index == 1) return answer(r, 423);
    if (index == 2) return answer(r, 429, "", {{"Retry-After", "0"}});
    answer(r, 207, multistatusFor("/dav/f", false, 5));
  });
  CapturingLogger logger;
  auto target = targetFor(server, logger);
  auto stat = target->stat("f");
  ASSERT_TRUE(stat) << stat.error().describe();
  EXPECT_EQ(stat->size, 5u);
  EXPECT_EQ(server.requests().size(), 4u);
  EXPECT_NE(logger.text().find("answered 503"), std::string::npos) << logger.text();
  EXPECT_NE(logger.text().find("answered 423"), std::string::npos);
  EXPECT_NE(logger.text().find("answered 429"), std::string::npos);
}

TEST(WebDavScripted, GivesUpAfterTheConfiguredRetriesWithTheRightKind) {
  ScriptedDavServer server([](std::size_t, const RecordedRequest&, HTTPServerResponse& r) {
    answer(r, 429, "", {{"Retry-After", "0"}});
  });
  CapturingLogger logger;
  auto target = targetFor(server, logger, "\"retries\": 2");
  auto stat = target->stat("f");
  ASSERT_FALSE(stat);
  EXPECT_EQ(stat.error().code, ErrorCode::RateLimited);
  EXPECT_EQ(server.requests().size(), 3u);
}

TEST(WebDavScripted, FinalErrorsAreClearAndNotRetried) {
  for (auto [status, code] : {std::pair{507, ErrorCode::InsufficientStorage},
                              {403, ErrorCode::PermissionDenied},
                              {401, ErrorCode::Unauthenticated}}) {
    ScriptedDavServer server([status](std::size_t, const RecordedRequest&, HTTPServerResponse& r) {
      answer(r, status);
    });
    CapturingLogger logger;
    auto target = targetFor(server, logger);
    auto result = target->ensureFolder("a");
    ASSERT_FALSE(result) << status;
    EXPECT_EQ(result.error().code, code) << result.error().describe();
    EXPECT_NE(result.error().message.find(std::to_string(status)), std::string::npos);
    // A 403 to a PROPFIND is looked at once more (lighttpd answers 403 for a path below a
    // file), never repeated as such.
    EXPECT_EQ(server.requests().size(), status == 403 ? 2u : 1u) << status;
  }
}

// Apache answers MKCOL with 403 when another client created the collection between our
// PROPFIND and our MKCOL. The folder is then there: look again instead of failing.
TEST(WebDavScripted, MkcolForbiddenBecauseCreatedMeanwhileIsSuccess) {
  std::atomic<bool> created{false};
  ScriptedDavServer server([&](std::size_t, const RecordedRequest& request, HTTPServerResponse& r) {
    std::string path = request.uri;
    if (path.size() > 1 && path.back() == '/') path.pop_back();
    if (request.method == "PROPFIND" && path == "/dav/a" && created)
      return answer(r, 207, multistatusFor("/dav/a/", true));
    if (request.method == "PROPFIND") return answer(r, 404);
    if (request.method == "MKCOL" && path == "/dav/a") {
      created = true;  // "someone else" made it first
      return answer(r, 403);
    }
    if (request.method == "MKCOL" && path == "/dav/a/b") return answer(r, 201);
    answer(r, 500);
  });
  CapturingLogger logger;
  auto target = targetFor(server, logger);
  auto made = target->ensureFolder("a/b");
  ASSERT_TRUE(made) << made.error().describe();
  const auto requests = server.requests();
  std::vector<std::string> seen;
  for (const auto& request : requests) seen.push_back(request.method + " " + request.uri);
  ASSERT_EQ(seen.size(), 4u) << testing::PrintToString(seen);
  EXPECT_EQ(requests[1].method, "MKCOL");
  EXPECT_EQ(requests[2].method, "PROPFIND");
  EXPECT_EQ(requests[2].headers.at("depth"), "0");
  EXPECT_EQ(requests[3].method, "MKCOL");
  EXPECT_NE(requests[3].uri.find("/dav/a/b"), std::string::npos);
}

TEST(WebDavScripted, MkcolForbiddenWithNothingThereStaysPermissionDenied) {
  ScriptedDavServer server([](std::size_t, const RecordedRequest& request, HTTPServerResponse& r) {
    answer(r, request.method == "MKCOL" ? 403 : 404);
  });
  CapturingLogger logger;
  auto target = targetFor(server, logger);
  auto made = target->ensureFolder("a");
  ASSERT_FALSE(made);
  EXPECT_EQ(made.error().code, ErrorCode::PermissionDenied) << made.error().describe();
  EXPECT_NE(made.error().message.find("MKCOL"), std::string::npos) << made.error().message;
  EXPECT_NE(made.error().message.find("403"), std::string::npos) << made.error().message;
  const auto requests = server.requests();
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_EQ(requests[1].method, "MKCOL");
  EXPECT_EQ(requests[2].method, "PROPFIND") << "checked again before giving up";
}

TEST(WebDavScripted, SameOriginRedirectKeepsMethodBodyAndHeaders) {
  ScriptedDavServer server([](std::size_t, const RecordedRequest& request, HTTPServerResponse& r) {
    if (request.uri.rfind("/dav/", 0) == 0)
      return answer(r, 307, "", {{"Location", "/moved" + request.uri}});
    answer(r, 207, multistatusFor("/dav/f", false, 3));
  });
  CapturingLogger logger;
  auto target = targetFor(server, logger, "\"bearerToken\": \"tok-123\"");
  auto stat = target->stat("f");
  ASSERT_TRUE(stat) << stat.error().describe();
  auto requests = server.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[1].method, "PROPFIND");
  EXPECT_EQ(requests[1].uri, "/moved/dav/f");
  EXPECT_EQ(requests[1].body, requests[0].body);
  EXPECT_FALSE(requests[1].body.empty());
  EXPECT_EQ(requests[1].headers["depth"], "0");
  EXPECT_EQ(requests[1].headers["authorization"], "Bearer tok-123");
  EXPECT_EQ(logger.text().find("tok-123"), std::string::npos);
}

TEST(WebDavScripted, RedirectedStreamedPutResendsTheWholeBody) {
  const std::string content(300000, 'x');
  std::atomic<bool> moved{false};
  std::atomic<std::size_t> redirectedPutSize{0};
  ScriptedDavServer server([&](std::size_t, const RecordedRequest& request, HTTPServerResponse& r) {
    const bool isTemp = request.uri.find(".dms-tmp-") != std::string::npos;
    if (request.method == "PROPFIND") {
      if (request.uri == "/dav/" || request.uri == "/dav")
        return answer(r, 207, multistatusFor("/dav/", true));
      if (isTemp && !moved)
        return answer(r, 207, multistatusFor(request.uri, false, content.size()));
      return answer(r, 404);
    }
    if (request.method == "PUT" && request.uri.rfind("/dav/", 0) == 0)
      return answer(r, 308, "", {{"Location", "/store" + request.uri}});
    if (request.method == "PUT") {
      redirectedPutSize = request.body.size();
      return answer(r, 201);
    }
    if (request.method == "MOVE") {
      moved = true;
      return answer(r, 201);
    }
    answer(r, 500);
  });
  CapturingLogger logger;
  auto target = targetFor(server, logger);
  std::istringstream in(content);
  auto put = target->put("a.bin", in, {}, PutMode::CreateNew);
  ASSERT_TRUE(put) << put.error().describe();
  EXPECT_EQ(redirectedPutSize.load(), content.size());
}

TEST(WebDavScripted, CrossOriginRedirectIsRefused) {
  ScriptedDavServer server([](std::size_t, const RecordedRequest& request, HTTPServerResponse& r) {
    answer(r, 302, "", {{"Location", "http://elsewhere.invalid" + request.uri}});
  });
  CapturingLogger logger;
  auto target = targetFor(server, logger);
  auto stat = target->stat("f");
  ASSERT_FALSE(stat);
  EXPECT_EQ(stat.error().code, ErrorCode::PermissionDenied);
  EXPECT_NE(stat.error().message.find("elsewhere.invalid"), std::string::npos);
  EXPECT_EQ(server.requests().size(), 1u);
}

/// The server of a put of 5 bytes into /dav/ whose MOVE `move` answers (setting `moved` when it
/// carries the MOVE out): PROPFINDs find the file at the temporary or the final name by `moved`.
ScriptedDavServer::Script putOfFiveBytes(std::atomic<bool>& moved,
                                         std::function<void(HTTPServerResponse&)> move) {
  return [&moved, move](std::size_t, const RecordedRequest& request, HTTPServerResponse& r) {
    const bool isTemp = request.uri.find(".dms-tmp-") != std::string::npos;
    if (request.method == "PROPFIND") {
      if (request.uri == "/dav/" || request.uri == "/dav")
        return answer(r, 207, multistatusFor("/dav/", true));
      if (isTemp)
        return moved ? answer(r, 404) : answer(r, 207, multistatusFor(request.uri, false, 5));
      return moved ? answer(r, 207, multistatusFor(request.uri, false, 5)) : answer(r, 404);
    }
    if (request.method == "PUT") return answer(r, 201);
    if (request.method == "MOVE") return move(r);
    if (request.method == "DELETE") return answer(r, moved ? 404 : 204);
    answer(r, 500);
  };
}

TEST(WebDavScripted, TimedOutMoveChecksTheDestinationInsteadOfRepeating) {
  const std::string content = "hello";
  std::atomic<bool> moved{false};
  std::atomic<int> moves{0};
  ScriptedDavServer server(putOfFiveBytes(moved, [&](HTTPServerResponse& r) {
    ++moves;
    moved = true;  // done, but the answer comes too late
    std::this_thread::sleep_for(std::chrono::milliseconds(1600));
    answer(r, 201);
  }));
  CapturingLogger logger;
  auto target = targetFor(server, logger, "\"timeoutSeconds\": 1");
  std::istringstream in(content);
  auto put = target->put("a.txt", in, {}, PutMode::CreateNew);
  ASSERT_TRUE(put) << put.error().describe() << "\n" << logger.text();
  EXPECT_EQ(moves.load(), 1);
  EXPECT_NE(logger.text().find("the move had happened"), std::string::npos) << logger.text();
}

// A MOVE whose answer was lost, with its source still there, is tried again after a pause of
// its own (initialBackoffMs times the attempt). That pause slept on regardless of cancel(): a
// stopping host waited out up to a minute per attempt. It ends at once now.
TEST(WebDavScripted, CancelEndsThePauseBeforeALostMoveIsTriedAgain) {
  std::atomic<int> propfindsAfterMove{0};
  ScriptedDavServer server([&](std::size_t, const RecordedRequest& request, HTTPServerResponse& r) {
    if (request.method == "PROPFIND") {
      if (request.uri.find(".dms-tmp-") != std::string::npos) {
        ++propfindsAfterMove;  // the source is still there: the MOVE will be tried again
        return answer(r, 207, multistatusFor(request.uri, false, 5));
      }
      if (request.uri == "/dav/" || request.uri == "/dav")
        return answer(r, 207, multistatusFor("/dav/", true));
      return answer(r, 404);
    }
    if (request.method == "MOVE") {
      std::this_thread::sleep_for(std::chrono::milliseconds(1300));  // past the read timeout
      return answer(r, 201);
    }
    answer(r, request.method == "PUT" ? 201 : 204);
  });
  CapturingLogger logger;
  auto options = webdav::WebDavOptions::parse(
      R"({"url": ")" + server.origin() +
      R"(/dav/", "readTimeoutSeconds": 1, "maxAttempts": 3, "initialBackoffMs": 60000})");
  ASSERT_TRUE(options) << options.error().describe();
  auto created = webdav::WebDavTarget::create(*options, logger);
  ASSERT_TRUE(created) << created.error().describe();
  auto& target = **created;
  auto put = std::async(std::launch::async, [&] {
    std::istringstream in("hello");
    return target.put("a.txt", in, {}, PutMode::CreateNew);
  });
  const auto giveUp = std::chrono::steady_clock::now() + 10s;
  while (propfindsAfterMove == 0 && std::chrono::steady_clock::now() < giveUp)
    std::this_thread::sleep_for(5ms);
  std::this_thread::sleep_for(200ms);  // now in the minute's pause
  target.cancel();
  ASSERT_EQ(put.wait_for(5s), std::future_status::ready)
      << "put() still pausing 5 s after cancel()";
  auto result = put.get();
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, ErrorCode::Cancelled) << result.error().describe();
}

/// The server of one put into /dav/ that reads the PUT's body at `pace`: PROPFINDs find the
/// file at the temporary name once its PUT came whole, at the final name once moved.
struct PacedPutServer {
  explicit PacedPutServer(ScriptedDavServer::BodyPace pace)
      : server(
            [this](std::size_t, const RecordedRequest& request, HTTPServerResponse& r) {
              const bool isTemp = request.uri.find(".dms-tmp-") != std::string::npos;
              if (request.method == "PROPFIND") {
                if (request.uri == "/dav/" || request.uri == "/dav")
                  return answer(r, 207, multistatusFor("/dav/", true));
                if (isTemp ? stored && !moved : moved.load())
                  return answer(r, 207, multistatusFor(request.uri, false, storedSize));
                return answer(r, 404);
              }
              if (request.method == "PUT") {
                storedSize = request.body.size();
                stored = true;
                return answer(r, 201);
              }
              if (request.method == "MOVE") {
                moved = true;
                return answer(r, 201);
              }
              if (request.method == "DELETE") return answer(r, 204);
              answer(r, 500);
            },
            pace) {}
  std::atomic<bool> stored{false};
  std::atomic<bool> moved{false};
  std::atomic<std::size_t> storedSize{0};
  ScriptedDavServer server;  ///< last: stopped before the members its script uses
};

std::unique_ptr<webdav::WebDavTarget> oneAttemptTarget(const ScriptedDavServer& server,
                                                       Logger& logger) {
  auto options = webdav::WebDavOptions::parse(
      R"({"url": ")" + server.origin() + R"(/dav/", "readTimeoutSeconds": 1, "maxAttempts": 1})");
  if (!options) throw std::runtime_error(options.error().describe());
  auto target = webdav::WebDavTarget::create(*options, logger);
  if (!target) throw std::runtime_error(target.error().describe());
  return std::move(*target);
}

/// How an upload goes: with its Content-Length (a content stream that can seek), or chunked (one
/// that cannot tell its length, as a download passed through).
enum class Upload { Sized, Chunked };

/// Makes `content` (a pattern: it cannot seek unless told) go `how`.
void makeContent(TestStream& content, Upload how) {
  if (how == Upload::Sized) content.seekable();
}

/// A put() of 8 MiB (more than the sockets' buffers take) into a server that takes 160 bytes a
/// second: it must fail as timed out by the request body's low-speed limit, within 6 s.
void expectAPutReadBelowTheSpeedLimitTimesOut(Upload how) {
  PacedPutServer paced({16, 100ms, 4s});  // 160 bytes a second; gives up after 4 s
  CapturingLogger logger;
  auto target = oneAttemptTarget(paced.server, logger);
  auto content = TestStream::pattern(8 << 20);
  makeContent(content, how);
  auto put = std::async(std::launch::async, [&] {
    std::istream in(&content);
    return target->put("big.bin", in, {}, PutMode::CreateNew);
  });
  const bool ended = put.wait_for(6s) == std::future_status::ready;
  if (!ended) target->cancel();
  ASSERT_TRUE(ended) << "put() still sending 6 s in (read timeout 1 s)";
  auto result = put.get();
  ASSERT_FALSE(result) << "an upload the server never took whole was taken";
  EXPECT_NE(result.error().message.find("timed out"), std::string::npos)
      << result.error().describe();
  EXPECT_NE(result.error().message.find(
                "the server accepted the request body slower than 1024 bytes per 1 s "
                "(readTimeoutSeconds)"),
            std::string::npos)
      << result.error().describe();
  EXPECT_FALSE(paced.stored);
  EXPECT_FALSE(paced.moved) << "a file was put in place";
}

/// A put() of 320 KiB into a server that takes 160 KiB a second, 160 times the limit (and often
/// enough for loopback's 64 KiB segments: the server's window opens in steps of one): more than
/// one read timeout in sends and after them, and it must succeed.
void expectAPutReadSlowlyAboveTheSpeedLimitSucceeds(Upload how) {
  PacedPutServer paced({16384, 100ms, 10s});
  CapturingLogger logger;
  auto target = oneAttemptTarget(paced.server, logger);
  constexpr std::size_t kSize = 320 << 10;
  auto content = TestStream::pattern(kSize);
  makeContent(content, how);
  std::istream in(&content);
  const auto start = std::chrono::steady_clock::now();
  auto put = target->put("slow.bin", in, {}, PutMode::CreateNew);
  EXPECT_GT(std::chrono::steady_clock::now() - start, 1500ms) << "the server read it too fast";
  ASSERT_TRUE(put) << put.error().describe() << "\n" << logger.text();
  EXPECT_EQ(put->size, kSize);
  EXPECT_EQ(paced.storedSize.load(), kSize);
  EXPECT_TRUE(paced.moved);
}

// A server that takes an upload a few bytes at a time (each send inside the send timeout, the
// whole never done) held put() for as long as the file's size allowed: sends were bounded one
// by one, their whole not. Now the request body keeps the answers' low-speed limit.
TEST(WebDavScripted, APutTheServerReadsBelowTheSpeedLimitTimesOutAndLeavesNoFile) {
  expectAPutReadBelowTheSpeedLimitTimesOut(Upload::Sized);
}

// Slower than a read timeout in all, yet well above the limit: the upload is never cut. It was,
// by a send's timeout (the kernel wakes a blocked sender only once half its buffer is free)
// or by the answer's (the server still reading what the sockets' buffers held after the last
// send); now the watchdog's limit decides.
TEST(WebDavScripted, APutReadSlowlyAboveTheSpeedLimitSucceeds) {
  expectAPutReadSlowlyAboveTheSpeedLimitSucceeds(Upload::Sized);
}

// The same for a chunked upload: its chunks go out under the same limit.
TEST(WebDavScripted, AChunkedPutTheServerReadsBelowTheSpeedLimitTimesOutAndLeavesNoFile) {
  expectAPutReadBelowTheSpeedLimitTimesOut(Upload::Chunked);
}

// A chunked upload read slowly above the limit was cut as a sized one was: by a send's timeout,
// or by Poco's receive timeout on the answer (its last chunk went out only then, the server
// still having the sockets' buffers to read). Now it is sent and awaited as a sized one.
TEST(WebDavScripted, AChunkedPutReadSlowlyAboveTheSpeedLimitSucceeds) {
  expectAPutReadSlowlyAboveTheSpeedLimitSucceeds(Upload::Chunked);
}

// A proxy's 504 to a MOVE the server carried out: the MOVE is repeated (a 5xx is retried) and
// finds no source. That 404 failed the put naming the temporary ("does not exist") though the
// file was in place; now the destination is checked, as after a lost answer.
TEST(WebDavScripted, AMoveDoneButAnswered504IsFoundDoneWhenItsRepeatFindsNoSource) {
  std::atomic<bool> moved{false};
  std::atomic<int> moves{0};
  ScriptedDavServer server(putOfFiveBytes(moved, [&](HTTPServerResponse& r) {
    ++moves;
    if (moved) return answer(r, 404);
    moved = true;
    answer(r, 504);
  }));
  CapturingLogger logger;
  auto target = targetFor(server, logger);
  std::istringstream in("hello");
  auto put = target->put("a.txt", in, {}, PutMode::CreateNew);
  ASSERT_TRUE(put) << put.error().describe() << "\n" << logger.text();
  EXPECT_EQ(put->size, 5u);
  EXPECT_EQ(moves.load(), 2);
  EXPECT_NE(logger.text().find("the move had happened"), std::string::npos) << logger.text();
}

TEST(WebDavScripted, AutoModeFallsBackToSidecarsOnceWhenPropertiesAreRefused) {
  std::atomic<bool> moved{false};
  ScriptedDavServer server([&](std::size_t, const RecordedRequest& request, HTTPServerResponse& r) {
    const bool isTemp = request.uri.find(".dms-tmp-") != std::string::npos;
    if (request.method == "PROPFIND") {
      if (request.uri == "/dav/" || request.uri == "/dav")
        return answer(r, 207, multistatusFor("/dav/", true));
      if (isTemp) return answer(r, 207, multistatusFor(request.uri, false, 1));
      return answer(r, 404);
    }
    if (request.method == "PROPPATCH") {
      // A server that keeps no dead properties: 207 with 403 for each property.
      return answer(r, 207,
                    "<?xml version=\"1.0\"?><D:multistatus xmlns:D=\"DAV:\"><D:response><D:href>" +
                        request.uri +
                        "</D:href><D:propstat><D:prop><m:m_k xmlns:m=\"urn:ambita-dms:meta:1\"/>"
                        "</D:prop><D:status>HTTP/1.1 403 Forbidden</D:status></D:propstat>"
                        "</D:response></D:multistatus>");
    }
    if (request.method == "PUT" || request.method == "MOVE") return answer(r, 201);
    if (request.method == "GET") return answer(r, 404);  // no metadata mode recorded yet
    answer(r, 500);
  });
  CapturingLogger logger;
  auto target = targetFor(server, logger);
  EXPECT_TRUE(target->capabilities().nativeMetadata);
  for (const char* name : {"a.txt", "b.txt"}) {
    std::istringstream in("x");
    auto put = target->put(name, in, {{"k", "v"}}, PutMode::CreateNew);
    ASSERT_TRUE(put) << put.error().describe();
  }
  EXPECT_FALSE(target->capabilities().nativeMetadata);
  int proppatches = 0;
  int sidecarMoves = 0;
  for (const auto& request : server.requests()) {
    if (request.method == "PROPPATCH") ++proppatches;
    if (request.method == "MOVE" && request.headers.count("destination") &&
        request.headers.at("destination").find("/dav/.dms-meta-") != std::string::npos)
      ++sidecarMoves;
  }
  EXPECT_EQ(proppatches, 1);  // detected once
  EXPECT_EQ(sidecarMoves, 2);
  EXPECT_NE(logger.text().find("sidecar"), std::string::npos);
}

/// The text of every record file of the connector's journal in `dataDir` (TempJournal.h).
std::string journalText(const std::filesystem::path& dataDir) {
  std::string text;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dataDir / "webdav-in-flight", ec)) {
    std::ifstream in(e.path(), std::ios::binary);
    text += std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  return text;
}

/// Answers what a sidecar-mode target asks nginx first: the recorded metadata mode, and the
/// listing of the base collection (nginx lists no dot names). False for any other request.
bool answeredAsNginxBasics(const RecordedRequest& request, HTTPServerResponse& response) {
  if (request.method == "GET" && request.uri == "/dav/.dms-metadata-mode") {
    answer(response, 200, "sidecar\n");
    return true;
  }
  if (request.method == "PROPFIND" && (request.uri == "/dav/" || request.uri == "/dav")) {
    answer(response, 207, multistatusFor("/dav/", true));
    return true;
  }
  return false;
}

/// A process whose `operation` fails at its sidecar's request (refused: 403), leaving what a
/// kill at that point leaves plus the record the refusal keeps.
void runRefusedAtTheSidecar(const ScriptedDavServer& server, Logger& logger,
                            const test::TempDir& dataDir,
                            const std::function<Status(webdav::WebDavTarget&)>& operation) {
  auto target = targetFor(server, logger, "", dataDir.str());
  auto done = operation(*target);
  ASSERT_FALSE(done) << "the sidecar's request was refused";
  EXPECT_EQ(done.error().code, ErrorCode::PermissionDenied);
}

/// nginx holding "a.pdf" and its sidecar, for a remove() in sidecar mode: the sidecar's
/// DELETE answers `sidecarDeleteStatus` (403: refused) until a test sets it to 204.
struct NginxWithASidecarFile {
  explicit NginxWithASidecarFile(const test::TempDir& dataDir)
      : server([this, &dataDir](std::size_t, const RecordedRequest& request,
                                HTTPServerResponse& r) { answerRequest(dataDir, request, r); }) {}

  void answerRequest(const test::TempDir& dataDir, const RecordedRequest& request,
                     HTTPServerResponse& r) {
    std::lock_guard lock(mutex);
    if (answeredAsNginxBasics(request, r)) return;
    if (request.method == "PROPFIND") {
      if (request.uri == "/dav/a.pdf" && fileThere)
        return answer(r, 207, multistatusFor("/dav/a.pdf", false, 6));
      return answer(r, 404);
    }
    if (request.method == "DELETE" && request.uri == "/dav/a.pdf" && fileThere) {
      // What a SIGKILL right after this DELETE would leave in the data folder.
      recordedWhenTheFileWent = journalText(dataDir.path());
      fileThere = false;
      return answer(r, 204);
    }
    if (request.method == "DELETE" && request.uri == "/dav/.dms-meta-a.pdf.json" && sidecarThere) {
      if (sidecarDeleteStatus != 204) return answer(r, sidecarDeleteStatus);
      sidecarThere = false;
      return answer(r, 204);
    }
    answer(r, 404);
  }

  std::mutex mutex;  ///< guards the fields below
  bool fileThere = true, sidecarThere = true;
  int sidecarDeleteStatus = 403;
  std::string recordedWhenTheFileWent;
  ScriptedDavServer server;  ///< last: stopped before the fields it reads go
};

// The WebDavNginx crash-test flake: a withdrawn file's remove() deletes the file, then its
// sidecar. Killed between the two DELETEs (or with the sidecar's DELETE refused), it left a
// `.dms-meta-<name>.json` that nothing removed: the plugin's retry found the file gone (nothing
// to remove), and nginx lists no dot names, so recover()'s walk never saw it. The sidecar's
// file is recorded before the file's DELETE, and recover() deletes the sidecar of a file that
// is not there.
TEST(WebDavScripted, ASidecarLeftBetweenARemovesDeletesIsDeletedByTheNextRecover) {
  test::TempDir dataDir("dms-webdav-remove");
  NginxWithASidecarFile nginx(dataDir);
  CapturingLogger logger;
  runRefusedAtTheSidecar(nginx.server, logger, dataDir, [](webdav::WebDavTarget& target) {
    return target.remove("a.pdf", false);
  });
  EXPECT_NE(nginx.recordedWhenTheFileWent.find("a.pdf"), std::string::npos)
      << "nothing recorded before the file's DELETE: a kill there leaves the sidecar for good";
  {
    std::lock_guard lock(nginx.mutex);
    ASSERT_FALSE(nginx.fileThere);
    ASSERT_TRUE(nginx.sidecarThere);
    nginx.sidecarDeleteStatus = 204;
  }
  auto next = targetFor(nginx.server, logger, "", dataDir.str());  // the next process
  ASSERT_TRUE(next->recover());
  std::lock_guard lock(nginx.mutex);
  EXPECT_FALSE(nginx.sidecarThere) << "the orphaned sidecar is still on the server\n"
                                   << logger.text();
  EXPECT_EQ(journalText(dataDir.path()), "") << "the record is done with";
}

// The same for move() (filing.withdrawnPolicy "move"): cut between the file's MOVE and its
// sidecar's, it left the moved file without its metadata (someone else's, to the next run) and
// a sidecar at the old name that nothing removed. recover() now moves the sidecar after it.
TEST(WebDavScripted, ASidecarLeftBetweenAMovesMovesFollowsItsFileInTheNextRecover) {
  test::TempDir dataDir("dms-webdav-move");
  std::mutex mutex;
  std::string fileAt = "/dav/a.pdf", sidecarAt = "/dav/.dms-meta-a.pdf.json";
  bool refuseSidecarMove = true;
  std::string recordedWhenTheFileMoved;
  ScriptedDavServer server([&](std::size_t, const RecordedRequest& request, HTTPServerResponse& r) {
    std::lock_guard lock(mutex);
    if (answeredAsNginxBasics(request, r)) return;
    if (request.method == "PROPFIND") {
      if (request.uri == "/dav/T" || request.uri == "/dav/T/")
        return answer(r, 207, multistatusFor("/dav/T/", true));
      if (request.uri == fileAt) return answer(r, 207, multistatusFor(fileAt, false, 6));
      return answer(r, 404);
    }
    if (request.method == "MOVE" && request.headers.count("destination")) {
      const auto& destination = request.headers.at("destination");
      const std::string to = destination.substr(destination.find("/dav/"));
      if (request.uri == fileAt) {
        recordedWhenTheFileMoved = journalText(dataDir.path());  // what a SIGKILL would leave
        fileAt = to;
        return answer(r, 201);
      }
      if (request.uri == sidecarAt) {
        if (refuseSidecarMove) return answer(r, 403);
        sidecarAt = to;
        return answer(r, 201);
      }
    }
    answer(r, 404);
  });
  CapturingLogger logger;
  runRefusedAtTheSidecar(server, logger, dataDir, [](webdav::WebDavTarget& target) {
    return target.move("a.pdf", "T/a.pdf");
  });
  EXPECT_NE(recordedWhenTheFileMoved.find("T/a.pdf"), std::string::npos)
      << "nothing recorded before the file's MOVE: a kill there loses the metadata";
  {
    std::lock_guard lock(mutex);
    ASSERT_EQ(fileAt, "/dav/T/a.pdf");
    ASSERT_EQ(sidecarAt, "/dav/.dms-meta-a.pdf.json");
    refuseSidecarMove = false;
  }
  auto next = targetFor(server, logger, "", dataDir.str());  // the next process
  ASSERT_TRUE(next->recover());
  std::lock_guard lock(mutex);
  EXPECT_EQ(sidecarAt, "/dav/T/.dms-meta-a.pdf.json") << logger.text();
  EXPECT_EQ(journalText(dataDir.path()), "") << "the record is done with";
}

// A recover() that could not finish a record (the server refused the leftover's DELETE every
// attempt) logged a warning and reported success: a `sync` that then wrote nothing left the
// engine's clean mark, the next lock holder skipped recover(), and the leftover stayed until a
// sync that wrote. It now answers Incomplete (the plugin files on, leaves no mark) naming what
// is left, where, and the record that keeps it; the record stays, and the next recover()
// finishes it.
TEST(WebDavScripted, ARecoverThatCannotFinishItsRecordsSaysWhatIsLeftAndTheNextOneFinishes) {
  test::TempDir dataDir("dms-webdav-unfinished");
  NginxWithASidecarFile nginx(dataDir);
  CapturingLogger logger;
  runRefusedAtTheSidecar(nginx.server, logger, dataDir, [](webdav::WebDavTarget& target) {
    return target.remove("a.pdf", false);
  });
  ASSERT_NE(journalText(dataDir.path()), "") << "the refused sidecar is recorded";
  {
    std::lock_guard lock(nginx.mutex);
    nginx.sidecarDeleteStatus = 423;  // another client's LOCK, for every attempt of recover()
  }
  auto next = targetFor(nginx.server, logger, "", dataDir.str());
  auto unfinished = next->recover();
  ASSERT_FALSE(unfinished) << "recover() reported success with the sidecar still there";
  EXPECT_EQ(unfinished.error().code, ErrorCode::Incomplete) << unfinished.error().describe();
  const std::string message = unfinished.error().describe();
  EXPECT_NE(message.find("'.dms-meta-a.pdf.json'"), std::string::npos) << message;
  EXPECT_NE(message.find("423"), std::string::npos) << message;
  EXPECT_NE(message.find((dataDir.path() / "webdav-in-flight").string()), std::string::npos)
      << message;
  EXPECT_NE(journalText(dataDir.path()), "") << "the record stays for the next recover()";
  {
    std::lock_guard lock(nginx.mutex);
    nginx.sidecarDeleteStatus = 204;
  }
  auto third = targetFor(nginx.server, logger, "", dataDir.str());
  auto finished = third->recover();
  ASSERT_TRUE(finished) << finished.error().describe();
  std::lock_guard lock(nginx.mutex);
  EXPECT_FALSE(nginx.sidecarThere) << logger.text();
  EXPECT_EQ(journalText(dataDir.path()), "") << "the record is done with";
}

/// A Depth-1 PROPFIND answer listing `entries` (href, collection).
std::string listing(const std::vector<std::pair<std::string, bool>>& entries) {
  std::string body = "<?xml version=\"1.0\"?><D:multistatus xmlns:D=\"DAV:\">";
  for (const auto& [href, collection] : entries)
    body += "<D:response><D:href>" + href + "</D:href><D:propstat><D:prop>" +
            (collection ? "<D:resourcetype><D:collection/></D:resourcetype>"
                        : "<D:resourcetype/><D:getcontentlength>1</D:getcontentlength>") +
            "</D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat></D:response>";
  return body + "</D:multistatus>";
}

/// Asserts that recover() answered Incomplete (something left, the walk done) with a message
/// holding each of `named`.
void expectIncompleteNaming(const Status& recovered, const std::vector<std::string>& named) {
  ASSERT_FALSE(recovered) << "recover() reported success with something left";
  EXPECT_EQ(recovered.error().code, ErrorCode::Incomplete) << recovered.error().describe();
  for (const auto& text : named)
    EXPECT_NE(recovered.error().message.find(text), std::string::npos)
        << text << " not in: " << recovered.error().message;
}

// Issue 15, startcost: a temporary recover()'s walk found and the server would not DELETE
// (another client's LOCK: 423 every attempt) stopped the walk and failed recover() with Locked,
// and the plugin failed every run until someone removed it by hand. The walk now names it and
// goes on (Incomplete: the plugin files on and tries again next run); only a walk the server
// will not serve at all (here: credentials refused at the root) fails with its own kind.
TEST(WebDavScripted, ALeftoverTheServerWillNotDeleteIsNamedAndTheWalkGoesOn) {
  const std::string locked = "/dav/.dms-tmp-0123456789abcdef-locked.pdf";
  const std::string deeper = "/dav/T/.dms-tmp-fedcba9876543210-b.pdf";
  std::mutex mutex;
  bool lockedThere = true, deeperThere = true;
  int lockedDeleteStatus = 423, rootStatus = 207;
  ScriptedDavServer server([&](std::size_t, const RecordedRequest& request, HTTPServerResponse& r) {
    std::lock_guard lock(mutex);
    if (request.method == "GET" && request.uri == "/dav/.dms-metadata-mode")
      return answer(r, 200, "sidecar\n");
    if (request.method == "PROPFIND" && (request.uri == "/dav/" || request.uri == "/dav")) {
      if (rootStatus != 207) return answer(r, rootStatus);
      std::vector<std::pair<std::string, bool>> entries{{"/dav/", true}};
      if (lockedThere) entries.emplace_back(locked, false);
      entries.emplace_back("/dav/T/", true);
      return answer(r, 207, listing(entries));
    }
    if (request.method == "PROPFIND" && (request.uri == "/dav/T/" || request.uri == "/dav/T")) {
      std::vector<std::pair<std::string, bool>> entries{{"/dav/T/", true}};
      if (deeperThere) entries.emplace_back(deeper, false);
      return answer(r, 207, listing(entries));
    }
    if (request.method == "DELETE" && request.uri == locked && lockedThere) {
      if (lockedDeleteStatus != 204) return answer(r, lockedDeleteStatus);
      lockedThere = false;
      return answer(r, 204);
    }
    if (request.method == "DELETE" && request.uri == deeper && deeperThere) {
      deeperThere = false;
      return answer(r, 204);
    }
    answer(r, 404);
  });
  CapturingLogger logger;
  auto target = targetFor(server, logger);

  expectIncompleteNaming(target->recover(), {"'.dms-tmp-0123456789abcdef-locked.pdf'", "423"});
  {
    std::lock_guard lock(mutex);
    EXPECT_FALSE(deeperThere) << "the walk stopped at the locked temporary";
    rootStatus = 401;
  }
  auto refused = target->recover();
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::Unauthenticated) << refused.error().describe();
  {
    std::lock_guard lock(mutex);
    rootStatus = 207;
    lockedDeleteStatus = 204;  // the other client's LOCK is gone
  }
  auto last = target->recover();
  ASSERT_TRUE(last) << last.error().describe();
  std::lock_guard lock(mutex);
  EXPECT_FALSE(lockedThere);
}

// A collection the walk cannot list (403 to its PROPFIND) is named in an Incomplete, and the
// walk goes on: a temporary beside it is removed, nothing that is not a leftover is touched.
// Listed again, the next recover() removes the temporary inside it.
TEST(WebDavScripted, ACollectionThatCannotBeListedIsNamedAndTheNextRecoverWalksIt) {
  const std::string inside = "/dav/A/.dms-tmp-0123456789abcdef-inside.pdf";
  const std::string beside = "/dav/B/.dms-tmp-fedcba9876543210-beside.pdf";
  std::mutex mutex;
  bool insideThere = true, besideThere = true, listable = false;
  std::vector<std::string> deletes;
  CapturingLogger logger;
  ScriptedDavServer server([&](std::size_t, const RecordedRequest& request, HTTPServerResponse& r) {
    std::lock_guard lock(mutex);
    if (request.method == "GET" && request.uri == "/dav/.dms-metadata-mode")
      return answer(r, 200, "sidecar\n");
    if (request.method == "PROPFIND" && (request.uri == "/dav/" || request.uri == "/dav"))
      return answer(r, 207, listing({{"/dav/", true}, {"/dav/A/", true}, {"/dav/B/", true}}));
    if (request.method == "PROPFIND" && (request.uri == "/dav/A/" || request.uri == "/dav/A")) {
      if (!listable) return answer(r, 403);
      std::vector<std::pair<std::string, bool>> entries{{"/dav/A/", true}};
      if (insideThere) entries.emplace_back(inside, false);
      return answer(r, 207, listing(entries));
    }
    if (request.method == "PROPFIND" && (request.uri == "/dav/B/" || request.uri == "/dav/B")) {
      std::vector<std::pair<std::string, bool>> entries{
          {"/dav/B/", true}, {"/dav/B/kept.pdf", false}, {"/dav/B/.dms-meta-kept.pdf.json", false}};
      if (besideThere) entries.emplace_back(beside, false);
      return answer(r, 207, listing(entries));
    }
    if (request.method == "DELETE") {
      deletes.push_back(request.uri);
      bool* there = request.uri == inside   ? &insideThere
                    : request.uri == beside ? &besideThere
                                            : nullptr;
      if (there != nullptr && *there) {
        *there = false;
        return answer(r, 204);
      }
    }
    answer(r, 404);
  });
  auto target = targetFor(server, logger);

  expectIncompleteNaming(target->recover(), {"'A' (", "403"});
  {
    std::lock_guard lock(mutex);
    EXPECT_EQ(deletes, std::vector<std::string>{beside})
        << "the walk did not go on past the collection it could not list, or deleted more than "
           "the leftover";
    EXPECT_TRUE(insideThere && !besideThere);
    listable = true;
  }
  auto next = target->recover();
  ASSERT_TRUE(next) << next.error().describe();
  std::lock_guard lock(mutex);
  EXPECT_FALSE(insideThere);
  EXPECT_EQ(deletes, (std::vector<std::string>{beside, inside}));
}

// A prune's DELETE carries the token of the folder's lock in a tagged list (`If: <url>
// (token)`). nginx's dav-ext compares the tag with the decoded path, so for a folder whose name
// needs escaping it answers 423 to our own token, every time: the DELETE was retried as if
// someone else held a lock (~4 s a folder), then the folder was left. Now our own token's 423
// is answered at once, the untagged form (`If: (token)`) is tried, and the target keeps using
// the form that worked.
TEST(WebDavScripted, APruneTheServerRefusesTheTaggedTokenIsDoneWithTheUntaggedOne) {
  const std::vector<std::string> folders = {"/dav/Plan%20og%20regulering/",
                                            "/dav/Andre%20dokumenter/"};
  std::mutex mutex;
  std::vector<std::string> folderDeletes;  ///< the If header of each DELETE of a folder
  ScriptedDavServer server([&](std::size_t, const RecordedRequest& request, HTTPServerResponse& r) {
    std::lock_guard lock(mutex);
    const bool folder = std::find(folders.begin(), folders.end(), request.uri) != folders.end();
    if (request.method == "GET" && request.uri == "/dav/.dms-metadata-mode")
      return answer(r, 200, "properties\n");
    if (request.method == "PROPFIND" && folder)
      return answer(r, 207, listing({{request.uri, true}}));
    if (request.method == "PROPFIND") return answer(r, 207, multistatusFor(request.uri, false, 1));
    if (request.method == "LOCK" && folder)
      return answer(r, 200, "", {{"Lock-Token", "<urn:uuid:prune-1>"}});
    if (request.method == "DELETE" && folder) {
      const auto found = request.headers.find("if");
      const std::string header = found == request.headers.end() ? "" : found->second;
      folderDeletes.push_back(header);
      return answer(r, header.rfind("<", 0) == 0 ? 423 : 204);
    }
    answer(r, 204);  // the files' DELETEs, UNLOCK
  });
  CapturingLogger logger;
  auto target = targetFor(server, logger);
  const auto started = std::chrono::steady_clock::now();
  ASSERT_TRUE(target->remove("Plan og regulering/Kart.pdf", true)) << logger.text();
  ASSERT_TRUE(target->remove("Andre dokumenter/Brev.pdf", true)) << logger.text();
  std::lock_guard lock(mutex);
  ASSERT_EQ(folderDeletes.size(), 3u) << logger.text();
  EXPECT_EQ(folderDeletes[0],
            "<" + server.origin() + folders[0] + "> (<urn:uuid:prune-1>)");  // tagged, refused
  EXPECT_EQ(folderDeletes[1], "(<urn:uuid:prune-1>)");                       // untagged, taken
  EXPECT_EQ(folderDeletes[2], "(<urn:uuid:prune-1>)") << "the form that worked is kept";
  EXPECT_EQ(logger.text().find("not pruning"), std::string::npos) << logger.text();
  EXPECT_EQ(logger.text().find("retry"), std::string::npos) << "our own token's 423 retried";
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(5));
}

// A prune locks the folder before its recursive DELETE, so that a file filed into it meanwhile
// fails with 423 instead of being deleted. A server that has locking but failed this LOCK (403,
// or 5xx after the retries) used to get the DELETE anyway, without the lock and without a second
// look: a file filed in between went with the folder. Now such a folder is left (and named in
// the log); only a server without locking (405 or 501) gets the plain check-then-delete, and its
// folder is listed again right before the DELETE.
TEST(WebDavScripted, APruneWhoseLockFailsLeavesTheFolder) {
  const std::string folder = "/dav/Plan%20og%20regulering/";
  for (const int lockStatus : {403, 405}) {
    SCOPED_TRACE("LOCK answered " + std::to_string(lockStatus));
    std::mutex mutex;
    int folderListings = 0;
    bool fileFiledMeanwhile = false;  ///< from the second listing on, the folder holds a file
    std::vector<std::string> folderDeletes;
    ScriptedDavServer server(
        [&](std::size_t, const RecordedRequest& request, HTTPServerResponse& r) {
          std::lock_guard lock(mutex);
          const bool isFolder = request.uri == folder;
          if (request.method == "GET" && request.uri == "/dav/.dms-metadata-mode")
            return answer(r, 200, "properties\n");
          if (request.method == "PROPFIND" && isFolder) {
            if (++folderListings > 1) fileFiledMeanwhile = true;
            if (fileFiledMeanwhile)
              return answer(r, 207, listing({{folder, true}, {folder + "Ny.pdf", false}}));
            return answer(r, 207, listing({{folder, true}}));
          }
          if (request.method == "PROPFIND")
            return answer(r, 207, multistatusFor(request.uri, false, 1));
          if (request.method == "LOCK") return answer(r, lockStatus);
          if (request.method == "DELETE" && isFolder) folderDeletes.push_back(request.uri);
          answer(r, 204);  // the file's DELETE
        });
    CapturingLogger logger;
    auto target = targetFor(server, logger);
    ASSERT_TRUE(target->remove("Plan og regulering/Kart.pdf", true)) << logger.text();
    std::lock_guard lock(mutex);
    EXPECT_TRUE(folderDeletes.empty())
        << "the folder was deleted although a file came into it after the first look";
    // A LOCK refused is named in the log; a folder found in use is no failure.
    EXPECT_EQ(logger.text().find("not pruning") != std::string::npos, lockStatus == 403)
        << logger.text();
    // 405: a second look before the DELETE found the file; 403: no DELETE to look for.
    EXPECT_EQ(folderListings, lockStatus == 405 ? 2 : 1) << logger.text();
  }
}

// A server without locking still has its empty folders pruned, after a second look.
TEST(WebDavScripted, APruneOnAServerWithoutLockingDeletesTheStillEmptyFolder) {
  const std::string folder = "/dav/Andre%20dokumenter/";
  std::mutex mutex;
  int folderListings = 0;
  std::vector<std::string> folderDeletes;
  ScriptedDavServer server([&](std::size_t, const RecordedRequest& request, HTTPServerResponse& r) {
    std::lock_guard lock(mutex);
    const bool isFolder = request.uri == folder;
    if (request.method == "GET" && request.uri == "/dav/.dms-metadata-mode")
      return answer(r, 200, "properties\n");
    if (request.method == "PROPFIND" && isFolder) {
      ++folderListings;
      return answer(r, 207, listing({{folder, true}}));
    }
    if (request.method == "PROPFIND") return answer(r, 207, multistatusFor(request.uri, false, 1));
    if (request.method == "LOCK") return answer(r, 501);
    if (request.method == "DELETE" && isFolder) {
      folderDeletes.push_back(request.headers.count("if") ? "with If" : "without If");
    }
    answer(r, 204);
  });
  CapturingLogger logger;
  auto target = targetFor(server, logger);
  ASSERT_TRUE(target->remove("Andre dokumenter/Brev.pdf", true)) << logger.text();
  std::lock_guard lock(mutex);
  EXPECT_EQ(folderDeletes, std::vector<std::string>{"without If"}) << logger.text();
  EXPECT_EQ(folderListings, 2);
  EXPECT_EQ(logger.text().find("not pruning"), std::string::npos) << logger.text();
}

}  // namespace
}  // namespace dms::test
