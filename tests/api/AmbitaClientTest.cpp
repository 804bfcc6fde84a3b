#include <atomic>
#include <chrono>
#include <sstream>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/ServerSocket.h>

#include "ClientFixture.h"
#include "api/OrderRequest.h"

namespace ambita::test {
namespace {

using namespace std::chrono_literals;
using Req = Poco::Net::HTTPServerRequest;
using Resp = Poco::Net::HTTPServerResponse;

class AmbitaClientTest : public ClientFixture {
 protected:
  /// GET /kode/v1/orders/{id} answered with a valid order when the token is good.
  void serveOrders() {
    api = [this](Req& req, Resp& resp, const std::string&) {
      if (!tokens.authorize(req, resp)) return;
      const std::string path = Poco::URI(req.getURI()).getPath();
      reply(resp, 200, orderJson(std::stoll(path.substr(path.rfind('/') + 1))));
    };
  }

  /// getOrder(1) on a client with a 1 s read timeout and one attempt: it must fail as timed out
  /// after the read timeout and well before the server stops (4 s). Returns the message.
  std::string quickGetOrderTimesOut() {
    makeQuickClient();
    const auto start = std::chrono::steady_clock::now();
    auto r = client().getOrder(1);
    const auto took = std::chrono::steady_clock::now() - start;
    if (r) {
      ADD_FAILURE() << "an answer trickled for ever was taken";
      return {};
    }
    EXPECT_LT(took, std::chrono::seconds(4)) << r.error().describe();
    EXPECT_GE(took, std::chrono::milliseconds(900)) << "cut before its deadline";
    EXPECT_EQ(r.error().code, dms::ErrorCode::Unavailable) << r.error().describe();
    return r.error().message;
  }

  /// getOrder(1) with cancel() called from another thread after `delay`: it must end Cancelled
  /// within 3 s.
  void expectGetOrderCancelledAfter(std::chrono::milliseconds delay) {
    std::thread stopper([&] {
      std::this_thread::sleep_for(delay);
      client().cancel();
    });
    const auto start = std::chrono::steady_clock::now();
    auto r = client().getOrder(1);
    stopper.join();
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, dms::ErrorCode::Cancelled) << r.error().message;
    EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);
  }

  api::NewOrder cadastreOrder() {
    auto data = api::OrderRequest::cadastreData("9999-1-1-0-0", "Infoveien 1, 9999 Infoland");
    return *api::OrderRequest::make(api::OrderKind::Cadastre, *data, {"WI99990033"}, {},
                                    "assignment-2024-117", "dms-case-8812");
  }
};

TEST_F(AmbitaClientTest, PasswordGrantOnceThenTokenReused) {
  serveOrders();
  for (int i = 1; i <= 3; ++i) {
    auto o = client().getOrder(100 + i);
    ASSERT_TRUE(o) << o.error().describe();
    EXPECT_EQ(o->id, 100 + i);
  }
  EXPECT_EQ(tokens.passwordGrants(), 1);
  EXPECT_EQ(tokens.refreshGrants(), 0);
  for (const auto& r : server->requests()) {
    if (r.path != "/authentication/v2/token") {
      EXPECT_EQ(r.authorization.rfind("Bearer acc-", 0), 0u);
    }
  }
}

TEST_F(AmbitaClientTest, TokenRejectedMidRunIsRefreshedOnceAndCallRetried) {
  serveOrders();
  ASSERT_TRUE(client().getOrder(1));
  tokens.expireAccessTokens();  // the server forgets the token: next call gets 401
  auto o = client().getOrder(2);
  ASSERT_TRUE(o) << o.error().describe();
  EXPECT_EQ(tokens.passwordGrants(), 1);
  EXPECT_EQ(tokens.refreshGrants(), 1);
  EXPECT_EQ(server->count("/kode/v1/orders/2"), 2u);  // 401, then success
}

TEST_F(AmbitaClientTest, ATokenExpiringAgainDuringTheResendIsRenewedAgainUpToABound) {
  // Every order request expires the token it carried (as if tokens kept expiring while the
  // call was slow): the call renews, but a bounded number of times, then fails naming the 401.
  int answered = 0;
  api = [this, &answered](Req& req, Resp& resp, const std::string&) {
    ++answered;
    tokens.expireAccessTokens();
    tokens.authorize(req, resp);
  };
  auto o = client().getOrder(7);
  ASSERT_FALSE(o);
  EXPECT_EQ(o.error().code, dms::ErrorCode::Unauthenticated) << o.error().describe();
  EXPECT_NE(o.error().message.find("401"), std::string::npos) << o.error().message;
  EXPECT_EQ(server->count("/kode/v1/orders/7"), 4u);  // the first send and 3 renewals
  EXPECT_EQ(tokens.refreshGrants(), 3);

  // Expiring twice in one call is survived.
  answered = 0;
  api = [this, &answered](Req& req, Resp& resp, const std::string&) {
    if (++answered <= 2) tokens.expireAccessTokens();
    if (!tokens.authorize(req, resp)) return;
    reply(resp, 200, orderJson(8));
  };
  auto again = client().getOrder(8);
  ASSERT_TRUE(again) << again.error().describe();
  EXPECT_EQ(server->count("/kode/v1/orders/8"), 3u);  // 401, 401, success
}

TEST_F(AmbitaClientTest, RefusedRefreshFallsBackToPasswordGrant) {
  serveOrders();
  ASSERT_TRUE(client().getOrder(1));
  tokens.expireAccessTokens();
  tokens.expireRefreshTokens();
  auto o = client().getOrder(2);
  ASSERT_TRUE(o) << o.error().describe();
  EXPECT_EQ(tokens.refreshGrants(), 1);
  EXPECT_EQ(tokens.passwordGrants(), 2);
}

TEST_F(AmbitaClientTest, TokenRenewedShortlyBeforeExpiryWithRotation) {
  tokens.lifetimeSeconds = 1;  // the client renews after 3/4 of the lifetime
  std::atomic<int> rejected{0};
  api = [&](Req& req, Resp& resp, const std::string&) {
    if (!tokens.authorize(req, resp)) {
      ++rejected;
      return;
    }
    reply(resp, 200, orderJson(1));
  };
  ASSERT_TRUE(client().getOrder(1));
  std::this_thread::sleep_for(800ms);
  ASSERT_TRUE(client().getOrder(1));
  std::this_thread::sleep_for(800ms);
  ASSERT_TRUE(client().getOrder(1));
  EXPECT_EQ(tokens.passwordGrants(), 1);
  EXPECT_EQ(tokens.refreshGrants(), 2);  // each refresh used the rotated refresh token
  EXPECT_EQ(rejected.load(), 0);
}

TEST_F(AmbitaClientTest, ConcurrentCallsShareOneToken) {
  serveOrders();
  // One client shared by every thread (the fixture makes it lazily: not from the threads).
  api::AmbitaClient& shared = client();
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int i = 0; i < 8; ++i)
    threads.emplace_back([&, i] { ok += shared.getOrder(10 + i) ? 1 : 0; });
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 8);
  EXPECT_EQ(tokens.passwordGrants(), 1);
}

TEST_F(AmbitaClientTest, WrongPasswordIsUnauthenticatedWithoutSecrets) {
  serveOrders();
  auto o = options();
  o.password = "wrong-password-123";
  makeClient(o);
  auto r = client().getOrder(1);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, dms::ErrorCode::Unauthenticated);
  EXPECT_NE(r.error().message.find("invalid_grant"), std::string::npos) << r.error().message;
  EXPECT_EQ(r.error().message.find("wrong-password-123"), std::string::npos);
  expectNoSecret(r.error().message);
  EXPECT_EQ(logger.text().find("wrong-password-123"), std::string::npos);
}

TEST_F(AmbitaClientTest, SecretsAndTokensNeverLoggedOrInErrors) {
  // A server that echoes the Authorization header and body in its errors: the client must
  // still never repeat them.
  std::atomic<int> calls{0};
  api = [&](Req& req, Resp& resp, const std::string& body) {
    if (!tokens.authorize(req, resp)) return;
    if (++calls < 3) {
      reply(resp, 503, "{\"message\":\"overloaded, you sent " + req.get("Authorization") + "\"}");
      return;
    }
    reply(resp, 400, "{\"message\":\"bad: " + req.get("Authorization") + body + "\"}");
  };
  auto r = client().getOrder(5);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, dms::ErrorCode::InvalidArgument);
  tokens.expireAccessTokens();
  (void)client().getOrder(6);
  expectNoSecret(r.error().message);
  expectNoSecret(logger.text());
  EXPECT_NE(logger.text().find("retrying"), std::string::npos);  // it did log the retries
  EXPECT_NE(r.error().message.find("***"), std::string::npos) << r.error().message;
}

TEST_F(AmbitaClientTest, ServerErrorsRetriedWithBackoff) {
  std::atomic<int> calls{0};
  api = [&](Req& req, Resp& resp, const std::string&) {
    if (!tokens.authorize(req, resp)) return;
    if (++calls <= 2) return reply(resp, calls == 1 ? 500 : 502, "oops");
    reply(resp, 200, orderJson(9));
  };
  auto o = client().getOrder(9);
  ASSERT_TRUE(o) << o.error().describe();
  EXPECT_EQ(calls.load(), 3);
}

TEST_F(AmbitaClientTest, GivesUpAfterMaxAttempts) {
  api = [&](Req& req, Resp& resp, const std::string&) {
    if (!tokens.authorize(req, resp)) return;
    reply(resp, 503, "{\"message\":\"down for maintenance\"}");
  };
  auto o = client().getOrder(9);
  ASSERT_FALSE(o);
  EXPECT_EQ(o.error().code, dms::ErrorCode::Unavailable);
  EXPECT_NE(o.error().message.find("503"), std::string::npos);
  EXPECT_NE(o.error().message.find("down for maintenance"), std::string::npos);
  EXPECT_NE(o.error().message.find("gave up after 4 attempts"), std::string::npos)
      << o.error().message;
  EXPECT_EQ(server->count("/kode/v1/orders/9"), 4u);
}

TEST_F(AmbitaClientTest, RetryAfterHonoured) {
  std::atomic<int> calls{0};
  api = [&](Req& req, Resp& resp, const std::string&) {
    if (!tokens.authorize(req, resp)) return;
    if (++calls == 1) {
      resp.set("Retry-After", "1");
      return reply(resp, 429, "{\"message\":\"slow down\"}");
    }
    reply(resp, 200, orderJson(3));
  };
  const auto start = std::chrono::steady_clock::now();
  auto o = client().getOrder(3);
  ASSERT_TRUE(o) << o.error().describe();
  EXPECT_GE(std::chrono::steady_clock::now() - start, 950ms);
}

TEST_F(AmbitaClientTest, RateLimitBeyondTotalRetryTimeIsReported) {
  api = [&](Req& req, Resp& resp, const std::string&) {
    if (!tokens.authorize(req, resp)) return;
    resp.set("Retry-After", "3600");
    reply(resp, 429, "{}");
  };
  auto o = client().getOrder(3);
  ASSERT_FALSE(o);
  EXPECT_EQ(o.error().code, dms::ErrorCode::RateLimited);
  ASSERT_TRUE(o.error().retryAfter.has_value());
  EXPECT_EQ(o.error().retryAfter->count(), 3'600'000);
}

TEST_F(AmbitaClientTest, MalformedJsonOnReadIsAskedAgain) {
  std::atomic<int> calls{0};
  api = [&](Req& req, Resp& resp, const std::string&) {
    if (!tokens.authorize(req, resp)) return;
    if (++calls == 1) return reply(resp, 200, "{\"id\": 4, \"orders\": [");
    reply(resp, 200, orderJson(4));
  };
  auto o = client().getOrder(4);
  ASSERT_TRUE(o) << o.error().describe();
  EXPECT_EQ(calls.load(), 2);

  api = [&](Req& req, Resp& resp, const std::string&) {
    if (!tokens.authorize(req, resp)) return;
    reply(resp, 200, "<html>");
  };
  auto bad = client().getOrder(4);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, dms::ErrorCode::InvalidArgument);
  EXPECT_NE(bad.error().message.find("malformed JSON"), std::string::npos);
}

// The order is read while the text is parsed (api/OrderReader): a wrong field early in a
// garbled answer must not turn it into a final refusal; it is still asked again.
TEST_F(AmbitaClientTest, MalformedJsonAfterAWrongFieldIsStillAskedAgain) {
  std::atomic<int> calls{0};
  api = [&](Req& req, Resp& resp, const std::string&) {
    if (!tokens.authorize(req, resp)) return;
    if (++calls == 1) return reply(resp, 200, R"({"id": "not a number", "orders": []} <html>)");
    reply(resp, 200, orderJson(4));
  };
  auto o = client().getOrder(4);
  ASSERT_TRUE(o) << o.error().describe();
  EXPECT_EQ(o->id, 4);
  EXPECT_EQ(calls.load(), 2);
}

TEST_F(AmbitaClientTest, WrongShapeNamesJsonPath) {
  api = [&](Req& req, Resp& resp, const std::string&) {
    if (!tokens.authorize(req, resp)) return;
    reply(resp, 200, R"({"id": 4, "orders": [{"id": 1, "assets": [{"id": []}]}]})");
  };
  auto o = client().getOrder(4);
  ASSERT_FALSE(o);
  EXPECT_EQ(o.error().code, dms::ErrorCode::InvalidArgument);
  EXPECT_NE(o.error().message.find("orders[0].assets[0].id: expected a string"), std::string::npos)
      << o.error().message;
  EXPECT_EQ(server->count("/kode/v1/orders/4"), 1u);  // not asked again: it would not change
}

TEST_F(AmbitaClientTest, NotFoundAndRefusals) {
  api = [&](Req& req, Resp& resp, const std::string&) {
    if (!tokens.authorize(req, resp)) return;
    if (req.getURI().find("products") != std::string::npos)
      return reply(resp, 400, "{\"message\":\"unknown municipality 1234\"}");
    reply(resp, 404, "{\"message\":\"no such order\"}");
  };
  auto o = client().getOrder(77);
  ASSERT_FALSE(o);
  EXPECT_EQ(o.error().code, dms::ErrorCode::NotFound);
  EXPECT_NE(o.error().message.find("77"), std::string::npos);
  auto p = client().products("1234");
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().code, dms::ErrorCode::InvalidArgument);
  EXPECT_NE(p.error().message.find("unknown municipality 1234"), std::string::npos);
  auto local = client().products("12a4");
  ASSERT_FALSE(local);
  EXPECT_NE(local.error().message.find("municipality: expected a 4-digit"), std::string::npos);
}

TEST_F(AmbitaClientTest, CreateOrderSendsDocumentedBody) {
  api = [&](Req& req, Resp& resp, const std::string&) {
    if (!tokens.authorize(req, resp)) return;
    reply(resp, 201, orderJson(555));
  };
  auto o = client().createOrder(cadastreOrder());
  ASSERT_TRUE(o) << o.error().describe();
  EXPECT_EQ(o->id, 555);
  const auto reqs = server->requests();
  const auto& last = reqs.back();
  EXPECT_EQ(last.method, "POST");
  EXPECT_EQ(last.path, "/kode/v1/orders/cadastre");
  EXPECT_NE(last.contentType.find("application/json"), std::string::npos);
  Poco::JSON::Parser p;
  auto body = p.parse(last.body).extract<Poco::JSON::Object::Ptr>();
  EXPECT_EQ(body->getValue<std::string>("reference"), "assignment-2024-117");
  EXPECT_EQ(body->getObject("orderData")->getValue<std::string>("cadastre"), "9999-1-1-0-0");
}

TEST_F(AmbitaClientTest, CreateOrderNeverRepeatedAfterDroppedConnection) {
  api = [&](Req& req, Resp& resp, const std::string&) {
    if (!tokens.authorize(req, resp)) return;
    dropConnection(req);  // the order "was created", but the answer never comes
  };
  auto o = client().createOrder(cadastreOrder());
  ASSERT_FALSE(o);
  EXPECT_EQ(o.error().code, dms::ErrorCode::Conflict);
  EXPECT_FALSE(dms::isRetryable(o.error().code));
  EXPECT_NE(o.error().message.find("may or may not have been created"), std::string::npos)
      << o.error().message;
  EXPECT_NE(o.error().message.find("assignment-2024-117"), std::string::npos);
  EXPECT_EQ(server->count("/kode/v1/orders/cadastre"), 1u);
}

TEST_F(AmbitaClientTest, CreateOrderNeverRepeatedAfterServerError) {
  api = [&](Req& req, Resp& resp, const std::string&) {
    if (!tokens.authorize(req, resp)) return;
    reply(resp, 500, "{\"message\":\"internal\"}");
  };
  auto o = client().createOrder(cadastreOrder());
  ASSERT_FALSE(o);
  EXPECT_EQ(o.error().code, dms::ErrorCode::Conflict);
  EXPECT_NE(o.error().message.find("may or may not have been created"), std::string::npos);
  EXPECT_EQ(server->count("/kode/v1/orders/cadastre"), 1u);
}

TEST_F(AmbitaClientTest, CreateOrderRetriedWhenServerRefusedIt) {
  std::atomic<int> calls{0};
  api = [&](Req& req, Resp& resp, const std::string&) {
    if (!tokens.authorize(req, resp)) return;
    if (++calls == 1) return reply(resp, 503, "{}");
    if (calls == 2) {
      tokens.expireAccessTokens();  // and a 401 on the next one
      return reply(resp, 429, "{}");
    }
    reply(resp, 201, orderJson(556));
  };
  auto o = client().createOrder(cadastreOrder());
  ASSERT_TRUE(o) << o.error().describe();
  EXPECT_EQ(o->id, 556);
  EXPECT_EQ(server->count("/kode/v1/orders/cadastre"), 4u);  // 503, 429, 401, 201
}

TEST_F(AmbitaClientTest, CreateOrderWithUnreadableAnswerIsAmbiguous) {
  api = [&](Req& req, Resp& resp, const std::string&) {
    if (!tokens.authorize(req, resp)) return;
    reply(resp, 201, "{\"id\": ");
  };
  auto o = client().createOrder(cadastreOrder());
  ASSERT_FALSE(o);
  EXPECT_EQ(o.error().code, dms::ErrorCode::Conflict);
  EXPECT_NE(o.error().message.find("may or may not have been created"), std::string::npos);
  EXPECT_EQ(server->count("/kode/v1/orders/cadastre"), 1u);
}

TEST_F(AmbitaClientTest, ReadTimeoutEndsInClearError) {
  api = [&](Req& req, Resp& resp, const std::string&) {
    if (!tokens.authorize(req, resp)) return;
    std::this_thread::sleep_for(700ms);
    reply(resp, 200, orderJson(1));
  };
  auto o = options();
  o.readTimeout = 200ms;
  o.maxAttempts = 2;
  makeClient(o);
  const auto start = std::chrono::steady_clock::now();
  auto r = client().getOrder(1);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, dms::ErrorCode::Unavailable);
  EXPECT_NE(r.error().message.find("timed out"), std::string::npos) << r.error().message;
  EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);
}

/// Answers with a declared body of 1 MB sent 2 KiB every 50 ms (40 KiB/s: each receive within
/// the read timeout, and faster than the low-speed limit) for at most `longest`, then ends.
void trickle(Resp& resp, std::chrono::milliseconds longest) {
  resp.setContentType("application/json");
  resp.setContentLength(1'000'000);
  std::ostream& out = resp.send();
  const auto end = std::chrono::steady_clock::now() + longest;
  const std::string spaces(2048, ' ');
  while (out && std::chrono::steady_clock::now() < end) {
    out << spaces << std::flush;
    std::this_thread::sleep_for(50ms);
  }
}

// readTimeout bounds each wait for bytes; a server trickling its answer must not hold a call
// beyond a bound of the whole (before: for as long as it kept trickling). Here above the
// low-speed limit: the JSON answer's own bound (10 x readTimeout) ends it.
TEST_F(AmbitaClientTest, AnAnswerTrickledByteByByteEndsInClearError) {
  api = [&](Req& req, Resp& resp, const std::string&) {
    if (!tokens.authorize(req, resp)) return;
    trickle(resp, 8s);
  };
  auto o = options();
  o.readTimeout = 200ms;
  o.maxAttempts = 1;
  makeClient(o);
  const auto start = std::chrono::steady_clock::now();
  auto r = client().getOrder(1);
  ASSERT_FALSE(r);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
  EXPECT_EQ(r.error().code, dms::ErrorCode::Unavailable);
  EXPECT_NE(r.error().message.find("did not come whole within 2 s"), std::string::npos)
      << r.error().message;
}

// The head (status line and headers) must arrive whole within readTimeout: a server
// trickling it a byte at a time (each receive inside readTimeout) held the call for as long as
// it kept on.
TEST_F(AmbitaClientTest, AHeadTrickledByteByByteTimesOutWithinTheReadTimeout) {
  api = [&](Req& req, Resp& resp, const std::string&) {
    if (!tokens.authorize(req, resp)) return;
    trickleRaw(req, "HTTP/1.1 200 OK\r\nX-Slow: ", "a", 100ms, 10s);  // a header never ending
  };
  const std::string message = quickGetOrderTimesOut();
  EXPECT_NE(message.find("GET /kode/v1/orders/1: timed out"), std::string::npos) << message;
  EXPECT_NE(message.find("status line and headers of the answer did not arrive within 1 s "
                         "(ambita.readTimeoutSeconds)"),
            std::string::npos)
      << message;
}

// A chunked answer whose chunk-size line never ends (an extension a byte at a time) brings no
// body byte: the low-speed limit ends it.
TEST_F(AmbitaClientTest, AChunkedAnswerWhoseSizeLinesTrickleTimesOut) {
  api = [&](Req& req, Resp& resp, const std::string&) {
    if (!tokens.authorize(req, resp)) return;
    trickleRaw(req,
               "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
               "Transfer-Encoding: chunked\r\n\r\n1\r\n{\r\n1;ext=",
               "a", 50ms, 10s);
  };
  const std::string message = quickGetOrderTimesOut();
  EXPECT_NE(message.find("slower than 1024 bytes per 1 s (ambita.readTimeoutSeconds)"),
            std::string::npos)
      << message;
}

// A chunked answer whose connection closed before its last chunk may still parse (a list cut
// between two entries): Poco's stream ended it quietly and it was taken whole. It is asked for
// again now (dms::http::ChunkedBody).
TEST_F(AmbitaClientTest, AChunkedAnswerCutBeforeItsLastChunkIsAskedForAgain) {
  std::atomic<int> calls{0};
  api = [&](Req& req, Resp& resp, const std::string&) {
    if (!tokens.authorize(req, resp)) return;
    const std::string json = orderJson(1);
    std::ostringstream size;
    size << std::hex << json.size();
    const std::string cut =
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n" +
        size.str() + "\r\n" + json + "\r\n";
    if (++calls == 1) return trickleRaw(req, cut, "", 1ms, 0ms);
    trickleRaw(req, cut + "0\r\n\r\n", "", 1ms, 0ms);
  };
  auto o = client().getOrder(1);
  ASSERT_TRUE(o) << o.error().describe();
  EXPECT_EQ(calls, 2) << "an answer cut before its last chunk was taken whole";
}

// An answer chunked and with a Content-Length too: Transfer-Encoding overrides the length (RFC
// 9112 6.3), and a server or proxy framing one answer two ways may be the tool of a smuggling
// attempt, so the connection is closed after it. It served the next call.
TEST_F(AmbitaClientTest, AnAnswerChunkedAndWithAContentLengthIsReadByItsChunksOnItsOwnConnection) {
  api = [&](Req& req, Resp& resp, const std::string&) {
    if (!tokens.authorize(req, resp)) return;
    resp.setContentType("application/json");
    resp.setChunkedTransferEncoding(true);
    resp.set("Content-Length", "3");  // a reader by the length would take `{"i`
    resp.send() << orderJson(1);
  };
  for (int i = 0; i < 2; ++i) {
    auto o = client().getOrder(1);
    ASSERT_TRUE(o) << o.error().describe();
  }
  std::vector<std::string> peers;
  for (const auto& r : server->requests())
    if (r.path == "/kode/v1/orders/1") peers.push_back(r.peer);
  ASSERT_EQ(peers.size(), 2u);
  EXPECT_NE(peers[0], peers[1]) << "the connection served another call after such an answer";
}

TEST_F(AmbitaClientTest, CancelEndsATrickledAnswer) {
  api = [&](Req& req, Resp& resp, const std::string&) {
    if (!tokens.authorize(req, resp)) return;
    trickle(resp, 8s);
  };
  makeClient(options());
  expectGetOrderCancelledAfter(300ms);
}

// A server that took the call and never answers: cancel() cuts the connection, so the call
// ends at once instead of after readTimeout (before: the whole read timeout, here 30 s).
TEST_F(AmbitaClientTest, CancelCutsACallTheServerNeverAnswers) {
  std::atomic<bool> released{false};
  api = [&](Req& req, Resp& resp, const std::string&) {
    if (!tokens.authorize(req, resp)) return;
    for (int i = 0; i < 400 && !released; ++i) std::this_thread::sleep_for(20ms);
    reply(resp, 200, orderJson(1));
  };
  auto o = options();
  o.readTimeout = 30s;
  makeClient(o);
  expectGetOrderCancelledAfter(300ms);
  released = true;
}

TEST_F(AmbitaClientTest, ConnectionRefusedIsUnavailable) {
  auto o = options();
  {
    Poco::Net::ServerSocket s(Poco::Net::SocketAddress("127.0.0.1", 0));
    o.baseUrl = "http://127.0.0.1:" + std::to_string(s.address().port());
  }  // closed again: nothing listens there now
  o.maxAttempts = 2;
  makeClient(o);
  auto r = client().getOrder(1);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, dms::ErrorCode::Unavailable);
  EXPECT_NE(r.error().message.find("connection refused"), std::string::npos) << r.error().message;
}

TEST_F(AmbitaClientTest, CreateOrderRetriedWhenConnectionRefused) {
  // Refused before anything was sent: Ambita cannot have the order, so retrying is safe, and
  // the error is the plain connection failure, not the "may have been created" one.
  auto o = options();
  o.maxAttempts = 3;
  makeClient(o);
  ASSERT_TRUE(client().tokensForTest().accessToken());  // the token first, while it is up
  server.reset();                                       // then the API goes away
  auto r = client().createOrder(cadastreOrder());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, dms::ErrorCode::Unavailable);
  EXPECT_NE(r.error().message.find("POST /kode/v1/orders/cadastre: connection refused"),
            std::string::npos)
      << r.error().message;
  EXPECT_NE(r.error().message.find("gave up after 3 attempts"), std::string::npos);
  EXPECT_EQ(r.error().message.find("may or may not"), std::string::npos);
}

TEST_F(AmbitaClientTest, ConcurrencyPerHostIsBounded) {
  std::atomic<int> running{0}, peak{0};
  api = [&](Req& req, Resp& resp, const std::string&) {
    if (!tokens.authorize(req, resp)) return;
    const int now = ++running;
    int seen = peak.load();
    while (now > seen && !peak.compare_exchange_weak(seen, now)) {
    }
    std::this_thread::sleep_for(100ms);
    --running;
    reply(resp, 200, orderJson(1));
  };
  auto o = options();
  o.maxConnectionsPerOrigin = 2;
  makeClient(o);
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  api::AmbitaClient& shared = client();
  for (int i = 0; i < 6; ++i) threads.emplace_back([&] { ok += shared.getOrder(1) ? 1 : 0; });
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 6);
  EXPECT_LE(peak.load(), 2);  // never more than the bound at once
  std::set<std::string> peers;
  for (const auto& r : server->requests()) peers.insert(r.peer);
  EXPECT_LE(peers.size(), 2u);  // the two keep-alive connections carried all calls
}

TEST_F(AmbitaClientTest, KeepAliveConnectionReused) {
  serveOrders();
  for (int i = 1; i <= 5; ++i) ASSERT_TRUE(client().getOrder(i));
  std::set<std::string> peers;
  for (const auto& r : server->requests()) peers.insert(r.peer);
  EXPECT_EQ(peers.size(), 1u);  // token + 5 calls over one connection
}

TEST_F(AmbitaClientTest, CancelInterruptsBackoff) {
  api = [&](Req& req, Resp& resp, const std::string&) {
    if (!tokens.authorize(req, resp)) return;
    reply(resp, 503, "{}");
  };
  auto o = options();
  o.initialBackoff = 20s;
  o.maxBackoff = 20s;
  o.maxRetryTime = 60s;
  makeClient(o);
  expectGetOrderCancelledAfter(200ms);
  auto again = client().getOrder(1);
  EXPECT_EQ(again.error().code, dms::ErrorCode::Cancelled);
}

TEST_F(AmbitaClientTest, ProductsParsed) {
  api = [&](Req& req, Resp& resp, const std::string&) {
    if (!tokens.authorize(req, resp)) return;
    EXPECT_EQ(req.getURI(), "/kode/v1/products?municipality=9999");
    reply(resp, 200, R"([{"code": "WI99990033", "name": "Meglerpakke",
        "price": {"salesPriceNet": 1650.4, "salesPriceVat": 2063.0}}])");
  };
  auto p = client().products("9999");
  ASSERT_TRUE(p) << p.error().describe();
  ASSERT_EQ(p->size(), 1u);
  EXPECT_EQ((*p)[0].code, "WI99990033");
}

}  // namespace
}  // namespace ambita::test
