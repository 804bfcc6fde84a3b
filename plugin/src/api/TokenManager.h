#pragma once
/// The OAuth2 access token shared by every call of one client: password grant first, reused
/// until shortly before it expires, then renewed with the (rotating) refresh token; if the
/// refresh is refused, the password grant again. One renewal at a time: concurrent callers wait
/// for it and then share its result. Tokens and secrets never appear in logs or errors.

#include <chrono>
#include <functional>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "api/ClientOptions.h"
#include "api/ModelParser.h"
#include "dms/Error.h"
#include "dms/Logger.h"

namespace ambita::api {

class TokenManager {
 public:
  using Form = std::vector<std::pair<std::string, std::string>>;
  /// Sends one token request (form fields) and returns the parsed answer. Errors:
  /// Unauthenticated when the endpoint refused the grant (400/401), anything else otherwise.
  using Fetch = std::function<dms::Result<TokenResponse>(const Form& form)>;
  using Clock = std::function<std::chrono::steady_clock::time_point()>;

  TokenManager(const ClientOptions& options, Fetch fetch, dms::Logger* logger, Clock clock = {});

  /// A valid access token, obtaining or renewing one first if needed. Thread-safe; blocks while
  /// another thread renews. Errors: Unauthenticated (credentials refused; the message names the
  /// OAuth2 error, never a secret), Unavailable, Cancelled, InvalidArgument (unreadable answer).
  dms::Result<std::string> accessToken();

  /// The API answered 401 to `rejected`: forget it (if it is still the current token) so that
  /// the next accessToken() renews. Thread-safe.
  void invalidate(const std::string& rejected);

  /// Drops everything (next call does the password grant). Thread-safe.
  void reset();

  /// Current access and refresh tokens, so the client can mask them in any text. Thread-safe.
  std::vector<std::string> secrets() const;

  /// Grants performed so far: {password, refresh} (tests).
  std::pair<int, int> grantCountsForTest() const;

 private:
  dms::Result<std::string> adopt(const TokenResponse& t, const char* how);

  ClientOptions options_;
  Fetch fetch_;
  dms::Logger* logger_;
  Clock clock_;
  void publishSecrets();

  mutable std::mutex mutex_;  ///< held for a whole renewal
  /// Guards secrets_ only: redaction runs inside renewals (error messages), so it must not
  /// need mutex_.
  mutable std::mutex secretsMutex_;
  std::vector<std::string> secrets_;
  std::string access_;
  std::string refresh_;
  std::chrono::steady_clock::time_point renewAt_{};
  int passwordGrants_ = 0;
  int refreshGrants_ = 0;
};

}  // namespace ambita::api
