#pragma once
/// The OAuth2 access token shared by every call of one client: password grant first, reused
/// until shortly before it expires, then renewed with the (rotating) refresh token; if the
/// refresh is refused, the password grant again. One renewal at a time: concurrent callers wait
/// for it (up to a deadline, cancellable) and then share its result. No lock is held while a
/// renewal talks to the network, so invalidate() and secrets() never wait for one. Tokens and
/// secrets never appear in logs or errors.

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
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
  /// True when the caller was stopped (checked while waiting for another thread's renewal).
  using Cancelled = std::function<bool()>;

  /// Token lifetimes above this are treated as this long: a huge `expires_in` must not
  /// overflow the renewal time (renewing a day-old token early costs nothing).
  static constexpr std::chrono::hours kMaxTokenLifetime{24};

  TokenManager(const ClientOptions& options, Fetch fetch, dms::Logger* logger, Clock clock = {});

  /// A valid access token, obtaining or renewing one first if needed. Thread-safe; while
  /// another thread renews, waits for it at most ClientOptions::maxWait. Errors:
  /// Unauthenticated (credentials refused; the message names the OAuth2 error, never a
  /// secret), Unavailable (also: the other renewal did not finish in time), Cancelled
  /// (`cancelled()` turned true while waiting), InvalidArgument (unreadable answer).
  dms::Result<std::string> accessToken(const Cancelled& cancelled = {});

  /// The API answered 401 to `rejected`: forget it (if it is still the current token) so that
  /// the next accessToken() renews. Thread-safe; never waits for a renewal in progress.
  void invalidate(const std::string& rejected);

  /// False once `token` is no longer the one accessToken() would hand out (a call met a 401
  /// with it, or it was renewed): a caller that waited for a connection since it took the
  /// token takes the current one instead of sending a token known to be refused. Thread-safe;
  /// never waits for a renewal in progress.
  bool isCurrent(const std::string& token) const;

  /// Drops everything (next call does the password grant). Thread-safe.
  void reset();

  /// Current access and refresh tokens, so the client can mask them in any text. Thread-safe.
  std::vector<std::string> secrets() const;

  /// Grants performed so far: {password, refresh} (tests).
  std::pair<int, int> grantCountsForTest() const;

 private:
  /// Waits (releasing `lock` meanwhile) until no other thread renews; the error when the wait
  /// was cancelled or passed ClientOptions::maxWait.
  std::optional<dms::Error> awaitOtherRenewal(std::unique_lock<std::mutex>& lock,
                                              const Cancelled& cancelled);
  /// The grants themselves; called without any lock held.
  dms::Result<TokenResponse> renew(const std::string& refreshToken, bool& refreshRefused);
  /// Stores a fresh answer; mutex_ held.
  void adopt(const TokenResponse& t);
  void publishSecrets();

  ClientOptions options_;
  Fetch fetch_;
  dms::Logger* logger_;
  Clock clock_;

  mutable std::mutex mutex_;  ///< guards the fields below; never held across a fetch
  std::condition_variable renewalEnded_;
  bool renewing_ = false;  ///< a thread is fetching a token (without the lock)
  std::string access_;
  std::string refresh_;
  std::chrono::steady_clock::time_point renewAt_{};
  int passwordGrants_ = 0;
  int refreshGrants_ = 0;
  /// Guards secrets_ only: redaction runs inside renewals (error messages).
  mutable std::mutex secretsMutex_;
  std::vector<std::string> secrets_;
};

}  // namespace ambita::api
