#include "TestServer.h"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTMLForm.h>
#include <Poco/Net/HTTPServerRequestImpl.h>
#include <Poco/StreamCopier.h>
#include <Poco/URI.h>

#include <sstream>
#include <thread>

namespace ambita::test {

namespace {
dms::test::LoopbackHttpServer::Settings settingsWith(Poco::Net::Context::Ptr tls) {
  dms::test::LoopbackHttpServer::Settings settings;
  settings.tls = std::move(tls);
  return settings;
}
}  // namespace

TestServer::TestServer(Handler handler, Poco::Net::Context::Ptr tls)
    : handler_(std::move(handler)),
      server_([this](Poco::Net::HTTPServerRequest& req,
                     Poco::Net::HTTPServerResponse& resp) { handle(req, resp); },
              settingsWith(std::move(tls))) {}

void TestServer::handle(Poco::Net::HTTPServerRequest& req, Poco::Net::HTTPServerResponse& resp) {
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
  dms::test::LoopbackHttpServer::dropConnection(req);
}

void trickleRaw(Poco::Net::HTTPServerRequest& req, const std::string& first,
                const std::string& each, std::chrono::milliseconds every,
                std::chrono::milliseconds longest) {
  Poco::Net::StreamSocket& socket = static_cast<Poco::Net::HTTPServerRequestImpl&>(req).socket();
  const auto end = std::chrono::steady_clock::now() + longest;
  try {
    socket.sendBytes(first.data(), static_cast<int>(first.size()));
    while (std::chrono::steady_clock::now() < end) {
      std::this_thread::sleep_for(every);
      socket.sendBytes(each.data(), static_cast<int>(each.size()));
    }
  } catch (const Poco::Exception&) {
    // the client went away
  }
  dropConnection(req);
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
