#include "TestServer.h"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTMLForm.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequestImpl.h>
#include <Poco/Net/SecureServerSocket.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/StreamCopier.h>
#include <Poco/URI.h>

#include <chrono>
#include <sstream>
#include <thread>

namespace ambita::test {
namespace {

class Handler : public Poco::Net::HTTPRequestHandler {
 public:
  explicit Handler(TestServer* server) : server_(server) {}
  void handleRequest(Poco::Net::HTTPServerRequest& req,
                     Poco::Net::HTTPServerResponse& resp) override {
    server_->handle(req, resp);
  }

 private:
  TestServer* server_;
};

class Factory : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  explicit Factory(TestServer* server) : server_(server) {}
  Poco::Net::HTTPRequestHandler* createRequestHandler(
      const Poco::Net::HTTPServerRequest&) override {
    return new Handler(server_);  // Poco's factory contract: the server takes ownership
  }

 private:
  TestServer* server_;
};

}  // namespace

TestServer::TestServer(Handler handler, Poco::Net::Context::Ptr tls)
    : handler_(std::move(handler)), tls_(!tls.isNull()) {
  const Poco::Net::SocketAddress any("127.0.0.1", 0);
  Poco::Net::ServerSocket socket =
      tls_ ? Poco::Net::SecureServerSocket(any, 64, tls) : Poco::Net::ServerSocket(any);
  port_ = socket.address().port();
  auto params = Poco::makeAuto<Poco::Net::HTTPServerParams>();
  params->setKeepAlive(true);
  params->setMaxThreads(16);
  params->setMaxQueued(64);
  params->setKeepAliveTimeout(Poco::Timespan(5, 0));
  server_ =
      std::make_unique<Poco::Net::HTTPServer>(Poco::makeShared<Factory>(this), socket, params);
  server_->start();
}

TestServer::~TestServer() {
  server_->stopAll(true);
}

std::string TestServer::baseUrl() const {
  return std::string(tls_ ? "https" : "http") + "://127.0.0.1:" + std::to_string(port_);
}

void TestServer::handle(Poco::Net::HTTPServerRequest& req, Poco::Net::HTTPServerResponse& resp) {
  struct Active {
    std::atomic<int>& n;
    explicit Active(std::atomic<int>& c) : n(c) { ++n; }
    ~Active() { --n; }
  } active(active_);
  RecordedRequest r;
  r.method = req.getMethod();
  r.uri = req.getURI();
  r.path = Poco::URI(req.getURI()).getPath();
  r.hasAuthorization = req.has("Authorization");
  r.authorization = req.get("Authorization", "");
  r.contentType = req.getContentType();
  r.peer = req.clientAddress().toString();
  std::ostringstream body;
  Poco::StreamCopier::copyStream(req.stream(), body);
  r.body = body.str();
  {
    std::lock_guard lock(mutex_);
    requests_.push_back(r);
  }
  handler_(req, resp, r.body);
}

std::vector<RecordedRequest> TestServer::requests() const {
  std::lock_guard lock(mutex_);
  return requests_;
}

std::size_t TestServer::count(const std::string& path) const {
  std::lock_guard lock(mutex_);
  std::size_t n = 0;
  for (const auto& r : requests_) n += r.path == path ? 1 : 0;
  return n;
}

void reply(Poco::Net::HTTPServerResponse& resp, int status, const std::string& body,
           const std::string& contentType) {
  resp.setStatus(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(status));
  resp.setContentType(contentType);
  resp.setContentLength64(static_cast<Poco::Int64>(body.size()));
  resp.send() << body;
}

void dropConnection(Poco::Net::HTTPServerRequest& req) {
  auto& impl = static_cast<Poco::Net::HTTPServerRequestImpl&>(req);
  impl.socket().shutdown();
}

bool TokenService::handle(Poco::Net::HTTPServerRequest& req, Poco::Net::HTTPServerResponse& resp,
                          const std::string& body) {
  if (Poco::URI(req.getURI()).getPath() != "/authentication/v2/token") return false;
  std::map<std::string, std::string> f;
  if (req.getContentType().find("json") != std::string::npos) {
    Poco::JSON::Parser p;
    auto o = p.parse(body).extract<Poco::JSON::Object::Ptr>();
    for (const auto& [k, v] : *o) f[k] = v.toString();
  } else {
    Poco::Net::HTMLForm form;
    form.read(body);
    for (const auto& [k, v] : form) f[k] = v;
  }
  auto oauthError = [&](int status, const std::string& error) {
    reply(resp, status, "{\"error\":\"" + error + "\",\"error_description\":\"refused\"}");
    return true;
  };
  if (f["client_id"] != clientId || f["client_secret"] != clientSecret)
    return oauthError(401, "invalid_client");
  std::lock_guard lock(mutex_);
  if (f["grant_type"] == "password") {
    ++passwordGrants_;
    if (f["username"] != username || f["password"] != password)
      return oauthError(400, "invalid_grant");
  } else if (f["grant_type"] == "refresh_token") {
    ++refreshGrants_;
    // Rotation: a refresh token works once.
    if (refresh_.erase(f["refresh_token"]) == 0) return oauthError(400, "invalid_grant");
  } else {
    return oauthError(400, "unsupported_grant_type");
  }
  ++counter_;
  const std::string access = "acc-" + std::to_string(counter_) + "-tokenvalue";
  const std::string refresh = "ref-" + std::to_string(counter_) + "-tokenvalue";
  access_.insert(access);
  refresh_.insert(refresh);
  issued_.push_back(access);
  issued_.push_back(refresh);
  reply(resp, 200,
        "{\"access_token\":\"" + access + "\",\"token_type\":\"Bearer\",\"expires_in\":" +
            std::to_string(lifetimeSeconds) + ",\"refresh_token\":\"" + refresh +
            "\",\"scope\":[\"kode.order.write\",\"kode.order.read\"]}");
  return true;
}

bool TokenService::authorize(Poco::Net::HTTPServerRequest& req,
                             Poco::Net::HTTPServerResponse& resp) {
  const std::string auth = req.get("Authorization", "");
  {
    std::lock_guard lock(mutex_);
    if (auth.rfind("Bearer ", 0) == 0 && access_.count(auth.substr(7))) return true;
  }
  reply(resp, 401, "{\"error\":\"invalid_token\"}");
  return false;
}

void TokenService::expireAccessTokens() {
  std::lock_guard lock(mutex_);
  access_.clear();
}

void TokenService::expireRefreshTokens() {
  std::lock_guard lock(mutex_);
  refresh_.clear();
}

std::vector<std::string> TokenService::issued() const {
  std::lock_guard lock(mutex_);
  return issued_;
}

}  // namespace ambita::test
