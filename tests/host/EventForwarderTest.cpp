// dms-host's document-event forwarding (EventForwarder, issue 10) against a real loopback
// webhook and a real file: the JSON, the HMAC-SHA256 signature (RFC 4231 vector), and every
// way a delivery can fail coming back as an error (so the plugin offers the event again),
// within events.webhook.timeoutSeconds however the receiver trickles its answer, and stop().
#include <Poco/JSON/Parser.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/StreamCopier.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <future>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "EventForwarder.h"
#include "support/CapturingLogger.h"
#include "support/LoopbackHttpServer.h"
#include "support/TempDir.h"

namespace dms::host {
namespace {

using namespace std::chrono_literals;

DocumentEvent movedEvent() {
  DocumentEvent e;
  e.id = "0123456789abcdef0123456789abcdef";
  e.kind = DocumentEventKind::Moved;
  e.orderId = 1000001;
  e.assetId = "a1";
  e.path = "Trukket tilbake/x/kart.pdf";
  e.previousPath = "x/kart.pdf";
  e.metadata = {{"ambita.sha256", "ab12"}};
  e.time = "2026-11-29T16:00:00Z";
  return e;
}

TEST(EventForwarder, SignsWithHmacSha256) {
  // RFC 4231, test case 2.
  EXPECT_EQ(EventForwarder::signature("Jefe", "what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(EventForwarder, PostsTheSignedJsonAndAppendsTheSameLineToTheFile) {
  std::mutex mutex;
  std::string body, signature, contentType;
  test::LoopbackHttpServer webhook(
      [&](Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response) {
        std::lock_guard lock(mutex);
        Poco::StreamCopier::copyToString(request.stream(), body);
        signature = request.get("X-Dms-Signature", "");
        contentType = request.getContentType();
        response.setStatus(Poco::Net::HTTPResponse::HTTP_NO_CONTENT);
        response.send();
      });
  test::TempDir tmp;
  test::CapturingLogger logger;
  EventForwarding settings;
  settings.webhookUrl = webhook.origin() + "/hook";
  settings.webhookSecret = "a-shared-secret";
  settings.file = tmp.path() / "events.jsonl";
  EventForwarder forwarder(settings, logger);
  auto delivered = forwarder.deliver(movedEvent());
  ASSERT_TRUE(delivered.ok()) << delivered.error().describe();

  std::lock_guard lock(mutex);
  EXPECT_EQ(contentType, "application/json");
  EXPECT_EQ(signature, EventForwarder::signature("a-shared-secret", body));
  auto json = Poco::JSON::Parser().parse(body).extract<Poco::JSON::Object::Ptr>();
  EXPECT_EQ(json->getValue<std::string>("id"), "0123456789abcdef0123456789abcdef");
  EXPECT_EQ(json->getValue<std::string>("kind"), "moved");
  EXPECT_EQ(json->getValue<std::int64_t>("orderId"), 1000001);
  EXPECT_EQ(json->getValue<std::string>("previousPath"), "x/kart.pdf");
  EXPECT_EQ(json->getObject("metadata")->getValue<std::string>("ambita.sha256"), "ab12");
  EXPECT_FALSE(json->has("detail"));
  std::ifstream lines(settings.file);
  std::string line;
  ASSERT_TRUE(std::getline(lines, line));
  EXPECT_EQ(line, body);
  EXPECT_EQ(logger.text().find("a-shared-secret"), std::string::npos);
}

TEST(EventForwarder, AnyAnswerButTwoHundredsAndNoAnswerAreErrors) {
  int status = 500;
  test::LoopbackHttpServer webhook(
      [&](Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response) {
        std::string ignored;
        Poco::StreamCopier::copyToString(request.stream(), ignored);
        response.setStatus(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(status));
        response.send();
      });
  test::CapturingLogger logger;
  EventForwarding settings;
  settings.webhookUrl = webhook.origin() + "/hook?key=in-the-query";
  settings.webhookSecret = "a-shared-secret";
  EventForwarder forwarder(settings, logger);
  for (int refused : {500, 404, 302}) {
    status = refused;
    auto delivered = forwarder.deliver(movedEvent());
    ASSERT_FALSE(delivered.ok()) << refused;
    EXPECT_NE(delivered.error().message.find("answered " + std::to_string(refused)),
              std::string::npos)
        << delivered.error().message;
    EXPECT_EQ(delivered.error().message.find("in-the-query"), std::string::npos);
  }
  status = 200;
  EXPECT_TRUE(forwarder.deliver(movedEvent()).ok());

  settings.webhookUrl = "http://127.0.0.1:1/hook";  // nothing listens on port 1
  auto down = EventForwarder(settings, logger).deliver(movedEvent());
  ASSERT_FALSE(down.ok());
  EXPECT_NE(down.error().message.find("events.webhook.url (127.0.0.1:1)"), std::string::npos)
      << down.error().message;
}

TEST(EventForwarder, AFileThatCannotBeWrittenIsAnErrorNamingIt) {
  test::CapturingLogger logger;
  EventForwarding settings;
  settings.file = "/nonexistent-folder/events.jsonl";
  auto delivered = EventForwarder(settings, logger).deliver(movedEvent());
  ASSERT_FALSE(delivered.ok());
  EXPECT_NE(delivered.error().message.find("events.file: cannot append to "
                                           "'/nonexistent-folder/events.jsonl'"),
            std::string::npos)
      << delivered.error().message;
}

/// A webhook receiver on 127.0.0.1:<free port>, one connection at a time: to its first
/// connection it sends a status line and then a header a byte every 100 ms (each receive
/// inside any timeout, the head never done) until the client goes, for at most 4 s; to the
/// later ones it answers 204 and records the body.
class TricklingWebhook {
 public:
  TricklingWebhook() : socket_(Poco::Net::SocketAddress("127.0.0.1", 0)) {
    thread_ = std::thread([this] { run(); });
  }
  ~TricklingWebhook() {
    stopping_ = true;
    thread_.join();
  }
  std::string url() const {
    return "http://127.0.0.1:" + std::to_string(socket_.address().port()) + "/hook?key=secret-q";
  }
  std::vector<std::string> bodies() const {
    std::lock_guard lock(mutex_);
    return bodies_;
  }
  int connections() const { return connections_.load(); }

 private:
  void run() {
    while (!stopping_) {
      if (!socket_.poll(Poco::Timespan(0, 20'000), Poco::Net::Socket::SELECT_READ)) continue;
      Poco::Net::StreamSocket connection = socket_.acceptConnection();
      try {
        const std::string request = readRequest(connection);
        if (connections_++ == 0) {
          trickle(connection);
        } else {
          std::lock_guard lock(mutex_);
          bodies_.push_back(request.substr(request.find("\r\n\r\n") + 4));
          const std::string answer = "HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n";
          connection.sendBytes(answer.data(), static_cast<int>(answer.size()));
        }
      } catch (const Poco::Exception&) {
        // the client went away
      }
    }
  }
  /// The head and the Content-Length bytes of body after it.
  std::string readRequest(Poco::Net::StreamSocket& connection) {
    connection.setReceiveTimeout(Poco::Timespan(5, 0));
    std::string request;
    char buffer[4096];
    while (true) {
      const auto end = request.find("\r\n\r\n");
      if (end != std::string::npos) {
        const auto length = request.find("Content-Length: ");
        if (length != std::string::npos &&
            request.size() >= end + 4 + std::stoul(request.substr(length + 16)))
          return request;
      }
      const int n = connection.receiveBytes(buffer, sizeof buffer);
      if (n <= 0) return request;
      request.append(buffer, static_cast<std::size_t>(n));
    }
  }
  void trickle(Poco::Net::StreamSocket& connection) {
    const std::string head = "HTTP/1.1 200 OK\r\nX-Slow: ";
    connection.sendBytes(head.data(), static_cast<int>(head.size()));
    const auto giveUp = std::chrono::steady_clock::now() + 4s;
    while (!stopping_ && std::chrono::steady_clock::now() < giveUp) {
      std::this_thread::sleep_for(100ms);
      connection.sendBytes("a", 1);  // throws once the client has gone
    }
  }

  Poco::Net::ServerSocket socket_;
  std::atomic<bool> stopping_{false};
  std::atomic<int> connections_{0};
  mutable std::mutex mutex_;
  std::vector<std::string> bodies_;
  std::thread thread_;
};

EventForwarding webhookAt(const TricklingWebhook& webhook, std::chrono::milliseconds timeout) {
  EventForwarding settings;
  settings.webhookUrl = webhook.url();
  settings.webhookSecret = "a-shared-secret";
  settings.webhookTimeout = timeout;
  return settings;
}

// A receiver that trickled its head a byte at a time held the forwarder for as long as it
// liked (each receive inside events.webhook.timeoutSeconds), and every later event waited
// behind it. The whole POST now ends within the timeout: an error naming the timeout (and the
// host, not the URL's query), so the plugin keeps the event and offers it again; a good
// receiver then gets it.
TEST(EventForwarder, APostWhoseAnswerTricklesEndsWithinTheTimeoutAndTheEventIsSentAgain) {
  TricklingWebhook webhook;
  test::CapturingLogger logger;
  EventForwarder forwarder(webhookAt(webhook, 1000ms), logger);
  const auto start = std::chrono::steady_clock::now();
  auto trickled = forwarder.deliver(movedEvent());
  const auto took = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(trickled.ok()) << "a head that never ended was taken as an answer";
  EXPECT_LT(took, 2500ms) << "the POST outlived its 1 s deadline";
  EXPECT_GE(took, 900ms) << "cut before its deadline";
  EXPECT_EQ(trickled.error().code, ErrorCode::Unavailable);
  EXPECT_NE(trickled.error().message.find("events.webhook.url (127.0.0.1:"), std::string::npos)
      << trickled.error().message;
  EXPECT_NE(trickled.error().message.find(
                "timed out: the whole exchange (request and answer) did not end within 1 s "
                "(events.webhook.timeoutSeconds)"),
            std::string::npos)
      << trickled.error().message;
  EXPECT_EQ(trickled.error().message.find("secret"), std::string::npos);

  auto again = forwarder.deliver(movedEvent());  // the receiver answers now
  ASSERT_TRUE(again.ok()) << again.error().describe();
  ASSERT_EQ(webhook.bodies().size(), 1u);
  EXPECT_EQ(webhook.bodies()[0], EventForwarder::toJson(movedEvent()));
}

// stop() (the host stopping) cuts a POST in flight at once, however long its timeout, and
// refuses later ones: the plugin's stop, which waits for the delivery, is not held.
TEST(EventForwarder, StopEndsAPostInFlightAtOnce) {
  TricklingWebhook webhook;
  test::CapturingLogger logger;
  EventForwarder forwarder(webhookAt(webhook, 60'000ms), logger);
  auto delivery = std::async(std::launch::async, [&] { return forwarder.deliver(movedEvent()); });
  const auto giveUp = std::chrono::steady_clock::now() + 5s;
  while (webhook.connections() == 0 && std::chrono::steady_clock::now() < giveUp)
    std::this_thread::sleep_for(5ms);
  std::this_thread::sleep_for(200ms);  // now in the answer's wait
  const auto start = std::chrono::steady_clock::now();
  forwarder.stop();
  ASSERT_EQ(delivery.wait_for(1s), std::future_status::ready) << "stop() did not end the POST";
  EXPECT_LT(std::chrono::steady_clock::now() - start, 1s);
  auto stopped = delivery.get();
  ASSERT_FALSE(stopped.ok());
  EXPECT_EQ(stopped.error().code, ErrorCode::Cancelled) << stopped.error().describe();
  auto later = forwarder.deliver(movedEvent());
  ASSERT_FALSE(later.ok());
  EXPECT_EQ(later.error().code, ErrorCode::Cancelled) << later.error().describe();
  EXPECT_TRUE(webhook.bodies().empty());
}

}  // namespace
}  // namespace dms::host
