#include "TokenService.h"

#include <random>

#include <Poco/JSON/Array.h>

namespace sandbox {
namespace {
constexpr std::chrono::hours kRefreshLifetime{24 * 30};
}

TokenService::TokenService(std::string clientId, std::string clientSecret, std::string username,
                           std::string password, int lifetimeSeconds)
    : clientId_(std::move(clientId)),
      clientSecret_(std::move(clientSecret)),
      username_(std::move(username)),
      password_(std::move(password)),
      lifetime_(lifetimeSeconds) {}

GrantResult TokenService::error(int status, const std::string& code,
                                const std::string& description) {
  GrantResult result;
  result.status = status;
  result.body = new Poco::JSON::Object;
  result.body->set("error", code);
  result.body->set("error_description", description);
  return result;
}

std::string TokenService::randomToken() {
  // Tokens only need to be unguessable within a test run; random_device seeds per token.
  static thread_local std::mt19937_64 engine{std::random_device{}()};
  static constexpr char kHex[] = "0123456789abcdef";
  std::string token;
  for (int i = 0; i < 40; ++i) token += kHex[engine() % 16];
  return token;
}

GrantResult TokenService::issue(bool withRefresh) {
  // Caller holds mutex_.
  const auto now = Clock::now();
  std::string access = randomToken();
  access_[access] = now + lifetime_;
  ++issued_;
  GrantResult result;
  result.body = new Poco::JSON::Object;
  result.body->set("access_token", access);
  result.body->set("token_type", "Bearer");
  result.body->set("expires_in", static_cast<int>(lifetime_.count()));
  if (withRefresh) {
    std::string refresh = randomToken();
    refresh_[refresh] = now + kRefreshLifetime;
    result.body->set("refresh_token", refresh);
  }
  Poco::JSON::Array::Ptr scope = new Poco::JSON::Array;
  for (const char* s :
       {"kode.order.write", "kode.order.read", "kode.product.read", "kode.price.read"})
    scope->add(std::string(s));
  result.body->set("scope", scope);
  return result;
}

GrantResult TokenService::grant(const std::map<std::string, std::string>& params) {
  auto get = [&](const char* key) -> std::string {
    auto it = params.find(key);
    return it == params.end() ? std::string() : it->second;
  };
  const std::string grantType = get("grant_type");
  if (grantType.empty()) return error(400, "invalid_request", "missing parameter 'grant_type'");
  if (grantType != "password" && grantType != "client_credentials" && grantType != "refresh_token")
    return error(400, "unsupported_grant_type", "grant_type '" + grantType + "' is not supported");

  const std::string clientId = get("client_id");
  const std::string clientSecret = get("client_secret");
  const bool clientGiven = !clientId.empty() || !clientSecret.empty();
  // A confidential client must authenticate for password and client_credentials; for
  // refresh_token the client credentials are optional but checked when given.
  if (grantType != "refresh_token" || clientGiven) {
    if (clientId.empty()) return error(400, "invalid_request", "missing parameter 'client_id'");
    if (clientSecret.empty())
      return error(400, "invalid_request", "missing parameter 'client_secret'");
    if (clientId != clientId_ || clientSecret != clientSecret_)
      return error(401, "invalid_client", "client authentication failed");
  }

  std::lock_guard lock(mutex_);
  if (grantType == "client_credentials") return issue(false);
  if (grantType == "password") {
    if (get("username").empty())
      return error(400, "invalid_request", "missing parameter 'username'");
    if (get("password").empty())
      return error(400, "invalid_request", "missing parameter 'password'");
    if (get("username") != username_ || get("password") != password_)
      return error(400, "invalid_grant", "wrong username or password");
    return issue(true);
  }
  const std::string refresh = get("refresh_token");
  if (refresh.empty()) return error(400, "invalid_request", "missing parameter 'refresh_token'");
  auto it = refresh_.find(refresh);
  if (it == refresh_.end() || it->second <= Clock::now())
    return error(400, "invalid_grant", "refresh token is unknown, expired or already used");
  refresh_.erase(it);  // rotation: each refresh token works once
  return issue(true);
}

bool TokenService::isValid(const std::string& accessToken) {
  std::lock_guard lock(mutex_);
  auto it = access_.find(accessToken);
  return it != access_.end() && it->second > Clock::now();
}

void TokenService::expireAll() {
  std::lock_guard lock(mutex_);
  access_.clear();
}

std::size_t TokenService::issuedCount() {
  std::lock_guard lock(mutex_);
  return issued_;
}

}  // namespace sandbox
