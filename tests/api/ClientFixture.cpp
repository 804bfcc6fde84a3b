#include "ClientFixture.h"

namespace ambita::test {

ClientFixture::ClientFixture() {
  server = std::make_unique<TestServer>([this](Poco::Net::HTTPServerRequest& req,
                                               Poco::Net::HTTPServerResponse& resp,
                                               const std::string& body) {
    if (tokens.handle(req, resp, body)) return;
    if (api) {
      api(req, resp, body);
    } else {
      reply(resp, 500, "{\"message\":\"no handler\"}");
    }
  });
}

void ClientFixture::TearDown() {
  {
    std::lock_guard lock(clientMutex_);
    if (client_) client_->cancel();
  }
  server.reset();
}

api::ClientOptions ClientFixture::options() const {
  api::ClientOptions o;
  o.baseUrl = server->baseUrl();
  o.clientId = tokens.clientId;
  o.clientSecret = tokens.clientSecret;
  o.username = tokens.username;
  o.password = tokens.password;
  o.maxAttempts = 4;
  o.initialBackoff = std::chrono::milliseconds(10);
  o.maxBackoff = std::chrono::milliseconds(50);
  o.maxRetryTime = std::chrono::milliseconds(10'000);
  o.connectTimeout = std::chrono::milliseconds(2000);
  o.readTimeout = std::chrono::milliseconds(2000);
  return o;
}

void ClientFixture::makeQuickClient() {
  auto o = options();
  o.readTimeout = std::chrono::seconds(1);
  o.maxAttempts = 1;
  makeClient(o);
}

void ClientFixture::makeClient(const api::ClientOptions& o) {
  auto made = std::make_unique<api::AmbitaClient>(o, &logger);
  std::lock_guard lock(clientMutex_);
  client_ = std::move(made);
}

api::AmbitaClient& ClientFixture::client() {
  std::lock_guard lock(clientMutex_);
  if (!client_) client_ = std::make_unique<api::AmbitaClient>(options(), &logger);
  return *client_;
}

std::vector<std::string> ClientFixture::secrets() const {
  std::vector<std::string> all = tokens.issued();
  all.push_back(tokens.clientSecret);
  all.push_back(tokens.password);
  return all;
}

void ClientFixture::expectNoSecret(const std::string& text) const {
  for (const auto& s : secrets())
    EXPECT_EQ(text.find(s), std::string::npos) << s << " in: " << text;
}

std::string orderJson(std::int64_t id, const std::string& status) {
  return "{\"id\": " + std::to_string(id) + ", \"status\": \"" + status +
         "\", \"orders\": [{\"id\": 1, \"orderLines\": [{\"id\": 2, \"status\": \"NEW\"}]}]}";
}

}  // namespace ambita::test
