// dms-host's document-event forwarding (EventForwarder, issue 10) against a real loopback
// webhook and a real file: the JSON, the HMAC-SHA256 signature (RFC 4231 vector), and every
// way a delivery can fail coming back as an error (so the plugin offers the event again).
#include <Poco/JSON/Parser.h>
#include <Poco/StreamCopier.h>
#include <gtest/gtest.h>

#include <fstream>
#include <mutex>

#include "EventForwarder.h"
#include "support/CapturingLogger.h"
#include "support/LoopbackHttpServer.h"
#include "support/TempDir.h"

namespace dms::host {
namespace {

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

}  // namespace
}  // namespace dms::host
