#pragma once
/// A scripted HTTP(S) server on 127.0.0.1:0 for the client's tests: each request is recorded
/// (method, URI, headers that matter, body, connection) and answered by the test's handler.
/// TokenService plays Ambita's token endpoint (password/refresh grants, rotation, expiry).

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>

#include "support/LoopbackHttpServer.h"

namespace ambita::test {

struct RecordedRequest {
  std::string method;
  std::string uri;
  std::string path;
  std::string authorization;  ///< "" when absent
  bool hasAuthorization = false;
  std::string contentType;
  std::string body;
  std::string peer;  ///< client address:port: the same value means the same connection
};

class TestServer {
 public:
  using Handler = std::function<void(Poco::Net::HTTPServerRequest&, Poco::Net::HTTPServerResponse&,
                                     const std::string& body)>;

  /// Starts serving. With `tls`, serves HTTPS using that (server) context.
  explicit TestServer(Handler handler, Poco::Net::Context::Ptr tls = {});
  /// Stops the server, aborting open connections, and waits for running handlers to return.
  ~TestServer() = default;
  TestServer(const TestServer&) = delete;
  TestServer& operator=(const TestServer&) = delete;

  std::uint16_t port() const { return server_.port(); }
  /// "http://127.0.0.1:PORT" (or https).
  std::string baseUrl() const { return server_.origin(); }
  std::vector<RecordedRequest> requests() const;
  /// Requests whose path equals `path`.
  std::size_t count(const std::string& path) const;

 private:
  void handle(Poco::Net::HTTPServerRequest& req, Poco::Net::HTTPServerResponse& resp);

  Handler handler_;
  mutable std::mutex mutex_;
  std::vector<RecordedRequest> requests_;
  /// Last member: destroyed first, so no handler runs once the members above are gone.
  dms::test::LoopbackHttpServer server_;
};

/// Answers with a status and a JSON (or any) body.
void reply(Poco::Net::HTTPServerResponse& resp, int status, const std::string& body,
           const std::string& contentType = "application/json");
/// Closes the connection without answering (the client sees no response at all).
void dropConnection(Poco::Net::HTTPServerRequest& req);
/// Answers with raw bytes, past Poco's response (a head or a chunked body a test forges): writes
/// `first`, then `each` every `every` until the client goes away or `longest` has passed, then
/// closes the connection.
void trickleRaw(Poco::Net::HTTPServerRequest& req, const std::string& first,
                const std::string& each, std::chrono::milliseconds every,
                std::chrono::milliseconds longest);

/// Ambita's token endpoint, for TestServer handlers. Thread-safe.
class TokenService {
 public:
  std::string clientId = "test-client";
  std::string clientSecret = "s3cret-client-XYZ";
  std::string username = "api-user";
  std::string password = "pa55word-QRS";
  int lifetimeSeconds = 3600;

  /// Handles POST /authentication/v2/token (form or JSON body); false for other paths.
  bool handle(Poco::Net::HTTPServerRequest& req, Poco::Net::HTTPServerResponse& resp,
              const std::string& body);
  /// True when the request carries a valid access token; otherwise answers 401 and is false.
  bool authorize(Poco::Net::HTTPServerRequest& req, Poco::Net::HTTPServerResponse& resp);
  /// Every access token issued so far becomes invalid (server-side expiry).
  void expireAccessTokens();
  /// Every refresh token becomes invalid too.
  void expireRefreshTokens();
  int passwordGrants() const { return passwordGrants_; }
  int refreshGrants() const { return refreshGrants_; }
  /// Every token ever issued (to check none leaks into logs).
  std::vector<std::string> issued() const;

 private:
  mutable std::mutex mutex_;
  std::set<std::string> access_;
  std::set<std::string> refresh_;
  std::vector<std::string> issued_;
  int counter_ = 0;
  std::atomic<int> passwordGrants_{0};
  std::atomic<int> refreshGrants_{0};
};

}  // namespace ambita::test
