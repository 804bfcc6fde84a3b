#pragma once
/// The admin console's logged-in sessions and the login rate limit, both bounded in memory.
///
/// A session is a random id (the HttpOnly cookie) with its user, its CSRF token (sent by the
/// page in the X-CSRF-Token header of every state-changing request) and an absolute expiry.
/// Logins are limited per remote address: after kMaxFailures failed logins within kWindow the
/// address is refused (429) until the window has passed. The clock is injectable so that tests
/// can expire sessions and windows without waiting.

#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>

namespace dms::host::admin {

using Clock = std::chrono::steady_clock;
using NowFunction = std::function<Clock::time_point()>;

struct Session {
  std::string id;  ///< the cookie value
  std::string user;
  std::string csrfToken;
  Clock::time_point expires;
};

class AdminSessions {
 public:
  /// Sessions alive at once; a login beyond it (after dropping expired ones) is refused.
  static constexpr std::size_t kMaxSessions = 64;

  AdminSessions(std::chrono::seconds lifetime, NowFunction now = Clock::now);

  /// A new session for `user`; nullopt when kMaxSessions are alive.
  std::optional<Session> open(const std::string& user);
  /// The live session with this id (nullopt when unknown or expired; an expired one is dropped).
  std::optional<Session> find(const std::string& id);
  void close(const std::string& id);
  std::chrono::seconds lifetime() const { return lifetime_; }

 private:
  void dropExpiredLocked(Clock::time_point now);

  const std::chrono::seconds lifetime_;
  const NowFunction now_;
  std::mutex mutex_;
  std::map<std::string, Session> sessions_;
};

class LoginThrottle {
 public:
  static constexpr std::size_t kMaxFailures = 5;
  static constexpr std::chrono::seconds kWindow{300};
  /// Addresses remembered at once; when full (after dropping old windows) every address is
  /// refused until a window passes: memory stays bounded under a spread-out attack.
  static constexpr std::size_t kMaxAddresses = 1024;

  explicit LoginThrottle(NowFunction now = Clock::now);

  /// Whether `address` may try to log in now.
  bool allowed(const std::string& address);
  void failed(const std::string& address);
  void succeeded(const std::string& address);

 private:
  struct Window {
    Clock::time_point start;
    std::size_t failures = 0;
  };
  void dropOldLocked(Clock::time_point now);

  const NowFunction now_;
  std::mutex mutex_;
  std::map<std::string, Window> windows_;
};

}  // namespace dms::host::admin
