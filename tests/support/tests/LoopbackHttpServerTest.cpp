// Tests of support/LoopbackHttpServer, the base of the tests' scripted HTTP servers: its
// destructor must not return while an answer function still runs, or the answer uses the
// test's freed variables (what ASan and TSan reported for the API and WebDAV tests' servers).
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <string>
#include <thread>

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/StreamCopier.h>

#include "support/LoopbackHttpServer.h"

namespace dms::test {
namespace {

using namespace std::chrono_literals;

TEST(LoopbackHttpServer, AnswersRequestsOnItsOrigin) {
  LoopbackHttpServer server(
      [](Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response) {
        const std::string body = "you asked for " + request.getURI();
        response.setContentLength64(static_cast<Poco::Int64>(body.size()));
        response.send() << body;
      });
  EXPECT_EQ(server.origin(), "http://127.0.0.1:" + std::to_string(server.port()));
  Poco::Net::HTTPClientSession session("127.0.0.1", server.port());
  Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_GET, "/x");
  session.sendRequest(request);
  Poco::Net::HTTPResponse response;
  std::string body;
  Poco::StreamCopier::copyToString(session.receiveResponse(response), body);
  EXPECT_EQ(response.getStatus(), Poco::Net::HTTPResponse::HTTP_OK);
  EXPECT_EQ(body, "you asked for /x");
}

TEST(LoopbackHttpServer, DestructorWaitsForAnAnswerStillRunning) {
  std::promise<void> entered;
  std::atomic<bool> returned{false};
  auto server = std::make_unique<LoopbackHttpServer>(
      [&](Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse&) {
        entered.set_value();
        // The body never comes: this read ends only when stopping aborts the connection.
        try {
          std::string body;
          Poco::StreamCopier::copyToString(request.stream(), body);
        } catch (const Poco::Exception&) {
        }
        // Work after the abort, as a slow answer does (Poco's own stop() would return now).
        std::this_thread::sleep_for(200ms);
        returned = true;
      });
  Poco::Net::StreamSocket client(Poco::Net::SocketAddress("127.0.0.1", server->port()));
  const std::string head =
      "POST /slow HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100\r\n\r\nabc";
  client.sendBytes(head.data(), static_cast<int>(head.size()));
  ASSERT_EQ(entered.get_future().wait_for(30s), std::future_status::ready);
  server.reset();
  EXPECT_TRUE(returned) << "the server was destroyed while its answer function still ran";
}

}  // namespace
}  // namespace dms::test
