#pragma once
/// OAuth2 token endpoint logic: password, client_credentials and refresh_token grants with
/// rotating refresh tokens, and bearer validation. Thread-safe.

#include <chrono>
#include <map>
#include <mutex>
#include <string>

#include <Poco/JSON/Object.h>

namespace sandbox {

/// Outcome of a grant: HTTP status and the JSON body (a token or an OAuth2 error).
struct GrantResult {
  int status = 200;
  Poco::JSON::Object::Ptr body;
};

class TokenService {
 public:
  using Clock = std::chrono::steady_clock;

  TokenService(std::string clientId, std::string clientSecret, std::string username,
               std::string password, int lifetimeSeconds);

  /// Handles one token request whose parameters were already decoded (JSON or form).
  /// Never puts a secret or a token into an error description.
  GrantResult grant(const std::map<std::string, std::string>& params);

  /// True when `accessToken` was issued here, has not expired and was not invalidated.
  bool isValid(const std::string& accessToken);

  /// Every access token issued so far becomes invalid now (refresh tokens stay valid).
  void expireAll();

  /// Number of access tokens issued so far (tests check reuse by the client).
  std::size_t issuedCount();

 private:
  GrantResult issue(bool withRefresh);
  static GrantResult error(int status, const std::string& code, const std::string& description);
  static std::string randomToken();

  const std::string clientId_;
  const std::string clientSecret_;
  const std::string username_;
  const std::string password_;
  const std::chrono::seconds lifetime_;
  std::mutex mutex_;
  std::map<std::string, Clock::time_point> access_;   // token -> expiry
  std::map<std::string, Clock::time_point> refresh_;  // token -> expiry (30 days)
  std::size_t issued_ = 0;
};

}  // namespace sandbox
