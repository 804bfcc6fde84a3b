#pragma once
/// The admin console's HTTP routes on admin.listen: the JSON API (docs/admin-api.md) and the
/// embedded page (AdminUi.h). Every API call but login needs a session cookie or the bearer
/// token; every state-changing call with a cookie needs the session's CSRF token in the
/// X-CSRF-Token header. The data comes from the plugin's commands with --json
/// (Plugin::runCommand, as a host with its own UI would call them); actions pass --actor with
/// the user, and each is written to the host's log as an audit line (never a secret). Failed
/// logins, wrong bearer tokens and the 429s after them are logged bounded (dms::http::RefusalLog:
/// the first of a minute in full, the rest counted): any client can send them.

#include <atomic>
#include <string>
#include <vector>

#include "AdminSessions.h"
#include "AdminSettings.h"
#include "RouteServer.h"
#include "StderrLogger.h"
#include "dms/ModuleLoader.h"
#include "dms/Plugin.h"
#include "dms/http/RefusalLog.h"

namespace dms::host::admin {

inline constexpr const char* kSessionCookie = "dms_admin_session";
inline constexpr const char* kCsrfHeader = "x-csrf-token";

class AdminApi {
 public:
  /// Plugin commands running at once for the console; more are answered 503 at once.
  static constexpr int kMaxCommandsInFlight = 4;
  /// Request bodies of the API are small JSON objects.
  static constexpr std::size_t kMaxBodyBytes = 4096;

  struct Sources {
    Plugin* plugin = nullptr;        ///< its commands answer the API
    StderrLogger* logger = nullptr;  ///< masks what the API answers; audit lines
    std::string maskedConfig;        ///< the effective configuration, secrets masked (JSON)
    std::vector<ModuleDescriptor> modules;
    std::string hostName;  ///< "dms-host 0.1.0"
  };

  /// Everything in `sources` outlives this object and its routes.
  AdminApi(AdminSettings settings, Sources sources, NowFunction now = Clock::now);

  std::vector<HostRoute> routes();

  /// Logs the count of refused logins not logged one by one yet (the console stops).
  void logHeldBackRefusals() noexcept { refusals_.flush(); }

 private:
  /// Who is calling, or the reason for a 401.
  struct Caller {
    std::string actor;  ///< empty: not authenticated
    std::string error;
    bool throttled = false;  ///< refused for the address's failures (429), not for its credentials
    std::optional<Session> session;
  };
  using Handler = std::function<HostResponse(const HttpRequest&, const Caller&)>;
  enum class Access { Read, Change };

  Caller authenticate(const HttpRequest& request);
  /// `handler` behind authentication (and CSRF for Access::Change).
  HostRoute guarded(std::string method, std::string path, Access access, Handler handler);

  /// 429 for `address` after too many failed logins or wrong bearer tokens (LoginThrottle).
  HostResponse tooManyFailures(const std::string& address);
  HostResponse login(const HttpRequest& request);
  HostResponse logout(const HttpRequest& request, const Caller& caller);
  HostResponse session(const Caller& caller);

  HostResponse orders(const HttpRequest& request);
  HostResponse order(const HttpRequest& request);
  HostResponse preview(const HttpRequest& request);
  HostResponse track(const HttpRequest& request, const Caller& caller);
  HostResponse sync(const HttpRequest& request, const Caller& caller);
  HostResponse retry(const HttpRequest& request, const Caller& caller);
  HostResponse verify(const HttpRequest& request, const Caller& caller);
  HostResponse modules();

  /// Runs the plugin command with `args` and "--json" and maps its exit code (0 -> 200,
  /// 1 -> 404 for an unknown order else 500 with the plugin's error, 2 -> 400).
  HostResponse runPlugin(const std::string& command, std::vector<std::string> args);
  /// An action: runPlugin with --actor, and an audit line in the log.
  HostResponse runAction(const Caller& caller, const std::string& command,
                         std::vector<std::string> args);

  const AdminSettings settings_;
  const Sources sources_;
  AdminSessions sessions_;
  LoginThrottle throttle_;
  http::RefusalLog refusals_;  ///< failed logins, wrong tokens, 429s
  /// Verified for an unknown user name, so that a login takes as long either way.
  std::string decoyHash_;
  std::atomic<int> commandsInFlight_{0};
};

}  // namespace dms::host::admin
