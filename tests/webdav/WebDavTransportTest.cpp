// Issue 13 item 8, the WebDAV connector's transport: the TLS host name is checked for every
// host (loopback included), and a server's Retry-After can no longer hold a stopping host:
// cancel() ends every retry pause at once, and every wait for a server that never answers or
// trickles; a body cut short is an error, never taken for the whole file.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <iterator>
#include <limits>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/SecureServerSocket.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/StreamSocket.h>

#include "ScriptedDavServer.h"
#include "WebDavTestHelpers.h"
#include "dms/webdav/WebDavOptions.h"
#include "support/TestCertificates.h"

namespace dms::test {
namespace {

using namespace std::chrono_literals;

/// Answers every request with a 207 for one file: a WebDAV server that works once TLS does.
class MultistatusHandler final : public Poco::Net::HTTPRequestHandler {
 public:
  void handleRequest(Poco::Net::HTTPServerRequest& request,
                     Poco::Net::HTTPServerResponse& response) override {
    request.stream().ignore(std::numeric_limits<std::streamsize>::max());
    const std::string body = multistatusFor("/dav/f", false, 5);
    response.setStatusAndReason(Poco::Net::HTTPResponse::HTTPStatus(207), "Multi-Status");
    response.setContentLength64(static_cast<Poco::Int64>(body.size()));
    response.send() << body;
  }
};

class MultistatusFactory final : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  Poco::Net::HTTPRequestHandler* createRequestHandler(
      const Poco::Net::HTTPServerRequest&) override {
    return new MultistatusHandler;
  }
};

/// An HTTPS server on 127.0.0.1:<free port> with a certificate (signed by a throwaway CA) for
/// the name the test chooses.
class HttpsServer {
 public:
  explicit HttpsServer(Poco::Net::Context::Ptr context) {
    Poco::Net::SecureServerSocket socket(Poco::Net::SocketAddress("127.0.0.1", 0), 64, context);
    port_ = socket.address().port();
    server_ = std::make_unique<Poco::Net::HTTPServer>(new MultistatusFactory, socket,
                                                      new Poco::Net::HTTPServerParams);
    server_->start();
  }
  ~HttpsServer() { server_->stopAll(true); }
  std::string url() const { return "https://127.0.0.1:" + std::to_string(port_) + "/dav/"; }

 private:
  std::unique_ptr<Poco::Net::HTTPServer> server_;
  int port_ = 0;
};

class WebDavTlsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { certs_ = std::make_unique<TestCertificates>(); }
  static void TearDownTestSuite() { certs_.reset(); }
  void SetUp() override {
    ASSERT_TRUE(certs_->ready()) << "openssl could not make test certificates";
  }

  std::unique_ptr<webdav::WebDavTarget> targetFor(const HttpsServer& server) {
    auto options =
        webdav::WebDavOptions::parse(R"({"url": ")" + server.url() + R"(", "caFile": ")" +
                                     certs_->caFile() + R"(", "retries": 0})");
    if (!options) throw std::runtime_error(options.error().describe());
    auto target = webdav::WebDavTarget::create(*options, logger);
    if (!target) throw std::runtime_error(target.error().describe());
    return std::move(*target);
  }

  static inline std::unique_ptr<TestCertificates> certs_;
  CapturingLogger logger;
};

TEST_F(WebDavTlsTest, CertificateForTheHostIsAccepted) {
  HttpsServer server(certs_->serverContext("good"));
  auto stat = targetFor(server)->stat("f");
  ASSERT_TRUE(stat) << stat.error().describe();
  EXPECT_EQ(stat->size, 5u);
}

// Poco's relaxed mode skipped the host-name check for loopback hosts: a certificate for
// another name, from a trusted CA, was accepted at 127.0.0.1.
TEST_F(WebDavTlsTest, CertificateForAnotherNameIsRefusedEvenOnLoopback) {
  HttpsServer server(certs_->serverContext("other"));
  auto stat = targetFor(server)->stat("f");
  ASSERT_FALSE(stat) << "a certificate for other.example was accepted for 127.0.0.1";
  EXPECT_EQ(stat.error().code, ErrorCode::Unavailable) << stat.error().describe();
}

// A server asking for an hour's pause (503 + Retry-After: 3600, every time) must not hold a
// stopping host: cancel() ends the pause and the call returns Cancelled at once. It used to
// sleep uninterruptibly (up to 60 s per retry here, an hour for a GET).
TEST(WebDavCancel, CancelEndsARetryAfterPauseAtOnce) {
  ScriptedDavServer server(
      [](std::size_t, const RecordedRequest&, Poco::Net::HTTPServerResponse& response) {
        response.setStatusAndReason(Poco::Net::HTTPResponse::HTTP_SERVICE_UNAVAILABLE);
        response.set("Retry-After", "3600");
        response.setContentLength64(0);
        response.send();
      });
  CapturingLogger logger;
  auto options = webdav::WebDavOptions::parse(R"({"url": ")" + server.origin() +
                                              R"(/dav/", "retries": 1, "timeoutSeconds": 5})");
  ASSERT_TRUE(options) << options.error().describe();
  auto created = webdav::WebDavTarget::create(*options, logger);
  ASSERT_TRUE(created) << created.error().describe();
  auto& target = **created;
  for (const bool streamed : {false, true}) {
    target.resume();
    auto call = std::async(std::launch::async, [&] {
      if (streamed) return target.get("f").error();  // the streamed GET has its own loop
      return target.stat("f").error();
    });
    // Wait until the first 503 arrived, so the pause is really under way.
    const auto seen = server.requests().size();
    const auto giveUp = std::chrono::steady_clock::now() + 10s;
    while (server.requests().size() == seen && std::chrono::steady_clock::now() < giveUp)
      std::this_thread::sleep_for(5ms);
    std::this_thread::sleep_for(100ms);
    const auto cancelledAt = std::chrono::steady_clock::now();
    target.cancel();
    ASSERT_EQ(call.wait_for(5s), std::future_status::ready)
        << (streamed ? "get" : "stat") << " still sleeping 5 s after cancel()";
    EXPECT_LT(std::chrono::steady_clock::now() - cancelledAt, 5s);
    EXPECT_EQ(call.get().code, ErrorCode::Cancelled);
  }
}

// Every connection busy (concurrency 1, held by an open get() stream): a call waiting for one
// must not wait forever. cancel() ends the wait at once with Cancelled; it used to wait on the
// pool without deadline or stop, so a stopping host hung until the stream was closed.
TEST(WebDavCancel, CancelEndsAWaitForABusyConnection) {
  ScriptedDavServer server(
      [](std::size_t, const RecordedRequest& request, Poco::Net::HTTPServerResponse& response) {
        const bool get = request.method == "GET";
        const std::string body =
            get ? std::string("hello") : multistatusFor(request.uri, request.uri.back() == '/', 5);
        response.setStatusAndReason(Poco::Net::HTTPResponse::HTTPStatus(get ? 200 : 207));
        response.setContentLength64(static_cast<Poco::Int64>(body.size()));
        response.send() << body;
      });
  CapturingLogger logger;
  auto options = webdav::WebDavOptions::parse(R"({"url": ")" + server.origin() +
                                              R"(/dav/", "concurrency": 1, "retries": 0})");
  ASSERT_TRUE(options) << options.error().describe();
  auto created = webdav::WebDavTarget::create(*options, logger);
  ASSERT_TRUE(created) << created.error().describe();
  auto& target = **created;
  auto held = target.get("f");  // keeps the only connection until destroyed
  ASSERT_TRUE(held) << held.error().describe();
  const auto requestsBefore = server.requests().size();
  auto waiting = std::async(std::launch::async, [&] { return target.stat("f"); });
  std::this_thread::sleep_for(100ms);  // let it reach the pool (the test passes either way)
  target.cancel();
  const bool returned = waiting.wait_for(5s) == std::future_status::ready;
  held->reset();  // frees the connection, so a call still waiting ends and the test can finish
  ASSERT_TRUE(returned) << "stat() still waiting for a connection 5 s after cancel()";
  auto stat = waiting.get();
  ASSERT_FALSE(stat);
  EXPECT_EQ(stat.error().code, ErrorCode::Cancelled) << stat.error().describe();
  EXPECT_EQ(server.requests().size(), requestsBefore) << "nothing is sent after cancel()";
}

// An unknown 4xx means what it means for the API client (issue 8: one status map): the server
// refused the request as sent, InvalidArgument, not retried. The WebDAV client said Internal.
TEST(WebDavStatus, AnUnknownClientErrorIsInvalidArgumentAndNotRetried) {
  ScriptedDavServer server([](std::size_t, const RecordedRequest&,
                              Poco::Net::HTTPServerResponse& response) {
    response.setStatusAndReason(Poco::Net::HTTPResponse::HTTPStatus(422), "Unprocessable Content");
    response.setContentLength64(0);
    response.send();
  });
  CapturingLogger logger;
  auto options =
      webdav::WebDavOptions::parse(R"({"url": ")" + server.origin() + R"(/dav/", "retries": 2})");
  ASSERT_TRUE(options) << options.error().describe();
  auto created = webdav::WebDavTarget::create(*options, logger);
  ASSERT_TRUE(created) << created.error().describe();
  const auto before = server.requests().size();
  auto stat = (*created)->stat("f");
  ASSERT_FALSE(stat);
  EXPECT_EQ(stat.error().code, ErrorCode::InvalidArgument) << stat.error().describe();
  EXPECT_NE(stat.error().message.find("422"), std::string::npos) << stat.error().message;
  EXPECT_EQ(server.requests().size(), before + 1) << "a 4xx is not retried";
}

// An answer over the 64 MiB a body may have is an error, and not asked for again: a hostile
// server would send as much at every attempt.
TEST(WebDavStatus, AnAnswerOverTheSizeBoundIsRefusedAndNotAskedForAgain) {
  ScriptedDavServer server(
      [](std::size_t, const RecordedRequest&, Poco::Net::HTTPServerResponse& response) {
        response.setStatusAndReason(Poco::Net::HTTPResponse::HTTPStatus(207), "Multi-Status");
        response.setChunkedTransferEncoding(true);
        const std::string block(1 << 20, ' ');
        auto& out = response.send();
        for (int i = 0; i < 65 && out; ++i) out << block;
      });
  CapturingLogger logger;
  auto options =
      webdav::WebDavOptions::parse(R"({"url": ")" + server.origin() + R"(/dav/", "retries": 3})");
  ASSERT_TRUE(options) << options.error().describe();
  auto created = webdav::WebDavTarget::create(*options, logger);
  ASSERT_TRUE(created) << created.error().describe();
  const auto before = server.requests().size();
  auto listed = (*created)->list("");
  ASSERT_FALSE(listed);
  EXPECT_NE(listed.error().message.find("larger than 64 MiB"), std::string::npos)
      << listed.error().describe();
  EXPECT_EQ(server.requests().size(), before + 1) << listed.error().describe();
}

/// A server that accepts each connection, reads the request and then holds the client up: it
/// answers nothing (`head` empty), or sends `head` and then `trickle` (one byte of body by
/// default) every `every` (50 ms: each receive well inside any read timeout, the whole never
/// done), or `head` and closes.
class StallingServer {
 public:
  enum class After { Trickle, Close };
  /// `tls`: serve HTTPS with this context.
  explicit StallingServer(std::string head = "", After after = After::Trickle,
                          Poco::Net::Context::Ptr tls = nullptr, std::string trickle = "x",
                          std::chrono::milliseconds every = 50ms)
      : head_(std::move(head)),
        after_(after),
        tls_(tls),
        trickle_(std::move(trickle)),
        every_(every),
        socket_(listen(tls)) {
    thread_ = std::thread([this] { run(); });
  }
  ~StallingServer() {
    stopping_ = true;
    thread_.join();
  }
  std::string origin() const {
    return std::string(tls_ ? "https" : "http") +
           "://127.0.0.1:" + std::to_string(socket_.address().port());
  }
  /// Requests read so far (a connection the client closed is not one).
  int requests() const { return requests_.load(); }
  /// Connections accepted so far.
  int connections() const { return connections_.load(); }

 private:
  static Poco::Net::ServerSocket listen(Poco::Net::Context::Ptr tls) {
    const Poco::Net::SocketAddress address("127.0.0.1", 0);
    if (tls) return Poco::Net::SecureServerSocket(address, 64, tls);
    return Poco::Net::ServerSocket(address);
  }
  void run() {
    std::vector<Poco::Net::StreamSocket> open;  // closed when the server stops
    while (!stopping_) {
      if (socket_.poll(Poco::Timespan(0, 20'000), Poco::Net::Socket::SELECT_READ)) {
        open.push_back(socket_.acceptConnection());
        ++connections_;
      }
      for (auto& connection : open) serve(connection);
    }
  }
  void serve(Poco::Net::StreamSocket& connection) {
    try {
      if (connection.available() > 0 ||
          connection.poll(Poco::Timespan(0), Poco::Net::Socket::SELECT_READ)) {
        char buffer[4096];
        if (connection.receiveBytes(buffer, sizeof buffer) <= 0) return;  // the client closed
        // Counted before the answer goes out: a client holding its answer finds its request
        // counted (counted after, a test checking requests() raced this thread).
        ++requests_;
        if (!head_.empty()) {
          connection.sendBytes(head_.data(), static_cast<int>(head_.size()));
          if (after_ == After::Close) connection.shutdownSend();
        }
      }
      if (requests_ > 0 && !head_.empty() && after_ == After::Trickle &&
          std::chrono::steady_clock::now() - lastByte_ > every_) {
        lastByte_ = std::chrono::steady_clock::now();
        connection.sendBytes(trickle_.data(), static_cast<int>(trickle_.size()));
      }
    } catch (const Poco::Exception&) {
      // the client went away
    }
  }

  const std::string head_;
  const After after_;
  Poco::Net::Context::Ptr tls_;
  const std::string trickle_;
  const std::chrono::milliseconds every_;
  Poco::Net::ServerSocket socket_;
  std::atomic<bool> stopping_{false};
  std::atomic<int> requests_{0};
  std::atomic<int> connections_{0};
  std::chrono::steady_clock::time_point lastByte_{};
  std::thread thread_;
};

/// A target with no retry and a read timeout of `readTimeoutSeconds`.
std::unique_ptr<webdav::WebDavTarget> plainTargetFor(const std::string& origin, Logger& logger,
                                                     const std::string& caFile = "",
                                                     int readTimeoutSeconds = 60) {
  auto options = webdav::WebDavOptions::parse(
      R"({"url": ")" + origin + R"(/dav/", "readTimeoutSeconds": )" +
      std::to_string(readTimeoutSeconds) + R"(, "maxAttempts": 1, "caFile": ")" + caFile + R"("})");
  if (!options) throw std::runtime_error(options.error().describe());
  auto created = webdav::WebDavTarget::create(*options, logger);
  if (!created) throw std::runtime_error(created.error().describe());
  return std::move(*created);
}

void waitForRequest(const StallingServer& server) {
  const auto giveUp = std::chrono::steady_clock::now() + 10s;
  while (server.requests() == 0 && std::chrono::steady_clock::now() < giveUp)
    std::this_thread::sleep_for(5ms);
  std::this_thread::sleep_for(100ms);  // the client is now in its receive
}

// A server that accepts the connection and never answers, or answers a byte every 50 ms (every
// receive inside the 60 s read timeout, the answer never complete), held a stopping host: the
// request ran to its read timeout, and a trickle forever (cancel() only ended retry pauses).
// cancel() now cuts the connection: the call ends at once with Cancelled.
TEST(WebDavCancel, CancelCutsARequestTheServerNeverFinishesAnswering) {
  for (const std::string& head :
       {std::string(),
        std::string("HTTP/1.1 207 Multi-Status\r\nContent-Length: 1000000\r\n\r\n")}) {
    SCOPED_TRACE(head.empty() ? "silent server" : "trickling server");
    StallingServer server(head);
    CapturingLogger logger;
    auto target = plainTargetFor(server.origin(), logger);
    auto call = std::async(std::launch::async, [&] { return target->stat("f"); });
    waitForRequest(server);
    const auto cancelledAt = std::chrono::steady_clock::now();
    target->cancel();
    ASSERT_EQ(call.wait_for(5s), std::future_status::ready)
        << "stat() still waiting 5 s after cancel()";
    EXPECT_LT(std::chrono::steady_clock::now() - cancelledAt, 5s);
    auto stat = call.get();
    ASSERT_FALSE(stat);
    EXPECT_EQ(stat.error().code, ErrorCode::Cancelled) << stat.error().describe();
    // Cancelled until resume(): nothing is sent.
    auto later = target->stat("g");
    ASSERT_FALSE(later);
    EXPECT_EQ(later.error().code, ErrorCode::Cancelled) << later.error().describe();
  }
}

// The same over TLS: the cut reaches the connection under Poco's TLS socket.
TEST_F(WebDavTlsTest, CancelCutsATlsRequestTheServerNeverAnswers) {
  StallingServer server("", StallingServer::After::Trickle, certs_->serverContext("good"));
  auto target = plainTargetFor(server.origin(), logger, certs_->caFile());
  auto call = std::async(std::launch::async, [&] { return target->stat("f"); });
  waitForRequest(server);
  target->cancel();
  ASSERT_EQ(call.wait_for(5s), std::future_status::ready)
      << "stat() still waiting 5 s after cancel()";
  auto stat = call.get();
  ASSERT_FALSE(stat);
  EXPECT_EQ(stat.error().code, ErrorCode::Cancelled) << stat.error().describe();
}

// A get() stream the server trickles (a verify hashing a file) ends with an error on cancel()
// instead of holding the stopping host.
TEST(WebDavCancel, CancelCutsAGetStreamTheServerTrickles) {
  StallingServer server("HTTP/1.1 200 OK\r\nContent-Length: 1000000\r\n\r\n");
  CapturingLogger logger;
  auto target = plainTargetFor(server.origin(), logger);
  auto stream = target->get("f");
  ASSERT_TRUE(stream) << stream.error().describe();
  auto read = std::async(std::launch::async, [&] {
    std::string content((std::istreambuf_iterator<char>(**stream)),
                        std::istreambuf_iterator<char>());
    return content.size();
  });
  std::this_thread::sleep_for(200ms);
  target->cancel();
  ASSERT_EQ(read.wait_for(5s), std::future_status::ready)
      << "the read still waiting 5 s after cancel()";
  EXPECT_LT(read.get(), 1'000'000u);
  EXPECT_TRUE((*stream)->bad()) << "a cut file must not read as a whole one";
}

// A get() stream whose read timed out mid-body leaves its connection in an unknown state: it is
// closed, never lent to the next request (which would read the rest of that body as its
// answer).
TEST(WebDavStatus, AGetStreamThatTimedOutDoesNotLeaveItsConnectionToTheNextRequest) {
  ScriptedDavServer server(
      [](std::size_t, const RecordedRequest& request, Poco::Net::HTTPServerResponse& response) {
        if (request.method == "GET") {
          response.setContentLength64(10);
          response.send() << "hello" << std::flush;
          std::this_thread::sleep_for(1500ms);  // past the client's read timeout
          response.send() << "world";
          return;
        }
        const std::string body = multistatusFor(request.uri, false, 5);
        response.setStatusAndReason(Poco::Net::HTTPResponse::HTTPStatus(207));
        response.setContentLength64(static_cast<Poco::Int64>(body.size()));
        response.send() << body;
      });
  CapturingLogger logger;
  auto options = webdav::WebDavOptions::parse(
      R"({"url": ")" + server.origin() +
      R"(/dav/", "readTimeoutSeconds": 1, "maxAttempts": 1, "concurrency": 1})");
  ASSERT_TRUE(options) << options.error().describe();
  auto created = webdav::WebDavTarget::create(*options, logger);
  ASSERT_TRUE(created) << created.error().describe();
  auto& target = **created;
  {
    auto stream = target.get("f");
    ASSERT_TRUE(stream) << stream.error().describe();
    char buffer[64];
    (*stream)->read(buffer, sizeof buffer);  // as a reader hashing it does: eof set too
    EXPECT_TRUE((*stream)->bad()) << "a read that timed out must fail";
  }
  auto stat = target.stat("f");
  ASSERT_TRUE(stat) << stat.error().describe();
  EXPECT_EQ(stat->size, 5u);
}

// A server that announces more than it sends and closes the connection: Poco's body stream ends
// quietly, and a reader took the first bytes for the whole file. It is an error now.
TEST(WebDavStatus, AFileCutShortOfItsContentLengthIsAnErrorForTheReader) {
  StallingServer server("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhello",
                        StallingServer::After::Close);
  CapturingLogger logger;
  auto target = plainTargetFor(server.origin(), logger);
  auto stream = target->get("f");
  ASSERT_TRUE(stream) << stream.error().describe();
  std::string content((std::istreambuf_iterator<char>(**stream)), std::istreambuf_iterator<char>());
  EXPECT_EQ(content, "hello");
  EXPECT_TRUE((*stream)->bad()) << "5 of 10 bytes read as a whole file";
}

// Poco's chunked stream ended quietly when the connection closed before the last chunk (the
// `0` line) or inside a chunk: a reader took the first bytes for the whole file, and a PROPFIND
// the first entries for the whole listing. Chunked bodies are read strictly now
// (dms::http::ChunkedBody): a cut one is an error.

const std::string kChunkedHead = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";

/// Reads the file `name` through `target`'s get() to its end: what came, and whether the
/// stream failed.
std::pair<std::string, bool> readFile(webdav::WebDavTarget& target, const std::string& name) {
  auto stream = target.get(name);
  if (!stream) return {stream.error().describe(), true};
  std::string content((std::istreambuf_iterator<char>(**stream)), std::istreambuf_iterator<char>());
  return {std::move(content), (*stream)->bad()};
}

TEST(WebDavChunked, AChunkedFileCutBeforeItsLastChunkOrInsideAChunkIsAnErrorForTheReader) {
  const std::pair<std::string, std::string> cuts[] = {
      {"5\r\nhello\r\n6\r\n world\r\n", "the connection closed in a chunk-size line"},
      {"5\r\nhello\r\n10\r\n wor", "the connection closed inside a chunk"}};
  for (const auto& [cut, why] : cuts) {
    SCOPED_TRACE(why);
    StallingServer server(kChunkedHead + cut, StallingServer::After::Close);
    CapturingLogger logger;
    auto target = plainTargetFor(server.origin(), logger);
    const auto [content, failed] = readFile(*target, "f");
    EXPECT_TRUE(failed) << "a cut chunked body read as a whole file: " << content;
    EXPECT_TRUE(std::string("hello world").starts_with(content)) << content;
    EXPECT_NE(logger.text().find(why), std::string::npos) << logger.text();
  }
}

TEST(WebDavChunked, AChunkedAnswerCutBeforeItsLastChunkFailsTheCall) {
  // A whole listing, in one chunk, and no last chunk: the cut falls between two entries.
  const std::string listing = multistatusFor("/dav/f", false, 5);
  std::ostringstream size;
  size << std::hex << listing.size();
  StallingServer server("HTTP/1.1 207 Multi-Status\r\nTransfer-Encoding: chunked\r\n\r\n" +
                            size.str() + "\r\n" + listing + "\r\n",
                        StallingServer::After::Close);
  CapturingLogger logger;
  auto target = plainTargetFor(server.origin(), logger);
  auto stat = target->stat("f");
  ASSERT_FALSE(stat) << "a listing cut before its last chunk was taken whole";
  EXPECT_EQ(stat.error().code, ErrorCode::Unavailable) << stat.error().describe();
  EXPECT_NE(stat.error().message.find("the connection closed in a chunk-size line"),
            std::string::npos)
      << stat.error().message;
}

// Extensions and trailer fields are framing, not content; after the final empty line the
// connection carries the next answer: the second get() reuses it.
TEST(WebDavChunked, ChunkedFilesWithExtensionsAndTrailersAreReadWholeOnOneConnection) {
  StallingServer server(kChunkedHead +
                            "5;name=value\r\nhello\r\n6 ; q=\"x;y\"\r\n world\r\n"
                            "0;last\r\nX-Checksum: abc\r\nX-Other: 1\r\n\r\n",
                        StallingServer::After::Trickle, nullptr, "", 50ms);
  CapturingLogger logger;
  auto target = plainTargetFor(server.origin(), logger);
  for (int i = 0; i < 2; ++i) {
    SCOPED_TRACE(i);
    const auto [content, failed] = readFile(*target, "f");
    EXPECT_FALSE(failed) << logger.text();
    EXPECT_EQ(content, "hello world");
  }
  EXPECT_EQ(server.requests(), 2);
  EXPECT_EQ(server.connections(), 1) << "the second get() did not reuse the connection";
}

// Poco decodes only a Transfer-Encoding of exactly "chunked": "gzip, chunked" was read as plain
// bytes, and get() gave the chunk framing as the file. No coding is asked for (no TE header);
// such an answer fails the call, its connection closed.
TEST(WebDavChunked, AFileInATransferCodingTheClientDoesNotReadIsAnError) {
  StallingServer server(
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
      StallingServer::After::Close);
  CapturingLogger logger;
  auto target = plainTargetFor(server.origin(), logger);
  const auto [content, failed] = readFile(*target, "f");
  EXPECT_TRUE(failed) << "read as the file: " << content;
  EXPECT_NE(content.find("Transfer-Encoding: gzip, chunked; only chunked"), std::string::npos)
      << content << "\n"
      << logger.text();
}

// An answer chunked and with a Content-Length too was checked against the length (here more
// than it brings: a file or a listing failed as cut short) and its connection served the next
// request. Transfer-Encoding overrides the length (RFC 9112 6.3); a server or proxy framing one
// answer two ways may be the tool of a smuggling attempt, so the connection is closed after it.
TEST(WebDavChunked, AnAnswerChunkedAndWithAContentLengthIsReadByItsChunksOnItsOwnConnection) {
  const std::string framedTwice = "Content-Length: 100000\r\nTransfer-Encoding: chunked\r\n\r\n";
  {
    SCOPED_TRACE("get()");
    StallingServer server(
        "HTTP/1.1 200 OK\r\n" + framedTwice + "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n",
        StallingServer::After::Trickle, nullptr, "", 50ms);
    CapturingLogger logger;
    auto target = plainTargetFor(server.origin(), logger);
    for (int i = 0; i < 2; ++i) {
      const auto [content, failed] = readFile(*target, "f");
      EXPECT_FALSE(failed) << logger.text();
      EXPECT_EQ(content, "hello world");
    }
    EXPECT_EQ(server.connections(), 2) << "the connection served another request";
  }
  {
    SCOPED_TRACE("stat()");
    const std::string listing = multistatusFor("/dav/f", false, 5);
    std::ostringstream size;
    size << std::hex << listing.size();
    StallingServer server("HTTP/1.1 207 Multi-Status\r\n" + framedTwice + size.str() + "\r\n" +
                              listing + "\r\n0\r\n\r\n",
                          StallingServer::After::Trickle, nullptr, "", 50ms);
    CapturingLogger logger;
    auto target = plainTargetFor(server.origin(), logger);
    for (int i = 0; i < 2; ++i) {
      auto stat = target->stat("f");
      ASSERT_TRUE(stat) << stat.error().describe();
      EXPECT_EQ(stat->size, 5u);
    }
    EXPECT_EQ(server.connections(), 2) << "the connection served another request";
  }
}

TEST(WebDavChunked, AChunkSizeLineLongerThan4KiBIsRefused) {
  StallingServer server(kChunkedHead + "5;x=" + std::string(5000, 'a') + "\r\nhello\r\n0\r\n\r\n",
                        StallingServer::After::Close);
  CapturingLogger logger;
  auto target = plainTargetFor(server.origin(), logger);
  const auto [content, failed] = readFile(*target, "f");
  EXPECT_TRUE(failed) << content;
  EXPECT_EQ(content, "");
  EXPECT_NE(logger.text().find("a chunk-size line is longer than 4096 bytes"), std::string::npos)
      << logger.text();
}

// The whole answer is bounded, not only each receive (ConnectionAborter's watchdog): the head
// must come within readTimeoutSeconds, and the body at 1 KiB or more per readTimeoutSeconds.
// Before, a server trickling the head, a chunked body's size lines or the body (each receive
// inside the read timeout) held a call for as long as it kept trickling.

/// A target with a 1 s read timeout and no retry.
std::unique_ptr<webdav::WebDavTarget> quickTargetFor(const std::string& origin, Logger& logger,
                                                     const std::string& caFile = "") {
  return plainTargetFor(origin, logger, caFile, 1);
}

/// Runs `call` on a thread and expects it to end within `limit`; when it does not, cancels the
/// target (the test has failed) so that it ends.
template <class Call>
auto endsWithin(webdav::WebDavTarget& target, std::chrono::milliseconds limit, Call call) {
  auto running = std::async(std::launch::async, call);
  const bool ended = running.wait_for(limit) == std::future_status::ready;
  if (!ended) target.cancel();
  EXPECT_TRUE(ended) << "still waiting " << limit.count() << " ms in (read timeout 1 s)";
  return running.get();
}

/// Reads the target's file `name` to its end on a thread, within `limit`: what came, and
/// whether the stream failed.
std::pair<std::string, bool> readWithin(webdav::WebDavTarget& target, const std::string& name,
                                        std::chrono::milliseconds limit) {
  return endsWithin(target, limit, [&] {
    auto stream = target.get(name);
    if (!stream) return std::pair<std::string, bool>(stream.error().describe(), true);
    std::string content((std::istreambuf_iterator<char>(**stream)),
                        std::istreambuf_iterator<char>());
    return std::pair<std::string, bool>(std::move(content), (*stream)->bad());
  });
}

void expectTimedOut(const Result<EntryInfo>& stat, const std::string& what) {
  ASSERT_FALSE(stat) << "an answer trickled for ever was taken";
  EXPECT_EQ(stat.error().code, ErrorCode::Unavailable) << stat.error().describe();
  EXPECT_NE(stat.error().message.find("timed out"), std::string::npos) << stat.error().message;
  EXPECT_NE(stat.error().message.find(what), std::string::npos) << stat.error().message;
  EXPECT_NE(stat.error().message.find("readTimeoutSeconds"), std::string::npos)
      << stat.error().message;
}

TEST(WebDavDeadline, AHeadTrickledByteByByteTimesOutWithinTheReadTimeout) {
  // A header that never ends, a byte every 100 ms.
  StallingServer server("HTTP/1.1 207 Multi-Status\r\nX-Slow: ", StallingServer::After::Trickle,
                        nullptr, "a", 100ms);
  CapturingLogger logger;
  auto target = quickTargetFor(server.origin(), logger);
  const auto start = std::chrono::steady_clock::now();
  auto stat = endsWithin(*target, 4s, [&] { return target->stat("f"); });
  expectTimedOut(stat, "status line and headers of the answer did not arrive within 1 s");
  EXPECT_GE(std::chrono::steady_clock::now() - start, 900ms) << "cut before its deadline";
  EXPECT_NE(stat.error().message.find("PROPFIND /dav/f"), std::string::npos)
      << stat.error().message;
  // The same for a GET (get()'s own path), from a server of its own (this one trickles to
  // its first connection only).
  StallingServer another("HTTP/1.1 200 OK\r\nX-Slow: ", StallingServer::After::Trickle, nullptr,
                         "a", 100ms);
  auto other = quickTargetFor(another.origin(), logger);
  const auto [content, failed] = readWithin(*other, "f", 4s);
  EXPECT_TRUE(failed);
  EXPECT_NE(content.find("did not arrive within 1 s"), std::string::npos) << content;
}

TEST(WebDavDeadline, AChunkedBodyWhoseSizeLinesTrickleTimesOut) {
  // A chunk-size line whose extension never ends: no body byte ever comes.
  StallingServer server(
      "HTTP/1.1 207 Multi-Status\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n<?xml\r\n1;ext=",
      StallingServer::After::Trickle, nullptr, "a", 50ms);
  CapturingLogger logger;
  auto target = quickTargetFor(server.origin(), logger);
  auto stat = endsWithin(*target, 4s, [&] { return target->stat("f"); });
  expectTimedOut(stat, "slower than 1024 bytes per 1 s");
}

TEST(WebDavDeadline, ABodyBelowTheSpeedLimitTimesOutAndIsNeverTakenWhole) {
  // 20 bytes a second, each receive inside the read timeout.
  const std::string head = "HTTP/1.1 200 OK\r\nContent-Length: 1000000\r\n\r\n";
  StallingServer server(head);
  CapturingLogger logger;
  auto target = quickTargetFor(server.origin(), logger);
  const auto [content, failed] = readWithin(*target, "f", 4s);
  EXPECT_TRUE(failed) << "a body cut by the deadline read as a whole file";
  EXPECT_LT(content.size(), 1000u);
  EXPECT_NE(logger.text().find("slower than 1024 bytes per 1 s (readTimeoutSeconds)"),
            std::string::npos)
      << logger.text();
  // A PROPFIND's answer read whole (execute()) the same.
  StallingServer multistatus("HTTP/1.1 207 Multi-Status\r\nContent-Length: 1000000\r\n\r\n");
  auto other = quickTargetFor(multistatus.origin(), logger);
  auto stat = endsWithin(*other, 4s, [&] { return other->stat("f"); });
  expectTimedOut(stat, "slower than 1024 bytes per 1 s");
}

// A body slower than a read timeout in all, yet well above the speed limit, is not cut.
TEST(WebDavDeadline, ASlowBodyAboveTheSpeedLimitIsReadWhole) {
  const std::string head = "HTTP/1.1 200 OK\r\nContent-Length: 24576\r\n\r\n";
  StallingServer server(head, StallingServer::After::Trickle, nullptr, std::string(2048, 'y'),
                        200ms);
  CapturingLogger logger;
  auto target = quickTargetFor(server.origin(), logger);
  const auto start = std::chrono::steady_clock::now();
  const auto [content, failed] = readWithin(*target, "f", 8s);
  EXPECT_GT(std::chrono::steady_clock::now() - start, 1500ms) << "the body came too fast";
  EXPECT_FALSE(failed) << logger.text();
  EXPECT_EQ(content, std::string(24576, 'y'));
}

// Over TLS alike: the head's deadline, and the body's bytes counted under Poco's TLS session.
TEST_F(WebDavTlsTest, TheDeadlinesHoldOverTls) {
  {
    StallingServer server("HTTP/1.1 207 Multi-Status\r\nX-Slow: ", StallingServer::After::Trickle,
                          certs_->serverContext("good"), "a", 100ms);
    auto target = quickTargetFor(server.origin(), logger, certs_->caFile());
    auto stat = endsWithin(*target, 4s, [&] { return target->stat("f"); });
    expectTimedOut(stat, "did not arrive within 1 s");
  }
  StallingServer server("HTTP/1.1 200 OK\r\nContent-Length: 24576\r\n\r\n",
                        StallingServer::After::Trickle, certs_->serverContext("good"),
                        std::string(2048, 'y'), 200ms);
  auto target = quickTargetFor(server.origin(), logger, certs_->caFile());
  const auto [content, failed] = readWithin(*target, "f", 8s);
  EXPECT_FALSE(failed);
  EXPECT_EQ(content.size(), 24576u);
}

}  // namespace
}  // namespace dms::test
